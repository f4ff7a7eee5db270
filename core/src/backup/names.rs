//! Names as users type them, and as pg_dump must receive them.
//!
//! A user names a table `users`, `MixedCase`, `app.users`, `app."my table"`
//! or `"my.table"`. The rules, chosen so that every existing name can be
//! written and none is ever guessed:
//!
//! - A list is split at commas; space around items is ignored.
//! - An item is `name` or `schema.name`; a part is either bare or in double
//!   quotes.
//! - A bare part is taken *exactly*: no case folding (`MixedCase` is the
//!   table `MixedCase`), no patterns (`*` is a star). It ends at `.` or `,`;
//!   a `"` inside it (`a"b`) is part of the name.
//! - A quoted part is SQL's quoted identifier: `""` for one `"`; it may
//!   hold `.`, `,` and leading or trailing space.
//!
//! pg_dump's `-t`/`-n` take *patterns* in which `*`, `?`, `.` and regular
//! expression characters are special and unquoted letters are folded to
//! lower case. Every name we pass is therefore fully qualified and quoted
//! (`"app"."my table"`), the one form in which pg_dump matches the
//! characters literally.

use std::fmt;

use super::error::BackupError;

/// A relation name as the user gave it: the schema is optional.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationName {
    /// The schema, when the user qualified the name.
    pub schema: Option<String>,
    /// The relation's name, exactly.
    pub name: String,
}

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

impl fmt::Display for RelationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{}.", user_part(schema))?;
        }
        f.write_str(&user_part(&self.name))
    }
}

/// A name part as the user would type it: bare when reading it back bare
/// gives the same name, else quoted.
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

/// Splits `input` at commas outside double quotes and reads each item as
/// `[schema.]name` (see the module rules). Empty items are skipped.
///
/// # Errors
///
/// [`BackupError::BadName`] for an unterminated quote, text after a
/// closing quote, an empty part or more than two parts.
pub fn parse_relation_list(input: &str) -> Result<Vec<RelationName>, BackupError> {
    let mut out = Vec::new();
    for item in split_items(input, "table name")? {
        let parts = split_parts(&item, "table name")?;
        let bad = |reason: &str| BackupError::BadName {
            what: "table name",
            input: item.clone(),
            reason: reason.to_string(),
        };
        match <[String; 1]>::try_from(parts) {
            Ok([name]) => out.push(RelationName { schema: None, name }),
            Err(parts) => match <[String; 2]>::try_from(parts) {
                Ok([schema, name]) => out.push(RelationName {
                    schema: Some(schema),
                    name,
                }),
                Err(_) => {
                    return Err(bad(
                        "expected [schema.]table; put a name that contains a dot in double quotes, e.g. app.\"my.table\"",
                    ));
                }
            },
        }
    }
    Ok(out)
}

/// Splits `input` at commas outside double quotes and reads each item as
/// one schema name. Empty items are skipped.
///
/// # Errors
///
/// [`BackupError::BadName`] as for [`parse_relation_list`], and for a bare
/// name with a dot.
pub fn parse_schema_list(input: &str) -> Result<Vec<String>, BackupError> {
    let mut out = Vec::new();
    for item in split_items(input, "schema name")? {
        let mut parts = split_parts(&item, "schema name")?;
        if parts.len() != 1 {
            return Err(BackupError::BadName {
                what: "schema name",
                input: item,
                reason: "a schema name has no dot; put a name that contains one in double quotes, e.g. \"my.schema\"".to_string(),
            });
        }
        out.push(parts.remove(0));
    }
    Ok(out)
}

