//! What the database holds, read before the dump: the server version, and
//! the relations and schemas that user-given names must match.
//!
//! pg_dump with `--strict-names` would also refuse an unknown name, but
//! only after it started, and without saying what was meant. Resolving the
//! names first lets an unknown table fail before any work, with
//! suggestions, and gives the progress display its total.

use super::error::BackupError;
use super::names::{QualifiedName, quote_ident, user_part};
use super::options::BackupOptions;
use super::version::ServerVersion;
use crate::catalog::{
    CatalogEntry, Identifier, NameError, Resolution, TableName, parse_schema_names,
    parse_table_names, resolve, resolve_schema, suggest, suggest_schemas,
};
use crate::wire::DataRow;

/// The queries to run (one simple-query round trip, three result sets):
/// the server version; every relation pg_dump's `-t` can match (tables,
/// partitioned tables, views, materialized views, foreign tables,
/// sequences) outside the system schemas, with whether the default search
/// path sees it (pg_dump resolves unqualified patterns the same way) and
/// whether an extension owns it; and the non-system schemas.
pub const CATALOG_QUERY: &str = "\
SELECT pg_catalog.current_setting('server_version_num'), pg_catalog.current_setting('server_version');
SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_table_is_visible(c.oid),
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND d.objid = c.oid AND d.deptype = 'e')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
ORDER BY 1, 2;
SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
ORDER BY 1;
";

pub use crate::catalog::RelationKind;

/// One relation of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Schema and name.
    pub name: QualifiedName,
    /// What it is.
    pub kind: RelationKind,
    /// The default search path finds it by its bare name.
    pub visible: bool,
    /// An extension owns it (pg_dump leaves it to `CREATE EXTENSION`).
    pub extension_member: bool,
}

/// The default search path of the backup's session is the one pg_dump
/// resolves unqualified names with; a visible relation is the first of its
/// name there, so one position serves them all.
impl CatalogEntry for Relation {
    fn schema_name(&self) -> &str {
        &self.name.schema
    }

    fn relation_name(&self) -> &str {
        &self.name.name
    }

    fn search_path(&self) -> Option<u32> {
        self.visible.then_some(1)
    }
}

/// What [`CATALOG_QUERY`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The server's version.
    pub server_version: ServerVersion,
    /// The server's version as it prints it (`15.18 (Debian ...)`).
    pub server_version_text: String,
    /// Every dumpable relation outside the system schemas.
    pub relations: Vec<Relation>,
    /// Every schema outside the system schemas.
    pub schemas: Vec<String>,
}

impl Catalog {
    /// Reads the three result sets of [`CATALOG_QUERY`].
    ///
    /// # Errors
    ///
    /// [`BackupError::Catalog`] when a result set is missing or malformed.
    pub fn from_rows(
        version: &[DataRow],
        relations: &[DataRow],
        schemas: &[DataRow],
    ) -> Result<Catalog, BackupError> {
        let malformed = |what: &str| BackupError::Catalog {
            message: format!("unexpected answer to the {what} query"),
        };
        let row = version.first().ok_or_else(|| malformed("version"))?;
        let server_version = row
            .get_str(0)
            .and_then(|v| v.trim().parse().ok())
            .map(ServerVersion)
            .ok_or_else(|| malformed("version"))?;
        let server_version_text = row.get_str(1).unwrap_or_default().to_string();
        let relations = relations
            .iter()
            .map(|row| {
                let text = |i| row.get_str(i).ok_or_else(|| malformed("relation"));
                Ok(Relation {
                    name: QualifiedName {
                        schema: text(0)?.to_string(),
                        name: text(1)?.to_string(),
                    },
                    kind: RelationKind::from_relkind(text(2)?)
                        .ok_or_else(|| malformed("relation"))?,
                    visible: text(3)? == "t",
                    extension_member: text(4)? == "t",
                })
            })
            .collect::<Result<Vec<_>, BackupError>>()?;
        let schemas = schemas
            .iter()
            .map(|row| {
                row.get_str(0)
                    .map(str::to_string)
                    .ok_or_else(|| malformed("schema"))
            })
            .collect::<Result<Vec<_>, BackupError>>()?;
        Ok(Catalog {
            server_version,
            server_version_text,
            relations,
            schemas,
        })
    }

