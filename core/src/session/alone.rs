//! Which statement may run alone, without a transaction of ours, when it
//! is the whole script. The server then runs it in a transaction of its
//! own that commits as it completes, before its results reach us: so only
//! statements that do not write by what they say (the output-failure rule,
//! "results nobody received are not committed", then has nothing to
//! undo), and statements PostgreSQL refuses inside a transaction block
//! (which could not run at all otherwise). Everything else keeps BEGIN.
//! Decided on the words of the text, on the safe side: a word we do not
//! know keeps the transaction.

/// Statements that start with these words only read (`SELECT ... INTO`
/// creates a table, so `into` anywhere keeps the transaction).
const READING: &[&str] = &["select", "values", "table", "show"];

/// Statements PostgreSQL refuses inside a transaction block, by their
/// first words.
const NO_TRANSACTION: &[&[&str]] = &[
    &["vacuum"],
    &["create", "database"],
    &["drop", "database"],
    &["create", "tablespace"],
    &["drop", "tablespace"],
    &["alter", "system"],
    &["create", "index", "concurrently"],
    &["create", "unique", "index", "concurrently"],
    &["drop", "index", "concurrently"],
];

/// Whether `text` (one statement, from its first token) may run alone.
pub(crate) fn may_run_alone(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    // The text must start with a word (not `(`, a comment, ...).
    if !text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return false;
    }
    let Some(first) = words.first() else {
        return false;
    };
    if READING.contains(&first.as_str()) {
        return !words.iter().any(|w| w == "into");
    }
    NO_TRANSACTION.iter().any(|prefix| {
        words.len() >= prefix.len() && prefix.iter().zip(&words).all(|(p, w)| *p == w)
    })
}

#[cfg(test)]
mod tests {
    use super::may_run_alone;

    #[test]
    fn reads_and_statements_refused_in_a_transaction_run_alone() {
        for text in [
            "SELECT 1",
            "select * from t where a = 1",
            "VALUES (1)",
            "TABLE t",
            "SHOW search_path",
            "VACUUM (ANALYZE) t",
            "CREATE DATABASE d",
            "drop database d",
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t(a)",
            "ALTER SYSTEM SET work_mem = '8MB'",
        ] {
            assert!(may_run_alone(text), "{text}");
        }
    }

    #[test]
    fn anything_that_may_write_keeps_the_transaction() {
        for text in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "SELECT * INTO t2 FROM t",
            "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
            "EXPLAIN ANALYZE DELETE FROM t",
            "CREATE INDEX i ON t(a)",
            "(SELECT 1)",
            "COMMIT",
            "BEGIN",
            "",
        ] {
            assert!(!may_run_alone(text), "{text}");
        }
    }
}
