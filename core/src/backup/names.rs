//! Names as backups show them, and as pg_dump must receive them.
//!
//! Users type table and schema names with the grammar every command
//! shares, [`crate::catalog`]: quoted parts exact, unquoted parts exact
//! when such a relation exists and else folded to lower case; no patterns
//! (`*` is a star).
//!
//! pg_dump's `-t`/`-n` take *patterns* in which `*`, `?`, `.` and regular
//! expression characters are special and unquoted letters are folded to
//! lower case. Every name we pass is therefore fully qualified and quoted
//! (`"app"."my table"`), the one form in which pg_dump matches the
//! characters literally.

use std::fmt;

/// A relation with its schema, as the catalog names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName {
    /// The schema.
    pub schema: String,
    /// The relation.
    pub name: String,
}

impl QualifiedName {
    /// The pg_dump pattern that matches exactly this relation.
    pub fn pg_dump_pattern(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// `schema.name` as a user would type it under our rules (quoted where a
/// bare part would not read back the same).
impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", user_part(&self.schema), user_part(&self.name))
    }
}

/// A name part as the user would type it: bare when reading it back bare
/// gives the same name (an unquoted part finds its exact spelling first),
/// else quoted.
pub(crate) fn user_part(name: &str) -> String {
    let bare_ok = !name.is_empty()
        && !name.starts_with('"')
        && !name.contains(['.', ','])
        && name.trim() == name;
    if bare_ok {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// SQL's quoted identifier (and pg_dump's literal pattern part): `"` around,
/// `"` doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal that reads back as `text` whatever
/// `standard_conforming_strings` is: `E'...'` with `\` and `'` escaped
/// when there is a backslash, plain `'...'` otherwise.
pub fn quote_literal(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse_table_names;
    use rstest::rstest;

    #[rstest]
    #[case("public", "users", "\"public\".\"users\"")]
    #[case("app", "my table", "\"app\".\"my table\"")]
    #[case("we.ird", "x\"y*?$", "\"we.ird\".\"x\"\"y*?$\"")]
    fn patterns_are_quoted(#[case] schema: &str, #[case] name: &str, #[case] pattern: &str) {
        let q = QualifiedName {
            schema: schema.into(),
            name: name.into(),
        };
        assert_eq!(q.pg_dump_pattern(), pattern);
    }

    #[rstest]
    #[case("users", "users")]
    #[case("MixedCase", "MixedCase")]
    #[case("my table", "my table")]
    #[case("my.table", "\"my.table\"")]
    #[case("a,b", "\"a,b\"")]
    #[case("\"q", "\"\"\"q\"")]
    #[case("a\"b", "a\"b")]
    #[case(" x", "\" x\"")]
    fn display_reads_back(#[case] name: &str, #[case] shown: &str) {
        assert_eq!(user_part(name), shown);
        let back = parse_table_names(&[shown.to_owned()]).expect("reads back");
        assert_eq!(back.len(), 1);
        assert!(back[0].schema().is_none());
        // The first spelling looked up is the name itself.
        assert_eq!(back[0].name().spellings()[0], name);
    }

    #[rstest]
    #[case("plain", "'plain'")]
    #[case("it's", "'it''s'")]
    #[case("back\\slash'", "E'back\\\\slash'''")]
    fn literals(#[case] text: &str, #[case] literal: &str) {
        assert_eq!(quote_literal(text), literal);
    }
}
