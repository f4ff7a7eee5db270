//! The catalog rows schema inspection resolves names against, and names
//! that matched nothing. The rule itself is [`crate::catalog::resolve`],
//! shared with `backup`.

use std::fmt;

use serde_json::{Value, json};

use super::error::SchemaError;
use super::model::RelationKind;
use crate::catalog::{CatalogEntry, qualified_name};
use crate::wire::DataRow;

pub use crate::catalog::MAX_SUGGESTIONS;

/// A relation as [`list_relations_sql`](super::sql::list_relations_sql)
/// and [`resolve_names_sql`](super::sql::resolve_names_sql) return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// `pg_class.oid`.
    pub oid: u32,
    /// Schema name.
    pub schema: String,
    /// Relation name.
    pub name: String,
    /// Table, view, ...
    pub kind: RelationKind,
    /// 1-based position of the schema in `current_schemas(true)`; `None`
    /// when an unqualified name would not find it.
    pub path_position: Option<u32>,
}

impl Relation {
    /// Reads a row of `list_relations_sql`, starting at column `first`
    /// (`resolve_names_sql` has the request index before it).
    pub fn from_row(
        row: &DataRow,
        first: usize,
        step: &'static str,
    ) -> Result<Relation, SchemaError> {
        let bad = |what: &str| SchemaError::UnexpectedResult {
            step,
            detail: format!("{what} missing or malformed"),
        };
        let text = |i: usize, what: &str| row.get_str(first + i).ok_or_else(|| bad(what));
        Ok(Relation {
            oid: text(0, "oid")?.parse().map_err(|_| bad("oid"))?,
            schema: text(1, "schema")?.to_owned(),
            name: text(2, "name")?.to_owned(),
            kind: RelationKind::from_relkind(text(3, "relkind")?).ok_or_else(|| bad("relkind"))?,
            path_position: match row.get_str(first + 4) {
                None => None,
                Some(p) => Some(p.parse().map_err(|_| bad("path position"))?),
            },
        })
    }

    /// The name as SQL needs it typed here: bare when on the search path,
    /// else schema-qualified; quoted where needed.
    pub fn sql_name(&self) -> String {
        qualified_name(&self.schema, &self.name, self.path_position.is_none())
    }
}

impl CatalogEntry for Relation {
    fn schema_name(&self) -> &str {
        &self.schema
    }

    fn relation_name(&self) -> &str {
        &self.name
    }

    fn search_path(&self) -> Option<u32> {
        self.path_position
    }
}

/// A name that matched nothing, with the closest existing names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTable {
    /// The name as the user typed it.
    pub input: String,
    /// Up to [`MAX_SUGGESTIONS`] relations, closest first.
    pub suggestions: Vec<Relation>,
}

impl UnknownTable {
    /// `{"table": "usres", "suggestions": ["users"]}`, suggestions as SQL
    /// names ready to type.
    pub fn to_json(&self) -> Value {
        json!({
            "table": self.input,
            "suggestions": self.suggestions.iter().map(Relation::sql_name).collect::<Vec<_>>(),
        })
    }
}

/// `unknown table "usres"; did you mean "users"?` — names are shown in
/// double quotes the way PostgreSQL's messages show them, unless they carry
/// SQL quotes of their own (`did you mean "MixedCase" or app."my table"?`).
impl fmt::Display for UnknownTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown table {}", in_quotes(&self.input))?;
        let names: Vec<String> = self
            .suggestions
            .iter()
            .map(|r| in_quotes(&r.sql_name()))
            .collect();
        match names.as_slice() {
            [] => Ok(()),
            [one] => write!(f, "; did you mean {one}?"),
            [init @ .., last] => write!(f, "; did you mean {} or {last}?", init.join(", ")),
        }
    }
}