/// The items of a comma-separated list, quotes kept, space trimmed.
fn split_items(input: &str, what: &'static str) -> Result<Vec<String>, BackupError> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in input.chars() {
        match c {
            '"' => {
                // A quote opens a quoted part only at the start of a part;
                // inside a bare part (`a"b`) it is a plain character.
                let at_part_start = current.trim().is_empty() || current.ends_with('.');
                if in_quotes || at_part_start {
                    in_quotes = !in_quotes;
                }
                current.push(c);
            }
            ',' if !in_quotes => {
                items.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    if in_quotes {
        return Err(BackupError::BadName {
            what,
            input: current.trim().to_string(),
            reason:
                "the double quote is not closed; write \"\" for a double quote inside a quoted name"
                    .to_string(),
        });
    }
    items.push(current);
    Ok(items
        .into_iter()
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect())
}

/// The dot-separated parts of one item, unquoted.
fn split_parts(item: &str, what: &'static str) -> Result<Vec<String>, BackupError> {
    let bad = |reason: &str| BackupError::BadName {
        what,
        input: item.to_string(),
        reason: reason.to_string(),
    };
    let mut parts = Vec::new();
    let mut chars = item.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(bad("the double quote is not closed")),
                }
            }
            match chars.peek() {
                None | Some('.') => {}
                Some(_) => {
                    return Err(bad(
                        "text follows a closing double quote; quote the whole name, and write \"\" for a double quote inside it",
                    ));
                }
            }
            if part.is_empty() {
                return Err(bad("a quoted name cannot be empty"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c);
                chars.next();
            }
            if part.is_empty() {
                return Err(bad("a name is empty (two dots, or a dot at an end)"));
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {
                if chars.peek().is_none() {
                    return Err(bad("a name is empty (two dots, or a dot at an end)"));
                }
            }
            Some(_) => unreachable!("parts end at a dot or at the end"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn rel(schema: Option<&str>, name: &str) -> RelationName {
        RelationName {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[rstest]
    #[case("users", vec![rel(None, "users")])]
    #[case("users,posts, comments", vec![rel(None, "users"), rel(None, "posts"), rel(None, "comments")])]
    #[case("MixedCase", vec![rel(None, "MixedCase")])]
    #[case("\"MixedCase\"", vec![rel(None, "MixedCase")])]
    #[case("app.users", vec![rel(Some("app"), "users")])]
    #[case("app.\"my table\"", vec![rel(Some("app"), "my table")])]
    #[case("app.my table", vec![rel(Some("app"), "my table")])]
    #[case("\"my.table\"", vec![rel(None, "my.table")])]
    #[case("\"a,b\",c", vec![rel(None, "a,b"), rel(None, "c")])]
    #[case("a\"b", vec![rel(None, "a\"b")])]
    #[case("\"a\"\"b\"", vec![rel(None, "a\"b")])]
    #[case("\"we.ird\".\"x\"\"y.z\"", vec![rel(Some("we.ird"), "x\"y.z")])]
    #[case("star*?", vec![rel(None, "star*?")])]
    #[case("\" padded \"", vec![rel(None, " padded ")])]
    #[case(" , users ,", vec![rel(None, "users")])]
    #[case("", vec![])]
    fn reads_names(#[case] input: &str, #[case] expected: Vec<RelationName>) {
        assert_eq!(parse_relation_list(input), Ok(expected));
    }

    #[rstest]
    #[case("\"open", "the double quote is not closed")]
    #[case("a.\"open", "the double quote is not closed")]
    #[case("\"ab\"cd", "text follows a closing double quote")]
    #[case("a..b", "a name is empty")]
    #[case("a.", "a name is empty")]
    #[case(".a", "a name is empty")]
    #[case("db.app.users", "expected [schema.]table")]
    #[case("\"\"", "a quoted name cannot be empty")]
    fn refuses_bad_names(#[case] input: &str, #[case] reason: &str) {
        let err = parse_relation_list(input).expect_err("must fail");
        let text = err.to_string();
        assert!(text.contains(reason), "{text}");
        assert!(text.starts_with("cannot read table name"), "{text}");
    }

    #[test]
    fn schemas_have_one_part() {
        assert_eq!(
            parse_schema_list("app, \"My.Schema\",public"),
            Ok(vec!["app".into(), "My.Schema".into(), "public".into()])
        );
        let err = parse_schema_list("my.schema").expect_err("dot");
        assert!(err.to_string().contains("\"my.schema\""), "{err}");
    }

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
    #[case(" x", "\" x\"")]
    fn display_reads_back(#[case] name: &str, #[case] shown: &str) {
        assert_eq!(user_part(name), shown);
        let back = parse_relation_list(shown).expect("reads back");
        assert_eq!(back, vec![rel(None, name)]);
    }

    #[rstest]
    #[case("plain", "'plain'")]
    #[case("it's", "'it''s'")]
    #[case("back\\slash'", "E'back\\\\slash'''")]
    fn literals(#[case] text: &str, #[case] literal: &str) {
        assert_eq!(quote_literal(text), literal);
    }
}