    /// Resolves the names of `options` against the catalog.
    ///
    /// # Errors
    ///
    /// [`BackupError::BadName`] for a name that cannot be read,
    /// [`BackupError::UnknownTable`] and [`BackupError::UnknownSchema`]
    /// for a name that matches nothing, with close names as suggestions.
    pub fn select(&self, options: &BackupOptions) -> Result<Selection, BackupError> {
        let tables = self.resolve_tables(&options.tables, "table")?;
        let exclude = self.resolve_tables(&options.exclude_tables, "excluded table")?;
        let mut schemas: Vec<String> = Vec::new();
        for typed in parse_schema_names(&options.schemas).map_err(bad_name("schema name"))? {
            let schema = resolve_schema(&typed, &self.schemas).ok_or_else(|| {
                BackupError::UnknownSchema {
                    name: as_typed(&typed),
                    suggestions: suggest_schemas(&typed, &self.schemas)
                        .into_iter()
                        .map(|s| user_part(s))
                        .collect(),
                }
            })?;
            if !schemas.contains(schema) {
                schemas.push(schema.clone());
            }
        }
        let in_backup: Vec<&Relation> = self
            .relations
            .iter()
            .filter(|r| {
                let chosen = if !tables.is_empty() {
                    tables.contains(&r.name)
                } else if !schemas.is_empty() {
                    schemas.contains(&r.name.schema) && !r.extension_member
                } else {
                    !r.extension_member
                };
                chosen && !exclude.contains(&r.name)
            })
            .collect();
        // The tables that hold rows: what pg_dump's progress counts. A
        // partitioned table is counted through its partitions and a foreign
        // table's rows live elsewhere; counting them too made a summary say
        // 70 tables after progress had counted to 69.
        let table_count = in_backup
            .iter()
            .filter(|r| r.kind == RelationKind::Table)
            .count();
        let data_tables = if options.schema_only { 0 } else { table_count };
        Ok(Selection {
            tables,
            schemas,
            exclude_tables: exclude,
            table_count,
            data_tables,
        })
    }

    fn resolve_tables(
        &self,
        items: &[String],
        what: &'static str,
    ) -> Result<Vec<QualifiedName>, BackupError> {
        let mut out: Vec<QualifiedName> = Vec::new();
        for name in parse_table_names(items).map_err(bad_name("table name"))? {
            let found = match resolve(&name, &self.relations) {
                Resolution::Found(relation) => relation.name.clone(),
                Resolution::Ambiguous(relations) => {
                    return Err(ambiguous(&name, &relations));
                }
                Resolution::Unknown => {
                    return Err(BackupError::UnknownTable {
                        what,
                        name: name.input().to_owned(),
                        suggestions: suggest(&name, &self.relations)
                            .into_iter()
                            .map(Relation::shown)
                            .collect(),
                    });
                }
            };
            if !out.contains(&found) {
                out.push(found);
            }
        }
        Ok(out)
    }
}

impl Relation {
    /// As a user would type it here: bare when the search path finds it,
    /// else qualified.
    fn shown(&self) -> String {
        if self.visible {
            user_part(&self.name.name)
        } else {
            self.name.to_string()
        }
    }
}

fn bad_name(what: &'static str) -> impl Fn(NameError) -> BackupError {
    move |e| BackupError::BadName {
        what,
        input: e.input().to_owned(),
        reason: e.reason(),
    }
}

/// Cannot arise from one session's catalog (one visible relation per
/// name), but a name matching several relations must never pick one.
fn ambiguous(name: &TableName, relations: &[&Relation]) -> BackupError {
    let names: Vec<String> = relations.iter().map(|r| r.name.to_string()).collect();
    BackupError::BadName {
        what: "table name",
        input: name.input().to_owned(),
        reason: format!(
            "it matches {}; qualify it with its schema",
            names.join(", ")
        ),
    }
}

/// A schema name as the user typed it: quoted if it was.
fn as_typed(name: &Identifier) -> String {
    if name.is_quoted() {
        quote_ident(name.text())
    } else {
        name.text().to_owned()
    }
}

