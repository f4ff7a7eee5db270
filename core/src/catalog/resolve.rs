//! From a name the user typed to the catalog's relations: which one it
//! means, and "did you mean" when it means none.

use super::name::{Identifier, TableName};
use crate::text::edit_distance_chars as edit_distance;

/// Suggestions offered per unknown name.
pub const MAX_SUGGESTIONS: usize = 3;

/// A relation as a command's catalog query returned it: what resolution
/// and suggestions need to know about it.
pub trait CatalogEntry {
    /// The relation's schema, as the catalog spells it.
    fn schema_name(&self) -> &str;
    /// The relation's name, as the catalog spells it.
    fn relation_name(&self) -> &str;
    /// Where an unqualified name finds this relation: the 1-based position
    /// of its schema in the search path; `None` when only a qualified name
    /// reaches it. Relations at the same position are equally reachable (a
    /// catalog read without a search path would give them all one
    /// position), so an unqualified name found in several of them is
    /// ambiguous.
    fn search_path(&self) -> Option<u32>;
}

/// What a name means among a catalog's relations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'a, R> {
    /// Exactly this relation.
    Found(&'a R),
    /// Several relations match equally well; the user must qualify the
    /// name. Ordered as given.
    Ambiguous(Vec<&'a R>),
    /// Nothing matches.
    Unknown,
}

/// The relation `name` means among `relations` (the whole catalog, or the
/// candidates a query found for this name).
///
/// Each part matches its exact spelling, or for an unquoted part the
/// spelling folded to lower case when no exact one exists
/// ([`Identifier::spellings`]). An unqualified name only reaches relations
/// on the search path, and the first schema there that holds a match wins,
/// as in SQL; a qualified one reaches its schema whatever the path. Of
/// several matches the best is, in order: the exact table spelling, the
/// exact schema spelling, the earlier schema on the path.
pub fn resolve<'a, R: CatalogEntry>(name: &TableName, relations: &'a [R]) -> Resolution<'a, R> {
    let table_spellings = name.name().spellings();
    let schema_spellings = name.schema().map(Identifier::spellings);
    let ranked: Vec<((usize, usize, u32), &R)> = relations
        .iter()
        .filter_map(|r| {
            let table_rank = table_spellings
                .iter()
                .position(|s| s == r.relation_name())?;
            let (schema_rank, path_rank) = match &schema_spellings {
                Some(spellings) => (spellings.iter().position(|s| s == r.schema_name())?, 0),
                None => (0, r.search_path()?),
            };
            Some(((table_rank, schema_rank, path_rank), r))
        })
        .collect();
    let Some(best) = ranked.iter().map(|(rank, _)| *rank).min() else {
        return Resolution::Unknown;
    };
    let mut matches: Vec<&R> = ranked
        .into_iter()
        .filter(|(rank, _)| *rank == best)
        .map(|(_, r)| r)
        .collect();
    if matches.len() == 1 {
        Resolution::Found(matches.remove(0))
    } else {
        Resolution::Ambiguous(matches)
    }
}

/// The schema `name` means among `schemas`: the exact spelling, else for
/// an unquoted name the folded one.
pub fn resolve_schema<'a>(name: &Identifier, schemas: &'a [String]) -> Option<&'a String> {
    schemas
        .iter()
        .filter_map(|s| name.rank(s).map(|rank| (rank, s)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, s)| s)
}