fn in_quotes(name: &str) -> String {
    if name.contains('"') {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rstest::rstest;

    use super::*;
    use crate::catalog::{Resolution, TableName, resolve, suggest};
    use crate::schema::parse_table_names;
    use crate::text::edit_distance_chars as edit_distance;

    fn rel(schema: &str, name: &str, path: Option<u32>) -> Relation {
        Relation {
            oid: 1,
            schema: schema.into(),
            name: name.into(),
            kind: RelationKind::Table,
            path_position: path,
        }
    }

    fn table(input: &str) -> TableName {
        parse_table_names(&[input.to_owned()]).unwrap().remove(0)
    }

    fn db() -> Vec<Relation> {
        vec![
            rel("public", "users", Some(2)),
            rel("public", "user_roles", Some(2)),
            rel("public", "posts", Some(2)),
            rel("public", "MixedCase", Some(2)),
            rel("public", "order_items", Some(2)),
            rel("app", "my table", None),
            rel("app", "users", None),
            rel("public", "Users", Some(2)),
        ]
    }

    #[rstest]
    #[case("usres", &["users", "\"Users\"", "app.users"])]
    #[case("posst", &["posts"])]
    #[case("mixedcas", &["\"MixedCase\""])]
    #[case("\"Posts\"", &["posts"])]
    #[case("order", &["order_items"])]
    #[case("app.usr", &["app.users"])]
    #[case("publc.posts", &["posts"])]
    #[case("\"my tabel\"", &["app.\"my table\""])]
    #[case("zzzzzz", &[])]
    #[case("ab", &[])]
    fn suggestions(#[case] input: &str, #[case] expected: &[&str]) {
        let got: Vec<String> = suggest(&table(input), &db())
            .iter()
            .map(|r| r.sql_name())
            .collect();
        assert_eq!(got, expected);
    }

    #[rstest]
    #[case(&["users"], "unknown table \"usres\"; did you mean \"users\"?")]
    #[case(&["users", "\"Users\""], "unknown table \"usres\"; did you mean \"users\" or \"Users\"?")]
    #[case(&["users", "app.\"my table\"", "posts"], "unknown table \"usres\"; did you mean \"users\", app.\"my table\" or \"posts\"?")]
    #[case(&[], "unknown table \"usres\"")]
    fn unknown_table_message(#[case] names: &[&str], #[case] expected: &str) {
        let all = db();
        let suggestions = names
            .iter()
            .map(|n| all.iter().find(|r| r.sql_name() == *n).unwrap().clone())
            .collect();
        let unknown = UnknownTable {
            input: "usres".into(),
            suggestions,
        };
        assert_eq!(unknown.to_string(), expected);
    }

    #[rstest]
    #[case("kitten", "sitting", 3)]
    #[case("usres", "users", 1)]
    #[case("", "abc", 3)]
    #[case("abc", "abc", 0)]
    #[case("ca", "abc", 3)]
    fn distances(#[case] a: &str, #[case] b: &str, #[case] expected: usize) {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        assert_eq!(edit_distance(&a, &b), expected);
    }

    #[rstest]
    // The exact spelling first, wherever it is on the path.
    #[case("Users", &[("app", "Users", Some(1)), ("public", "users", Some(2))], Some(("app", "Users")))]
    #[case("Users", &[("app", "users", Some(1)), ("public", "Users", Some(2))], Some(("public", "Users")))]
    // The folded spelling when no exact one exists.
    #[case("USERS", &[("app", "Users", Some(1)), ("public", "users", Some(2))], Some(("public", "users")))]
    // Exact spelling when nothing folds.
    #[case("Users", &[("app", "Users", Some(1))], Some(("app", "Users")))]
    // Quoted: exact only.
    #[case("\"Users\"", &[("public", "users", Some(1))], None)]
    // Search path order decides between schemas.
    #[case("users", &[("b", "users", Some(3)), ("a", "users", Some(2))], Some(("a", "users")))]
    // Unqualified names do not reach schemas off the path.
    #[case("users", &[("app", "users", None)], None)]
    // Qualified names do.
    #[case("app.users", &[("app", "users", None)], Some(("app", "users")))]
    #[case("App.Users", &[("App", "Users", None), ("app", "users", None)], Some(("App", "Users")))]
    #[case("APP.USERS", &[("App", "Users", None), ("app", "users", None)], Some(("app", "users")))]
    #[case("App.Users", &[("App", "Users", None)], Some(("App", "Users")))]
    fn choosing(
        #[case] input: &str,
        #[case] candidates: &[(&str, &str, Option<u32>)],
        #[case] expected: Option<(&str, &str)>,
    ) {
        let candidates: Vec<Relation> = candidates.iter().map(|(s, n, p)| rel(s, n, *p)).collect();
        let got = match resolve(&table(input), &candidates) {
            Resolution::Found(r) => Some((r.schema.as_str(), r.name.as_str())),
            Resolution::Unknown => None,
            Resolution::Ambiguous(found) => panic!("ambiguous: {found:?}"),
        };
        assert_eq!(got, expected);
    }
}