/// The tables and schemas pg_dump gets, resolved and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// `--table` patterns (empty: all tables).
    pub tables: Vec<QualifiedName>,
    /// `--schema` patterns (empty: all schemas).
    pub schemas: Vec<String>,
    /// `--exclude-table` patterns.
    pub exclude_tables: Vec<QualifiedName>,
    /// Tables that hold rows (partitions included; partitioned parents and
    /// foreign tables not), in the backup: the count the result reports.
    pub table_count: usize,
    /// Tables whose rows the backup holds: the progress total.
    pub data_tables: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::edit_distance as distance;
    use bytes::{BufMut, Bytes, BytesMut};
    use rstest::rstest;

    fn row(values: &[&str]) -> DataRow {
        let mut body = BytesMut::new();
        let mut ranges = Vec::new();
        for v in values {
            let start = body.len();
            body.put_slice(v.as_bytes());
            ranges.push(Some(start..body.len()));
        }
        DataRow::new(Bytes::from(body), ranges)
    }

    fn catalog() -> Catalog {
        let rels = [
            ["public", "users", "r", "t", "f"],
            ["public", "posts", "r", "t", "f"],
            ["public", "MixedCase", "r", "t", "f"],
            ["public", "my.table", "r", "t", "f"],
            ["public", "events", "p", "t", "f"],
            ["public", "events_2024", "r", "t", "f"],
            ["public", "active_users", "v", "t", "f"],
            ["public", "users_id_seq", "S", "t", "f"],
            ["public", "spatial_ref_sys", "r", "t", "t"],
            ["app", "my table", "r", "f", "f"],
            ["app", "users", "r", "f", "f"],
            ["app", "a\"b", "r", "f", "f"],
        ];
        let rels: Vec<DataRow> = rels.iter().map(|r| row(r)).collect();
        let schemas: Vec<DataRow> = ["app", "public", "We.ird"]
            .iter()
            .map(|s| row(&[s]))
            .collect();
        Catalog::from_rows(&[row(&["150018", "15.18 (Debian)"])], &rels, &schemas).expect("catalog")
    }

    fn opts(edit: impl FnOnce(&mut BackupOptions)) -> BackupOptions {
        let mut o = BackupOptions::default();
        edit(&mut o);
        o
    }

    fn q(schema: &str, name: &str) -> QualifiedName {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    #[test]
    fn reads_the_catalog() {
        let c = catalog();
        assert_eq!(c.server_version, ServerVersion(150_018));
        assert_eq!(c.relations.len(), 12);
        assert_eq!(c.schemas, vec!["app", "public", "We.ird"]);
    }

    #[test]
    fn whole_database_counts_tables_and_leaves_extension_tables_out() {
        let s = catalog()
            .select(&BackupOptions::default())
            .expect("selects");
        assert!(s.tables.is_empty() && s.schemas.is_empty());
        // users posts MixedCase my.table events_2024 + app's three (the
        // partitioned events holds no rows of its own)
        assert_eq!(s.table_count, 8);
        // The summary's count and the progress total agree.
        assert_eq!(s.data_tables, s.table_count);
        let s = catalog()
            .select(&opts(|o| o.schema_only = true))
            .expect("selects");
        assert_eq!(s.data_tables, 0);
    }

    #[rstest]
    #[case("users", q("public", "users"))]
    #[case("app.users", q("app", "users"))]
    #[case("MixedCase", q("public", "MixedCase"))]
    #[case("\"my.table\"", q("public", "my.table"))]
    #[case("app.\"my table\"", q("app", "my table"))]
    #[case("app.\"a\"\"b\"", q("app", "a\"b"))]
    #[case("app.a\"b", q("app", "a\"b"))]
    #[case("active_users", q("public", "active_users"))]
    // Unquoted parts fall back to the folded spelling, as in SQL.
    #[case("USERS", q("public", "users"))]
    #[case("App.Users", q("app", "users"))]
    #[case("Active_Users", q("public", "active_users"))]
    fn resolves_exact_names(#[case] typed: &str, #[case] expected: QualifiedName) {
        let s = catalog()
            .select(&opts(|o| o.tables = vec![typed.into()]))
            .expect("resolves");
        assert_eq!(s.tables, vec![expected]);
    }

    #[test]
    fn lists_are_split_and_deduplicated() {
        let s = catalog()
            .select(&opts(|o| {
                o.tables = vec!["users,posts".into(), "users".into(), "active_users".into()];
                o.exclude_tables = vec!["posts".into()];
            }))
            .expect("resolves");
        assert_eq!(
            s.tables,
            vec![
                q("public", "users"),
                q("public", "posts"),
                q("public", "active_users")
            ]
        );
        assert_eq!(s.exclude_tables, vec![q("public", "posts")]);
        assert_eq!(s.table_count, 1);
        assert_eq!(s.data_tables, 1);
    }

    #[rstest]
    #[case(
        "usres",
        "table usres does not exist; did you mean one of users, app.users?"
    )]
    #[case("mixedcase", "table mixedcase does not exist; did you mean MixedCase?")]
    #[case(
        "my table",
        "table my table does not exist; did you mean app.my table?"
    )]
    #[case("ap.users", "table ap.users does not exist; did you mean app.users?")]
    #[case("nothing_like_it", "table nothing_like_it does not exist")]
    #[case(
        "my.table",
        "table my.table does not exist; did you mean \"my.table\"?"
    )]
    fn unknown_tables_come_with_suggestions(#[case] typed: &str, #[case] message: &str) {
        let e = catalog()
            .select(&opts(|o| o.tables = vec![typed.into()]))
            .expect_err("unknown");
        assert_eq!(e.to_string(), message);
    }

    #[test]
    fn excluded_tables_must_exist_too() {
        let e = catalog()
            .select(&opts(|o| o.exclude_tables = vec!["post".into()]))
            .expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "excluded table post does not exist; did you mean posts?"
        );
    }

    #[test]
    fn schemas_follow_the_table_rule() {
        let s = catalog()
            .select(&opts(|o| o.schemas = vec!["app, \"We.ird\"".into()]))
            .expect("resolves");
        assert_eq!(s.schemas, vec!["app", "We.ird"]);
        assert_eq!(s.table_count, 3);
        // Unquoted: folded when no schema has the exact spelling.
        let s = catalog()
            .select(&opts(|o| o.schemas = vec!["App,APP".into()]))
            .expect("folds");
        assert_eq!(s.schemas, vec!["app"]);
        // Quoted: exact.
        let e = catalog()
            .select(&opts(|o| o.schemas = vec!["\"App\"".into()]))
            .expect_err("case matters when quoted");
        assert_eq!(
            e.to_string(),
            "schema \"App\" does not exist; did you mean app?"
        );
        let e = catalog()
            .select(&opts(|o| o.schemas = vec!["my.schema".into()]))
            .expect_err("dot");
        assert!(e.to_string().contains("\"my.schema\""), "{e}");
    }

    #[rstest]
    #[case(
        "\"open",
        "cannot read table name \"\"open\": unterminated quote: close the name with \""
    )]
    #[case("\"ab\"cd", "cannot read table name \"\"ab\"cd\": misplaced quote")]
    #[case("a..b", "cannot read table name \"a..b\": empty name")]
    #[case(
        "db.app.users",
        "cannot read table name \"db.app.users\": too many dots"
    )]
    #[case("\"\"", "cannot read table name \"\"\"\": empty name")]
    #[case("a\0b", "cannot read table name \"a\0b\": invalid character NUL")]
    fn unreadable_names_are_refused(#[case] typed: &str, #[case] start: &str) {
        let e = catalog()
            .select(&opts(|o| o.tables = vec![typed.into()]))
            .expect_err("unreadable");
        assert!(e.to_string().starts_with(start), "{e}");
    }

    #[test]
    fn equally_visible_matches_are_refused_naming_each() {
        // One session's catalog has one visible relation per name; should
        // a caller pass one with two, neither may be picked.
        let mut c = catalog();
        c.relations.push(Relation {
            name: q("app", "posts"),
            kind: RelationKind::Table,
            visible: true,
            extension_member: false,
        });
        let e = c
            .select(&opts(|o| o.tables = vec!["posts".into()]))
            .expect_err("ambiguous");
        assert_eq!(
            e.to_string(),
            "cannot read table name \"posts\": it matches public.posts, app.posts; qualify it with its schema"
        );
        assert_eq!(e.kind(), crate::backup::ErrorKind::Usage);
    }

    #[test]
    fn exact_spelling_wins_over_the_folded_one() {
        let mut c = catalog();
        c.relations.push(Relation {
            name: q("public", "Users"),
            kind: RelationKind::Table,
            visible: true,
            extension_member: false,
        });
        let s = c
            .select(&opts(|o| o.tables = vec!["Users,users,USERS".into()]))
            .expect("resolves");
        assert_eq!(s.tables, vec![q("public", "Users"), q("public", "users")]);
    }

    #[rstest]
    #[case("kitten", "sitting", 3)]
    #[case("", "abc", 3)]
    #[case("same", "same", 0)]
    #[case("ümlaut", "umlaut", 1)]
    #[case("usres", "users", 1)]
    fn distances(#[case] a: &str, #[case] b: &str, #[case] d: usize) {
        assert_eq!(distance(a, b), d);
    }
}