/// The relations closest to `name`, closest first, at most
/// [`MAX_SUGGESTIONS`].
///
/// Closeness is the edit distance (insertions, deletions, substitutions and
/// swaps of neighbours, case-insensitive) between the typed name and a
/// relation's name, or its `schema.name` when the user qualified the name.
/// A relation qualifies when the distance is at most 1 + length / 4 (so
/// `usres` → `users`, `"Users"` → `users`), or when one name starts with
/// the other (`order` → `order_items`, at least 3 characters), but only
/// when no relation is that close (`post` offers `posts`, not also
/// `posts_id_seq`). When some relation has the very name in another case
/// or schema (`mixedcase` for `"MixedCase"`, `my.table` for the table
/// `"my.table"`), only those are offered: that is surely what was meant.
/// Ties go to relations on the search path, then to the closer spelling
/// with case, then by schema and name.
pub fn suggest<'a, R: CatalogEntry>(name: &TableName, relations: &'a [R]) -> Vec<&'a R> {
    let typed = Typed::new(&match name.schema() {
        Some(schema) => format!("{}.{}", schema.text(), name.name().text()),
        None => name.name().text().to_owned(),
    });
    let scored = relations
        .iter()
        .filter_map(|r| {
            let score = match name.schema() {
                Some(_) => {
                    let full = typed.score(&format!("{}.{}", r.schema_name(), r.relation_name()));
                    // The whole typed text is the name of a relation the
                    // search path finds: a dot that needed quotes.
                    let whole = r
                        .search_path()
                        .and_then(|_| typed.score(r.relation_name()))
                        .filter(|score| score.distance == 0);
                    full.into_iter().chain(whole).min()?
                }
                None => typed.score(r.relation_name())?,
            };
            Some((
                score,
                r.search_path().is_none(),
                (r.schema_name(), r.relation_name()),
                r,
            ))
        })
        .collect();
    closest(scored)
}

/// The schemas closest to `name`, as [`suggest`] finds relations.
pub fn suggest_schemas<'a>(name: &Identifier, schemas: &'a [String]) -> Vec<&'a String> {
    let typed = Typed::new(name.text());
    let scored = schemas
        .iter()
        .filter_map(|s| Some((typed.score(s)?, false, (s.as_str(), ""), s)))
        .collect();
    closest(scored)
}

/// A candidate's score, whether it is off the search path, its schema and
/// name (the last tie-break), and the candidate.
type Scored<'a, 'k, T> = (Score, bool, (&'k str, &'k str), &'a T);

/// The best few: the very name if some candidate has it, else the close
/// ones, else the prefix matches.
fn closest<'a, T>(mut scored: Vec<Scored<'a, '_, T>>) -> Vec<&'a T> {
    if scored.iter().any(|(score, ..)| score.distance == 0) {
        scored.retain(|(score, ..)| score.distance == 0);
    } else if scored.iter().any(|(score, ..)| score.close) {
        scored.retain(|(score, ..)| score.close);
    }
    scored.sort_by(|(a, a_off, a_key, _), (b, b_off, b_key, _)| {
        (a.distance, a_off, a.case_distance, a_key).cmp(&(
            b.distance,
            b_off,
            b.case_distance,
            b_key,
        ))
    });
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(.., item)| item)
        .collect()
}

/// How close a candidate is to the typed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    /// Edit distance, case-insensitive.
    distance: usize,
    /// Edit distance with case, to prefer `users` over `Users` for `usres`.
    case_distance: usize,
    /// Within the distance limit (else only a prefix match).
    close: bool,
}

/// A typed name prepared for comparison with many candidates.
struct Typed {
    exact: Vec<char>,
    lower: Vec<char>,
    limit: usize,
}

impl Typed {
    fn new(text: &str) -> Typed {
        let exact: Vec<char> = text.chars().collect();
        let lower: Vec<char> = exact.iter().flat_map(|c| c.to_lowercase()).collect();
        let limit = 1 + lower.len() / 4;
        Typed {
            exact,
            lower,
            limit,
        }
    }

    /// How close `candidate` is, or `None` when it is neither close nor a
    /// prefix match.
    fn score(&self, candidate: &str) -> Option<Score> {
        let exact: Vec<char> = candidate.chars().collect();
        let lower: Vec<char> = exact.iter().flat_map(|c| c.to_lowercase()).collect();
        let distance = edit_distance(&self.lower, &lower);
        let prefix = self.lower.len().min(lower.len()) >= 3
            && (lower.starts_with(&self.lower) || self.lower.starts_with(&lower));
        let close = distance <= self.limit;
        if !close && !prefix {
            return None;
        }
        Some(Score {
            distance,
            case_distance: edit_distance(&self.exact, &exact),
            close,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rstest::rstest;

    use super::*;
    use crate::catalog::{parse_schema_names, parse_table_names};

    /// A catalog row: schema, name, search-path position.
    #[derive(Debug, PartialEq, Eq)]
    struct Row(&'static str, &'static str, Option<u32>);

    impl CatalogEntry for Row {
        fn schema_name(&self) -> &str {
            self.0
        }
        fn relation_name(&self) -> &str {
            self.1
        }
        fn search_path(&self) -> Option<u32> {
            self.2
        }
    }

    fn table(input: &str) -> TableName {
        parse_table_names(&[input.to_owned()]).unwrap().remove(0)
    }

    /// `schema.name` of each row, for assertions.
    fn shown(rows: &[&Row]) -> Vec<String> {
        rows.iter().map(|r| format!("{}.{}", r.0, r.1)).collect()
    }

    fn outcome(input: &str, rows: &[Row]) -> String {
        match resolve(&table(input), rows) {
            Resolution::Found(r) => format!("{}.{}", r.0, r.1),
            Resolution::Ambiguous(found) => format!("ambiguous: {}", shown(&found).join(", ")),
            Resolution::Unknown => "unknown".to_owned(),
        }
    }

    #[rstest]
    // Unquoted: the exact spelling when it exists...
    #[case("MixedCase", &[Row("public", "MixedCase", Some(1))], "public.MixedCase")]
    #[case("Users", &[Row("public", "users", Some(1)), Row("public", "Users", Some(1))], "public.Users")]
    #[case("users", &[Row("public", "users", Some(1)), Row("public", "Users", Some(1))], "public.users")]
    // ... else the folded one, as SQL folds (ASCII only).
    #[case("USERS", &[Row("public", "users", Some(1)), Row("public", "Users", Some(1))], "public.users")]
    #[case("mixedcase", &[Row("public", "MixedCase", Some(1))], "unknown")]
    #[case("ÄBC", &[Row("public", "Äbc", Some(1))], "public.Äbc")]
    #[case("ÄBC", &[Row("public", "äbc", Some(1))], "unknown")]
    // Quoted: exact only.
    #[case("\"Users\"", &[Row("public", "users", Some(1))], "unknown")]
    #[case("\"users\"", &[Row("public", "users", Some(1)), Row("public", "Users", Some(1))], "public.users")]
    // The exact spelling wins over a folded one earlier on the path.
    #[case("Users", &[Row("a", "users", Some(1)), Row("b", "Users", Some(2))], "b.Users")]
    // Between equal spellings, the earlier schema on the path, as in SQL.
    #[case("users", &[Row("b", "users", Some(3)), Row("a", "users", Some(2))], "a.users")]
    // Unqualified names do not reach schemas off the path...
    #[case("users", &[Row("app", "users", None)], "unknown")]
    // ... qualified ones do, with the same rule for the schema part.
    #[case("app.users", &[Row("app", "users", None)], "app.users")]
    #[case("APP.USERS", &[Row("app", "users", None)], "app.users")]
    #[case("App.Users", &[Row("App", "Users", None), Row("app", "users", None)], "App.Users")]
    #[case("\"app\".Users", &[Row("App", "Users", None), Row("app", "users", None)], "app.users")]
    #[case("public.users", &[Row("app", "users", Some(1))], "unknown")]
    // Schemas the path ranks equally (a catalog read without a search
    // path): an unqualified name found in several is ambiguous, naming each.
    #[case("users", &[Row("a", "users", Some(1)), Row("b", "users", Some(1))], "ambiguous: a.users, b.users")]
    #[case("Users", &[Row("a", "Users", Some(1)), Row("b", "users", Some(1))], "a.Users")]
    #[case("a.users", &[Row("a", "users", Some(1)), Row("b", "users", Some(1))], "a.users")]
    // Names are cut to 63 bytes as the server cuts them.
    #[case(&"x".repeat(70), &[Row("public", Box::leak("x".repeat(63).into_boxed_str()), Some(1))], &format!("public.{}", "x".repeat(63)))]
    fn resolves(#[case] input: &str, #[case] rows: &[Row], #[case] expected: &str) {
        assert_eq!(outcome(input, rows), expected);
    }

    fn db() -> Vec<Row> {
        vec![
            Row("public", "users", Some(2)),
            Row("public", "user_roles", Some(2)),
            Row("public", "posts", Some(2)),
            Row("public", "MixedCase", Some(2)),
            Row("public", "order_items", Some(2)),
            Row("public", "my.table", Some(2)),
            Row("app", "my table", None),
            Row("app", "users", None),
            Row("app", "accounts", None),
            Row("public", "Users", Some(2)),
        ]
    }

    #[rstest]
    // Edit distance, case-insensitive; on the path first, then the closer
    // spelling with case.
    #[case("usres", &["public.users", "public.Users", "app.users"])]
    #[case("posst", &["public.posts"])]
    #[case("mixedcas", &["public.MixedCase"])]
    // The very name in another case or schema: only those.
    #[case("mixedcase", &["public.MixedCase"])]
    #[case("\"Posts\"", &["public.posts"])]
    #[case("accounts", &["app.accounts"])]
    #[case("my table", &["app.my table"])]
    // A dot that needed quotes: the whole text is a table's name.
    #[case("my.table", &["public.my.table"])]
    // Prefixes of at least three characters, when nothing is close.
    #[case("order", &["public.order_items"])]
    #[case("post", &["public.posts"])]
    #[case("user_", &["public.users", "public.Users", "app.users"])]
    // Qualified names compare as schema.name.
    #[case("app.usr", &["app.users"])]
    #[case("ap.users", &["app.users"])]
    #[case("publc.posts", &["public.posts"])]
    #[case("\"my tabel\"", &["app.my table", "public.my.table"])]
    #[case("zzzzzz", &[])]
    #[case("ab", &[])]
    fn suggestions(#[case] input: &str, #[case] expected: &[&str]) {
        let rows = db();
        assert_eq!(shown(&suggest(&table(input), &rows)), expected);
    }

    #[test]
    fn at_most_three_suggestions() {
        let rows = vec![
            Row("a", "t1", Some(1)),
            Row("b", "t1", Some(2)),
            Row("c", "t1", None),
            Row("d", "t1", None),
        ];
        assert_eq!(
            shown(&suggest(&table("T1"), &rows)),
            ["a.t1", "b.t1", "c.t1"]
        );
    }

    fn schemas() -> Vec<String> {
        ["app", "public", "We.ird", "Sales"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[rstest]
    #[case("app", Some("app"))]
    #[case("APP", Some("app"))]
    #[case("\"App\"", None)]
    #[case("Sales", Some("Sales"))]
    #[case("sales", None)]
    #[case("\"We.ird\"", Some("We.ird"))]
    fn resolves_schemas(#[case] input: &str, #[case] expected: Option<&str>) {
        let typed = parse_schema_names(&[input.to_owned()]).unwrap().remove(0);
        let all = schemas();
        assert_eq!(resolve_schema(&typed, &all).map(String::as_str), expected);
    }

    #[rstest]
    #[case("\"App\"", &["app"])]
    #[case("sales", &["Sales"])]
    #[case("pubic", &["public"])]
    #[case("nothing", &[])]
    fn suggests_schemas(#[case] input: &str, #[case] expected: &[&str]) {
        let typed = parse_schema_names(&[input.to_owned()]).unwrap().remove(0);
        let all = schemas();
        let got: Vec<&str> = suggest_schemas(&typed, &all)
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(got, expected);
    }
}
