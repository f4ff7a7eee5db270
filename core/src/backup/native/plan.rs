//! From the catalog to the dump: every object rendered as SQL, placed in
//! pg_dump's sections and sorted so that each comes after what it uses.

use std::collections::{HashMap, HashSet};

use super::NativeOptions;
use super::model::{
    Catalog, Column, Constraint, Function, Relation, Sequence, TypeDef, UnsupportedObject,
};
use super::order::{Split, sort};
use crate::backup::{QualifiedName, quote_ident, quote_literal};

/// One statement group of the dump, with what it must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    /// Tie-break between objects that do not depend on each other (lower
    /// first), as pg_dump's type priorities.
    pub(crate) priority: u8,
    pub(crate) sql: String,
}

/// One table's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableData {
    pub(crate) table: QualifiedName,
    /// `COPY s.t (cols) FROM stdin;` and its newline.
    pub(crate) header: String,
    /// `COPY s.t (cols) TO STDOUT`.
    pub(crate) copy_out: String,
    /// The copied columns, quoted and comma-separated (empty: none), for
    /// parallel parts that read a range of the table; `None` when the
    /// table must be read by `copy_out` alone (an extension's
    /// configuration table, whose rows are filtered).
    pub(crate) columns: Option<String>,
    /// Tables (indexes into [`Plan::data`], all earlier) whose rows must
    /// be in before this one's: those its foreign keys reference, in a
    /// data-only dump restored into a schema whose keys are checked.
    pub(crate) after: Vec<usize>,
}

/// The whole dump but the table data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) pre_data: Vec<Entry>,
    pub(crate) data: Vec<TableData>,
    pub(crate) sequence_values: Vec<String>,
    pub(crate) post_data: Vec<Entry>,
    /// `REFRESH MATERIALIZED VIEW` of the populated ones, in dependency
    /// order.
    pub(crate) refresh: Vec<Entry>,
    /// Event triggers, after everything else as pg_dump places them, so
    /// that none fires during the restore.
    pub(crate) last: Vec<Entry>,
    pub(crate) warnings: Vec<String>,
    /// Objects the dump does not write though the selection holds them,
    /// with comments and privileges on objects it does not know.
    pub(crate) unsupported: Vec<UnsupportedObject>,
    /// The large objects are in the dump (no `--tables` nor `--schemas`).
    pub(crate) large_objects: bool,
}

/// How other statements refer to an object.
#[derive(Debug, Clone, Default)]
struct Target {
    /// After `COMMENT ON `: `TABLE "s"."t"`.
    comment: String,
    /// After `GRANT ... ON `: `TABLE "s"."t"`; `None` for objects without
    /// privileges.
    grant: Option<String>,
    /// `ALTER TABLE "s"."t" OWNER TO`, when the object has an owner.
    owner: Option<(String, String)>,
}

pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn collate(collation: &Option<(String, String)>) -> String {
    match collation {
        Some((schema, name)) => format!(" COLLATE {}", qualified(schema, name)),
        None => String::new(),
    }
}

fn relation_word(kind: char) -> &'static str {
    match kind {
        'v' => "VIEW",
        'm' => "MATERIALIZED VIEW",
        'S' => "SEQUENCE",
        'f' => "FOREIGN TABLE",
        'c' => "TYPE",
        'i' | 'I' => "INDEX",
        _ => "TABLE",
    }
}

/// A column of `CREATE TABLE` (or of a composite type when `composite`).
pub(crate) fn column_sql(column: &Column, identity: Option<&Sequence>, composite: bool) -> String {
    let mut sql = format!("{} {}", quote_ident(&column.name), column.type_name);
    sql.push_str(&collate(&column.collation));
    if composite {
        return sql;
    }
    if let Some(options) = &column.fdw_options {
        sql.push_str(&format!(" OPTIONS ({options})"));
    }
    if column.generated != '\0' {
        if let Some(expr) = &column.default {
            let how = if column.generated == 'v' {
                "VIRTUAL"
            } else {
                "STORED"
            };
            sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {how}"));
        }
    }
    if column.identity != '\0' {
        let when = if column.identity == 'a' {
            "ALWAYS"
        } else {
            "BY DEFAULT"
        };
        sql.push_str(&format!(" GENERATED {when} AS IDENTITY"));
        if let Some(seq) = identity {
            sql.push_str(&format!(
                " (\n        SEQUENCE NAME {}\n{}    )",
                qualified(&seq.schema, &seq.name),
                sequence_options(seq, "        ", false)
            ));
        }
    }
    match &column.not_null_constraint {
        Some((name, validated, no_inherit, local)) if *local && *validated => {
            sql.push_str(&format!(" CONSTRAINT {} NOT NULL", quote_ident(name)));
            if *no_inherit {
                sql.push_str(" NO INHERIT");
            }
        }
        Some(_) => {}
        None if column.not_null && column.local => sql.push_str(" NOT NULL"),
        None => {}
    }
    sql
}

/// The option lines of `CREATE SEQUENCE` (each indented by `indent`).
/// An identity column's sequence has its column's type (`with_type` off).
pub(crate) fn sequence_options(seq: &Sequence, indent: &str, with_type: bool) -> String {
    let mut sql = String::new();
    if with_type && seq.type_name != "bigint" {
        sql.push_str(&format!("{indent}AS {}\n", seq.type_name));
    }
    sql.push_str(&format!("{indent}START WITH {}\n", seq.start));
    sql.push_str(&format!("{indent}INCREMENT BY {}\n", seq.increment));
    sql.push_str(&format!("{indent}MINVALUE {}\n", seq.min));
    sql.push_str(&format!("{indent}MAXVALUE {}\n", seq.max));
    sql.push_str(&format!("{indent}CACHE {}", seq.cache));
    if seq.cycle {
        sql.push_str(&format!("\n{indent}CYCLE"));
    }
    sql.push('\n');
    sql
}

/// `CREATE TABLE` of a table, partitioned table or partition.
pub(crate) fn table_sql(
    table: &Relation,
    columns: &[&Column],
    parents: &[String],
    identities: &HashMap<(u32, String), &Sequence>,
) -> String {
    let name = qualified(&table.schema, &table.name);
    let unlogged = if table.persistence == 'u' {
        "UNLOGGED "
    } else {
        ""
    };
    let foreign = if table.kind == 'f' { "FOREIGN " } else { "" };
    let mut sql = format!("CREATE {unlogged}{foreign}TABLE {name}");
    if let (Some(bound), Some(parent)) = (&table.partition_bound, parents.first()) {
        sql.push_str(&format!(" PARTITION OF {parent}\n{bound}"));
    } else if let Some(of_type) = &table.of_type {
        // The columns come from the type; only their options are said.
        sql.push_str(&format!(" OF {of_type}"));
        let lines: Vec<String> = columns
            .iter()
            .filter(|c| c.not_null)
            .map(|c| match &c.not_null_constraint {
                Some((constraint, true, _, _)) => format!(
                    "    {} WITH OPTIONS CONSTRAINT {} NOT NULL",
                    quote_ident(&c.name),
                    quote_ident(constraint)
                ),
                _ => format!("    {} WITH OPTIONS NOT NULL", quote_ident(&c.name)),
            })
            .collect();
        if !lines.is_empty() {
            sql.push_str(&format!(" (\n{}\n)", lines.join(",\n")));
        }
    } else {
        let lines: Vec<String> = columns
            .iter()
            .filter(|c| c.local)
            .map(|c| {
                let identity = identities.get(&(c.relation, c.name.clone())).copied();
                format!("    {}", column_sql(c, identity, false))
            })
            .collect();
        if lines.is_empty() {
            sql.push_str(" (\n)");
        } else {
            sql.push_str(&format!(" (\n{}\n)", lines.join(",\n")));
        }
        if !parents.is_empty() {
            sql.push_str(&format!("\nINHERITS ({})", parents.join(", ")));
        }
    }
    if let Some(key) = &table.partition_key {
        sql.push_str(&format!("\nPARTITION BY {key}"));
    }
    if let Some(method) = &table.access_method {
        sql.push_str(&format!("\nUSING {method}"));
    }
    if let Some(options) = &table.options {
        sql.push_str(&format!("\nWITH ({options})"));
    }
    if let Some(tablespace) = &table.tablespace {
        sql.push_str(&format!("\nTABLESPACE {tablespace}"));
    }
    if let Some(server) = &table.server {
        sql.push_str(&format!("\nSERVER {server}"));
        if let Some(options) = &table.server_options {
            sql.push_str(&format!("\nOPTIONS (\n    {options}\n)"));
        }
    }
    sql.push_str(";\n");
    sql
}

/// The columns of a partition are in its parent's order.
fn same_order(columns: &[&Column], parent: &[&Column]) -> bool {
    columns
        .iter()
        .map(|c| &c.name)
        .eq(parent.iter().map(|c| &c.name))
}

/// A partition whose columns are in another order than its parent's
/// (it was created on its own, then attached): created on its own with
/// every column, then attached, as pg_dump does, so that its column
/// order survives (`PARTITION OF` would take the parent's).
pub(crate) fn standalone_partition_sql(
    table: &Relation,
    columns: &[&Column],
    parent: &str,
    bound: &str,
    identities: &HashMap<(u32, String), &Sequence>,
) -> String {
    let alone = Relation {
        partition_bound: None,
        ..table.clone()
    };
    let all: Vec<Column> = columns
        .iter()
        .map(|c| Column {
            local: true,
            // A partition's not-null constraints are its parent's once
            // attached, but must be there before.
            not_null_constraint: c
                .not_null_constraint
                .clone()
                .map(|(name, valid, no_inherit, _)| (name, valid, no_inherit, true)),
            ..(*c).clone()
        })
        .collect();
    let all: Vec<&Column> = all.iter().collect();
    let mut sql = table_sql(&alone, &all, &[], identities);
    sql.push_str(&format!(
        "ALTER TABLE ONLY {parent} ATTACH PARTITION {} {bound};\n",
        qualified(&table.schema, &table.name)
    ));
    sql
}

/// NOT NULL on columns that come from a parent (partitions' columns all
/// do) but that no parent makes NOT NULL: the child's own, which
/// `CREATE TABLE` cannot say for columns it does not list. On PostgreSQL
/// 18 an inherited not-null constraint the child also declares is its
/// own too (`conislocal`), and said so.
pub(crate) fn inherited_not_null_sql(
    table: &str,
    columns: &[&Column],
    parent_not_null: &HashSet<&str>,
) -> String {
    let mut sql = String::new();
    for column in columns {
        let own = matches!(column.not_null_constraint, Some((_, _, _, true)));
        if column.local
            || !column.not_null
            || (parent_not_null.contains(column.name.as_str()) && !own)
        {
            continue;
        }
        let name = quote_ident(&column.name);
        match &column.not_null_constraint {
            Some((constraint, true, no_inherit, _)) => {
                let only = if *no_inherit { " NO INHERIT" } else { "" };
                sql.push_str(&format!(
                    "\nALTER TABLE ONLY {table}\n    ADD CONSTRAINT {} NOT NULL {name}{only};\n",
                    quote_ident(constraint)
                ));
            }
            // A NOT VALID one is added after the data.
            Some(_) => {}
            None => sql.push_str(&format!(
                "\nALTER TABLE ONLY {table} ALTER COLUMN {name} SET NOT NULL;\n"
            )),
        }
    }
    sql
}

/// A primary key's or unique constraint's definition with `WITH
/// (options)` for its index, before any `DEFERRABLE`, where the grammar
/// wants it.
pub(crate) fn with_index_options(definition: &str, options: &str) -> String {
    let at = definition.find(" DEFERRABLE").unwrap_or(definition.len());
    format!(
        "{} WITH ({options}){}",
        &definition[..at],
        &definition[at..]
    )
}

/// Per-column settings that `CREATE TABLE` cannot say: statistics
/// targets and storage other than the type's.
pub(crate) fn column_settings_sql(table: &str, columns: &[&Column]) -> String {
    let mut sql = String::new();
    for column in columns {
        let name = quote_ident(&column.name);
        if let Some(target) = &column.statistics {
            sql.push_str(&format!(
                "\nALTER TABLE ONLY {table} ALTER COLUMN {name} SET STATISTICS {target};\n"
            ));
        }
        let compression = match column.compression {
            'p' => Some("pglz"),
            'l' => Some("lz4"),
            _ => None,
        };
        if let Some(method) = compression {
            sql.push_str(&format!(
                "\nALTER TABLE ONLY {table} ALTER COLUMN {name} SET COMPRESSION {method};\n"
            ));
        }
        if let Some(options) = &column.options {
            sql.push_str(&format!(
                "\nALTER TABLE ONLY {table} ALTER COLUMN {name} SET ({options});\n"
            ));
        }
        let storage = match column.storage {
            'p' => "PLAIN",
            'e' => "EXTERNAL",
            'm' => "MAIN",
            'x' => "EXTENDED",
            _ => continue,
        };
        sql.push_str(&format!(
            "\nALTER TABLE ONLY {table} ALTER COLUMN {name} SET STORAGE {storage};\n"
        ));
    }
    sql
}

/// `CREATE VIEW` or `CREATE MATERIALIZED VIEW ... WITH NO DATA`.
pub(crate) fn view_sql(view: &Relation) -> String {
    let name = qualified(&view.schema, &view.name);
    let definition = view
        .view_definition
        .as_deref()
        .unwrap_or("")
        .trim_end()
        .trim_end_matches(';');
    let options = view
        .options
        .as_ref()
        .map(|o| format!(" WITH ({o})"))
        .unwrap_or_default();
    if view.kind == 'm' {
        let tablespace = view
            .tablespace
            .as_ref()
            .map(|t| format!(" TABLESPACE {t}"))
            .unwrap_or_default();
        let method = view
            .access_method
            .as_ref()
            .map(|m| format!(" USING {m}"))
            .unwrap_or_default();
        format!(
            "CREATE MATERIALIZED VIEW {name}{method}{options}{tablespace} AS\n{definition}\n  WITH NO DATA;\n"
        )
    } else {
        format!("CREATE VIEW {name}{options} AS\n{definition};\n")
    }
}

/// A view of the same columns as `view` that uses nothing, for a view in
/// a dependency loop (pg_dump's dummy view): what depends on the view can
/// be created, and the real definition replaces it afterwards.
pub(crate) fn dummy_view_sql(view: &Relation, columns: &[&Column]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "NULL::{}{} AS {}",
                c.type_name,
                collate(&c.collation),
                quote_ident(&c.name)
            )
        })
        .collect();
    format!(
        "CREATE VIEW {} AS\n SELECT {};\n",
        qualified(&view.schema, &view.name),
        list.join(",\n    ")
    )
}

/// `CREATE SEQUENCE` and, for a sequence a column owns, `OWNED BY`.
pub(crate) fn sequence_sql(seq: &Sequence, owned_by: Option<String>) -> String {
    let unlogged = if seq.persistence == 'u' {
        "UNLOGGED "
    } else {
        ""
    };
    let mut sql = format!(
        "CREATE {unlogged}SEQUENCE {}\n{};\n",
        qualified(&seq.schema, &seq.name),
        sequence_options(seq, "    ", true).trim_end()
    );
    if let Some(column) = owned_by {
        sql.push_str(&format!(
            "\nALTER SEQUENCE {} OWNED BY {column};\n",
            qualified(&seq.schema, &seq.name)
        ));
    }
    sql
}

/// `CREATE TYPE ... AS ENUM` or `CREATE DOMAIN`, with the domain's valid
/// checks.
pub(crate) fn type_sql(ty: &TypeDef, labels: &[String], checks: &[&Constraint]) -> String {
    let name = qualified(&ty.schema, &ty.name);
    if ty.kind == 'e' {
        let labels: Vec<String> = labels
            .iter()
            .map(|l| format!("    {}", quote_literal(l)))
            .collect();
        return format!("CREATE TYPE {name} AS ENUM (\n{}\n);\n", labels.join(",\n"));
    }
    let mut sql = format!(
        "CREATE DOMAIN {name} AS {}",
        ty.base.as_deref().unwrap_or("text")
    );
    sql.push_str(&collate(&ty.collation));
    if let Some(default) = &ty.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if ty.not_null {
        if let Some(constraint) = &ty.not_null_name {
            sql.push_str(&format!(" CONSTRAINT {}", quote_ident(constraint)));
        }
        sql.push_str(" NOT NULL");
    }
    for check in checks {
        sql.push_str(&format!(
            "\n\tCONSTRAINT {} {}",
            quote_ident(&check.name),
            check.definition
        ));
    }
    sql.push_str(";\n");
    sql
}

/// `CREATE TYPE ... AS (...)`.
pub(crate) fn composite_sql(ty: &Relation, columns: &[&Column]) -> String {
    let lines: Vec<String> = columns
        .iter()
        .map(|c| format!("    {}", column_sql(c, None, true)))
        .collect();
    format!(
        "CREATE TYPE {} AS (\n{}\n);\n",
        qualified(&ty.schema, &ty.name),
        lines.join(",\n")
    )
}

/// The server's function definition, as a statement.
pub(crate) fn function_sql(function: &Function) -> String {
    format!("{};\n", function.definition.trim_end())
}

fn function_target(function: &Function) -> String {
    let word = if function.kind == 'p' {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    format!(
        "{word} {}({})",
        qualified(&function.schema, &function.name),
        function.arguments
    )
}

/// Privileges granted together: column, grantor, grantee, grantable,
/// privilege names.
type GrantGroup<'a> = (Option<String>, &'a str, Option<&'a str>, bool, Vec<&'a str>);

/// The GRANT and REVOKE statements that give `target` its privileges
/// (rows of one object, in ACL order).
pub(crate) fn privileges_sql(
    target: &str,
    owner: &str,
    rows: &[&super::model::Privilege],
    no_owner: bool,
) -> String {
    let mut sql = String::new();
    let object_level: Vec<_> = rows.iter().filter(|p| p.column.is_none()).collect();
    if !object_level.is_empty() {
        sql.push_str(&format!("REVOKE ALL ON {target} FROM PUBLIC;\n"));
        sql.push_str(&format!(
            "REVOKE ALL ON {target} FROM {};\n",
            quote_ident(owner)
        ));
    }
    // Group consecutive privileges of one grantee, grantor and option.
    let mut groups: Vec<GrantGroup<'_>> = Vec::new();
    for p in rows {
        let column = p.column.as_deref();
        match groups.last_mut() {
            Some((c, grantor, grantee, grantable, list))
                if c.as_deref() == column
                    && *grantor == p.grantor.as_str()
                    && *grantee == p.grantee.as_deref()
                    && *grantable == p.grantable =>
            {
                list.push(&p.privilege);
            }
            _ => groups.push((
                p.column.clone(),
                &p.grantor,
                p.grantee.as_deref(),
                p.grantable,
                vec![&p.privilege],
            )),
        }
    }
    for (column, grantor, grantee, grantable, list) in groups {
        let privileges = match &column {
            Some(c) => list
                .iter()
                .map(|p| format!("{p}({})", quote_ident(c)))
                .collect::<Vec<_>>()
                .join(","),
            None => list.join(","),
        };
        let to = grantee.map_or("PUBLIC".to_string(), quote_ident);
        let option = if grantable { " WITH GRANT OPTION" } else { "" };
        let grant = format!("GRANT {privileges} ON {target} TO {to}{option};\n");
        if grantor != owner && !no_owner {
            sql.push_str(&format!(
                "SET SESSION AUTHORIZATION {};\n{grant}RESET SESSION AUTHORIZATION;\n",
                quote_ident(grantor)
            ));
        } else {
            sql.push_str(&grant);
        }
    }
    sql
}

/// Builds the plan from the catalog.
pub(crate) fn build(catalog: &Catalog, options: &NativeOptions) -> Plan {
    let mut plan = Plan::default();
    let mut targets: HashMap<String, Target> = HashMap::new();
    let mut pre: Vec<Entry> = Vec::new();
    let mut post: Vec<Entry> = Vec::new();

    let select = &options.selection;
    let relations: HashMap<u32, &Relation> = catalog.relations.iter().map(|r| (r.oid, r)).collect();
    let rel_name = |oid: u32| relations.get(&oid).map(|r| qualified(&r.schema, &r.name));
    // The relations in the dump: chosen ones, and sequences owned by a
    // chosen table (pg_dump's getOwnedSeqs).
    let mut dumped: HashSet<u32> = catalog
        .relations
        .iter()
        .filter(|r| match r.kind {
            'c' => select.contents_of(&r.schema),
            _ => select.relation(&r.schema, &r.name),
        })
        .map(|r| r.oid)
        .collect();
    for seq in &catalog.sequences {
        if seq.dependency == 'a' && dumped.contains(&seq.owner_table) {
            dumped.insert(seq.oid);
        }
    }
    let dumped = dumped;
    // Keys of objects the selection leaves out: their comments and
    // privileges go with them, silently.
    let mut left_out: HashSet<String> = HashSet::new();
    plan.large_objects = select.everything();
    plan.unsupported.extend(
        catalog
            .unsupported
            .iter()
            .filter(|(_, scope)| match scope {
                (Some(schema), Some(name)) => select.relation(schema, name),
                (Some(schema), None) => select.contents_of(schema),
                _ => select.everything(),
            })
            .map(|(object, _)| object.clone()),
    );
    let mut columns_of: HashMap<u32, Vec<&Column>> = HashMap::new();
    for column in &catalog.columns {
        columns_of.entry(column.relation).or_default().push(column);
    }
    let identities: HashMap<(u32, String), &Sequence> = catalog
        .sequences
        .iter()
        .filter(|s| s.dependency == 'i')
        .filter_map(|s| Some(((s.owner_table, s.owner_column.clone()?), s)))
        .collect();

    for schema in &catalog.schemas {
        let name = quote_ident(&schema.name);
        let key = format!("n:{}", schema.oid);
        if !select.contents_of(&schema.name) {
            left_out.insert(key);
            continue;
        }
        targets.insert(
            key.clone(),
            Target {
                comment: format!("SCHEMA {name}"),
                grant: Some(format!("SCHEMA {name}")),
                owner: Some((format!("SCHEMA {name}"), schema.owner.clone())),
            },
        );
        // The restore's database has its public schema: only its
        // comment and privileges are said.
        let sql = if schema.name == "public" {
            String::new()
        } else {
            format!("CREATE SCHEMA {name};\n")
        };
        pre.push(Entry {
            key,
            priority: 1,
            sql,
        });
    }

    for extension in &catalog.extensions {
        let key = format!("x:{}", extension.oid);
        if !select.everything() {
            left_out.insert(key);
            continue;
        }
        let name = quote_ident(&extension.name);
        targets.insert(
            key.clone(),
            Target {
                comment: format!("EXTENSION {name}"),
                ..Target::default()
            },
        );
        pre.push(Entry {
            key,
            priority: 1,
            sql: format!(
                "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {};\n",
                quote_ident(&extension.schema)
            ),
        });
    }

    // Extensions' configuration tables and sequences: the rows the
    // user added (those the extension's condition picks) and the
    // sequences' values, as pg_dump's processExtensionTables, when the
    // extension is dumped or the table is named by --table.
    for config in &catalog.extension_config {
        let excluded = select
            .exclude_tables
            .iter()
            .any(|q| q.schema == config.schema && q.name == config.name);
        let chosen = if select.tables.is_empty() {
            select.everything()
        } else {
            select
                .tables
                .iter()
                .any(|q| q.schema == config.schema && q.name == config.name)
        };
        if excluded || !chosen {
            continue;
        }
        let name = qualified(&config.schema, &config.name);
        if config.kind == 'S' {
            if let Some((value, called)) = catalog.sequence_values.get(&config.oid) {
                plan.sequence_values.push(format!(
                    "SELECT pg_catalog.setval({}, {value}, {called});\n",
                    quote_literal(&name)
                ));
            }
            continue;
        }
        let list = if config.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", config.columns)
        };
        let copy_out = if config.condition.is_empty() {
            format!("COPY {name}{list} TO STDOUT")
        } else {
            let columns = if config.columns.is_empty() {
                "*"
            } else {
                &config.columns
            };
            format!(
                "COPY (SELECT {columns} FROM ONLY {name} {}) TO STDOUT",
                config.condition
            )
        };
        plan.data.push(TableData {
            table: QualifiedName {
                schema: config.schema.clone(),
                name: config.name.clone(),
            },
            header: format!("COPY {name}{list} FROM stdin;\n"),
            copy_out,
            columns: None,
            after: Vec::new(),
        });
    }

    for (oid, owner) in &catalog.large_objects {
        let key = format!("l:{oid}");
        if !plan.large_objects {
            left_out.insert(key);
            continue;
        }
        let target = format!("LARGE OBJECT {oid}");
        targets.insert(
            key.clone(),
            Target {
                comment: target.clone(),
                grant: Some(target.clone()),
                owner: Some((target, owner.clone())),
            },
        );
        pre.push(Entry {
            key,
            priority: 9,
            sql: format!("SELECT pg_catalog.lo_create('{oid}');\n"),
        });
    }

    for ty in &catalog.types {
        let name = qualified(&ty.schema, &ty.name);
        let key = format!("t:{}", ty.oid);
        if !select.contents_of(&ty.schema) {
            left_out.insert(key);
            left_out.extend(
                catalog
                    .constraints
                    .iter()
                    .filter(|c| c.domain == ty.oid)
                    .map(|c| format!("k:{}", c.oid)),
            );
            continue;
        }
        let word = if ty.kind == 'd' { "DOMAIN" } else { "TYPE" };
        targets.insert(
            key.clone(),
            Target {
                comment: format!("{word} {name}"),
                grant: Some(format!("{word} {name}")),
                owner: Some((format!("{word} {name}"), ty.owner.clone())),
            },
        );
        for check in catalog.constraints.iter().filter(|c| c.domain == ty.oid) {
            targets.insert(
                format!("k:{}", check.oid),
                Target {
                    comment: format!("CONSTRAINT {} ON DOMAIN {name}", quote_ident(&check.name)),
                    ..Target::default()
                },
            );
            // Apart from the domain, so that a check calling a function
            // that takes the domain is no loop; a NOT VALID one after the data.
            let entry = Entry {
                key: format!("k:{}", check.oid),
                priority: if check.validated { 8 } else { 3 },
                sql: format!(
                    "ALTER DOMAIN {name}\n    ADD CONSTRAINT {} {};\n",
                    quote_ident(&check.name),
                    check.definition
                ),
            };
            if check.validated {
                pre.push(entry);
            } else {
                post.push(entry);
            }
        }
        let labels = catalog
            .enum_labels
            .get(&ty.oid)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        pre.push(Entry {
            key,
            priority: 2,
            sql: type_sql(ty, labels, &[]),
        });
    }

    for function in &catalog.functions {
        let key = format!("f:{}", function.oid);
        if !select.contents_of(&function.schema) {
            left_out.insert(key);
            continue;
        }
        let target = function_target(function);
        targets.insert(
            key.clone(),
            Target {
                comment: target.clone(),
                grant: Some(target.clone()),
                owner: Some((target, function.owner.clone())),
            },
        );
        pre.push(Entry {
            key,
            priority: 4,
            sql: function_sql(function),
        });
    }

    let mut parents_of: HashMap<u32, Vec<String>> = HashMap::new();
    for (child, parent) in &catalog.inherits {
        if let Some(name) = rel_name(*parent) {
            parents_of.entry(*child).or_default().push(name);
        }
    }

    for seq in &catalog.sequences {
        let name = qualified(&seq.schema, &seq.name);
        let owner = if seq.dependency == 'i' {
            seq.owner_table
        } else {
            seq.oid
        };
        if !dumped.contains(&owner) {
            left_out.insert(format!("c:{}", seq.oid));
            continue;
        }
        if let Some((value, called)) = catalog.sequence_values.get(&seq.oid) {
            plan.sequence_values.push(format!(
                "SELECT pg_catalog.setval({}, {value}, {called});\n",
                quote_literal(&name)
            ));
        }
        if seq.dependency == 'i' {
            continue;
        }
        let key = format!("c:{}", seq.oid);
        let owner = relations
            .get(&seq.oid)
            .map(|r| r.owner.clone())
            .unwrap_or_default();
        targets.insert(
            key.clone(),
            Target {
                comment: format!("SEQUENCE {name}"),
                grant: Some(format!("SEQUENCE {name}")),
                owner: Some((format!("SEQUENCE {name}"), owner)),
            },
        );
        let owned_by = match (seq.dependency, rel_name(seq.owner_table), &seq.owner_column) {
            ('a', Some(table), Some(column)) if dumped.contains(&seq.owner_table) => {
                Some(format!("{table}.{}", quote_ident(column)))
            }
            _ => None,
        };
        pre.push(Entry {
            key,
            priority: 5,
            sql: sequence_sql(seq, owned_by),
        });
    }

    for relation in &catalog.relations {
        let name = qualified(&relation.schema, &relation.name);
        let key = format!("c:{}", relation.oid);
        let word = relation_word(relation.kind);
        if relation.kind != 'S' && !dumped.contains(&relation.oid) {
            left_out.insert(key);
            continue;
        }
        let columns = columns_of.get(&relation.oid).cloned().unwrap_or_default();
        let (sql, priority) = match relation.kind {
            'S' => continue,
            'c' => (composite_sql(relation, &columns), 3),
            'v' | 'm' => (view_sql(relation), 7),
            _ => {
                let parents = parents_of.get(&relation.oid).cloned().unwrap_or_default();
                let parent_columns = catalog
                    .inherits
                    .iter()
                    .find(|(child, _)| *child == relation.oid)
                    .and_then(|(_, parent)| columns_of.get(parent));
                let mut sql = match (&relation.partition_bound, parents.first(), parent_columns) {
                    (Some(bound), Some(parent), Some(parent_columns))
                        if !same_order(&columns, parent_columns) =>
                    {
                        standalone_partition_sql(relation, &columns, parent, bound, &identities)
                    }
                    _ => {
                        let parent_not_null: HashSet<&str> = catalog
                            .inherits
                            .iter()
                            .filter(|(child, _)| *child == relation.oid)
                            .filter_map(|(_, parent)| columns_of.get(parent))
                            .flatten()
                            .filter(|c| c.not_null)
                            .map(|c| c.name.as_str())
                            .collect();
                        let mut sql = table_sql(relation, &columns, &parents, &identities);
                        sql.push_str(&inherited_not_null_sql(&name, &columns, &parent_not_null));
                        sql
                    }
                };
                sql.push_str(&column_settings_sql(&name, &columns));
                // A foreign table's is always NOTHING, and cannot be set.
                let identity = match relation.replica_identity {
                    'n' if relation.kind != 'f' => Some("NOTHING"),
                    'f' => Some("FULL"),
                    _ => None,
                };
                if let Some(identity) = identity {
                    sql.push_str(&format!(
                        "\nALTER TABLE ONLY {name} REPLICA IDENTITY {identity};\n"
                    ));
                }
                // After the data, as pg_dump does: a forced policy would
                // otherwise filter the restore's own COPY.
                let mut rls = String::new();
                if relation.row_security {
                    rls.push_str(&format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;\n"));
                }
                if relation.force_row_security {
                    rls.push_str(&format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY;\n"));
                }
                if !rls.is_empty() {
                    post.push(Entry {
                        key: format!("rls:{}", relation.oid),
                        priority: 5,
                        sql: rls,
                    });
                }
                (sql, 6)
            }
        };
        targets.insert(
            key.clone(),
            Target {
                comment: format!("{word} {name}"),
                grant: (relation.kind != 'c').then(|| format!("TABLE {name}")),
                owner: Some((format!("{word} {name}"), relation.owner.clone())),
            },
        );
        pre.push(Entry { key, priority, sql });

        if matches!(relation.kind, 'r' | 'p' | 'f' | 'v') {
            for column in &columns {
                let Some(default) = &column.default else {
                    continue;
                };
                if column.generated != '\0' || column.default_oid == 0 {
                    continue;
                }
                pre.push(Entry {
                    key: format!("d:{}", column.default_oid),
                    priority: 8,
                    sql: format!(
                        "ALTER TABLE ONLY {name} ALTER COLUMN {} SET DEFAULT {default};\n",
                        quote_ident(&column.name)
                    ),
                });
            }
            for column in &columns {
                if let Some((constraint, false, no_inherit, true)) = &column.not_null_constraint {
                    let only = if *no_inherit { " NO INHERIT" } else { "" };
                    post.push(Entry {
                        key: format!("nn:{}:{}", relation.oid, column.name),
                        priority: 3,
                        sql: format!(
                            "ALTER TABLE {name}\n    ADD CONSTRAINT {} NOT NULL {}{only} NOT VALID;\n",
                            quote_ident(constraint),
                            quote_ident(&column.name)
                        ),
                    });
                }
            }
            if relation.kind == 'r' {
                let copied: Vec<String> = columns
                    .iter()
                    .filter(|c| c.generated == '\0')
                    .map(|c| quote_ident(&c.name))
                    .collect();
                let list = if copied.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", copied.join(", "))
                };
                plan.data.push(TableData {
                    table: QualifiedName {
                        schema: relation.schema.clone(),
                        name: relation.name.clone(),
                    },
                    header: format!("COPY {name}{list} FROM stdin;\n"),
                    copy_out: format!("COPY {name}{list} TO STDOUT"),
                    columns: Some(copied.join(", ")),
                    after: Vec::new(),
                });
            }
        }
        if relation.kind == 'm' && relation.populated {
            post.push(Entry {
                key: format!("refresh:{}", relation.oid),
                priority: 9,
                sql: format!("REFRESH MATERIALIZED VIEW {name};\n"),
            });
        }
        for column in &columns {
            targets.insert(
                format!("c:{}:{}", relation.oid, column.name),
                Target {
                    comment: format!("COLUMN {name}.{}", quote_ident(&column.name)),
                    grant: Some(format!("TABLE {name}")),
                    owner: None,
                },
            );
        }
    }

    for constraint in catalog.constraints.iter().filter(|c| c.table != 0) {
        let Some(table) = relations.get(&constraint.table) else {
            continue;
        };
        let name = qualified(&table.schema, &table.name);
        let key = format!("k:{}", constraint.oid);
        if !dumped.contains(&constraint.table) {
            left_out.insert(key);
            continue;
        }
        targets.insert(
            key.clone(),
            Target {
                comment: format!("CONSTRAINT {} ON {name}", quote_ident(&constraint.name)),
                ..Target::default()
            },
        );
        let add = |only: bool| {
            format!(
                "ALTER TABLE {}{name}\n    ADD CONSTRAINT {} {};\n",
                if only { "ONLY " } else { "" },
                quote_ident(&constraint.name),
                constraint.definition
            )
        };
        match constraint.kind {
            'c' if !constraint.local => {}
            'c' => {
                let only = constraint.definition.ends_with("NO INHERIT");
                let entry = Entry {
                    key,
                    priority: if constraint.validated { 8 } else { 3 },
                    sql: add(only),
                };
                if constraint.validated {
                    pre.push(entry)
                } else {
                    post.push(entry)
                }
            }
            'f' if constraint.parent != 0 => {}
            'f' => post.push(Entry {
                key,
                priority: 3,
                sql: add(table.kind != 'p'),
            }),
            _ => {
                // The index of a key goes where the source's is, with its
                // storage parameters (which pg_get_constraintdef leaves out).
                let index = catalog.indexes.iter().find(|i| {
                    i.table == constraint.table && i.name == constraint.name && i.backs_constraint
                });
                let add = match index.and_then(|i| i.options.as_ref()) {
                    Some(options) if matches!(constraint.kind, 'p' | 'u') => {
                        let definition = with_index_options(&constraint.definition, options);
                        format!(
                            "ALTER TABLE ONLY {name}\n    ADD CONSTRAINT {} {definition};\n",
                            quote_ident(&constraint.name),
                        )
                    }
                    _ => add(true),
                };
                let sql = match index.and_then(|i| i.tablespace.as_ref()) {
                    Some(tablespace) => format!(
                        "SET default_tablespace = {tablespace};\n{add}SET default_tablespace = '';\n"
                    ),
                    None => add,
                };
                post.push(Entry {
                    key,
                    priority: 1,
                    sql,
                })
            }
        }
    }

    let index_names: HashMap<u32, String> = catalog
        .indexes
        .iter()
        .map(|i| (i.oid, qualified(&i.schema, &i.name)))
        .collect();
    for index in &catalog.indexes {
        if !relations.contains_key(&index.table) {
            continue;
        }
        if !dumped.contains(&index.table) {
            left_out.insert(format!("c:{}", index.oid));
            continue;
        }
        let name = &index_names[&index.oid];
        let key = format!("c:{}", index.oid);
        targets.insert(
            key.clone(),
            Target {
                comment: format!("INDEX {name}"),
                ..Target::default()
            },
        );
        if !index.backs_constraint {
            // pg_get_indexdef leaves the tablespace out; pg_dump sets it
            // as the default around the statement.
            let sql = match &index.tablespace {
                Some(tablespace) => format!(
                    "SET default_tablespace = {tablespace};\n{};\nSET default_tablespace = '';\n",
                    index.definition
                ),
                None => format!("{};\n", index.definition),
            };
            let mut sql = sql;
            for (column, target) in &index.statistics {
                sql.push_str(&format!(
                    "\nALTER INDEX {name} ALTER COLUMN {column} SET STATISTICS {target};\n"
                ));
            }
            post.push(Entry {
                key,
                priority: 1,
                sql,
            });
        }
        if let Some(parent) = index_names.get(&index.parent) {
            post.push(Entry {
                key: format!("attach:{}", index.oid),
                priority: 2,
                sql: format!("ALTER INDEX {parent} ATTACH PARTITION {name};\n"),
            });
        }
        if index.replica_identity {
            if let Some(table) = rel_name(index.table) {
                post.push(Entry {
                    key: format!("replident:{}", index.oid),
                    priority: 2,
                    sql: format!(
                        "ALTER TABLE ONLY {table} REPLICA IDENTITY USING INDEX {};\n",
                        quote_ident(&index.name)
                    ),
                });
            }
        }
        if index.clustered {
            if let Some(table) = rel_name(index.table) {
                post.push(Entry {
                    key: format!("cluster:{}", index.oid),
                    priority: 2,
                    sql: format!(
                        "ALTER TABLE {table} CLUSTER ON {};\n",
                        quote_ident(&index.name)
                    ),
                });
            }
        }
    }

    for (list, word, prefix) in [
        (&catalog.triggers, "TRIGGER", "g"),
        (&catalog.rules, "RULE", "r"),
    ] {
        for item in list.iter() {
            let Some(table) = rel_name(item.table) else {
                continue;
            };
            let key = format!("{prefix}:{}", item.oid);
            if !dumped.contains(&item.table) {
                left_out.insert(key);
                continue;
            }
            targets.insert(
                key.clone(),
                Target {
                    comment: format!("{word} {} ON {table}", quote_ident(&item.name)),
                    ..Target::default()
                },
            );
            // A clone is its parent's trigger: only its state is its own.
            let mut sql = if item.clone {
                String::new()
            } else {
                format!("{};\n", item.definition.trim_end().trim_end_matches(';'))
            };
            let object = if word == "TRIGGER" {
                "TABLE"
            } else {
                relation_word(relations[&item.table].kind)
            };
            let state = match item.enabled {
                'D' => Some("DISABLE"),
                'R' => Some("ENABLE REPLICA"),
                'A' => Some("ENABLE ALWAYS"),
                _ => None,
            };
            if let Some(state) = state {
                let object = if object == "MATERIALIZED VIEW" || object == "VIEW" {
                    "TABLE"
                } else {
                    object
                };
                if !sql.is_empty() {
                    sql.push('\n');
                }
                sql.push_str(&format!(
                    "ALTER {object} {table} {state} {word} {};\n",
                    quote_ident(&item.name)
                ));
            }
            post.push(Entry {
                key,
                priority: if item.clone { 5 } else { 4 },
                sql,
            });
        }
    }

    for policy in &catalog.policies {
        let Some(table) = rel_name(policy.table) else {
            continue;
        };
        let key = format!("p:{}", policy.oid);
        if !dumped.contains(&policy.table) {
            left_out.insert(key);
            continue;
        }
        let name = quote_ident(&policy.name);
        targets.insert(
            key.clone(),
            Target {
                comment: format!("POLICY {name} ON {table}"),
                ..Target::default()
            },
        );
        let command = match policy.command {
            'r' => "SELECT",
            'a' => "INSERT",
            'w' => "UPDATE",
            'd' => "DELETE",
            _ => "ALL",
        };
        let kind = if policy.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        };
        let roles: Vec<String> = policy
            .roles
            .iter()
            .map(|r| r.as_deref().map_or("PUBLIC".to_string(), quote_ident))
            .collect();
        let mut sql = format!(
            "CREATE POLICY {name} ON {table} AS {kind} FOR {command} TO {}",
            roles.join(", ")
        );
        if let Some(using) = &policy.using {
            sql.push_str(&format!(" USING ({using})"));
        }
        if let Some(check) = &policy.check {
            sql.push_str(&format!(" WITH CHECK ({check})"));
        }
        sql.push_str(";\n");
        post.push(Entry {
            key,
            priority: 5,
            sql,
        });
    }

    for stats in &catalog.statistics {
        if !relations.contains_key(&stats.table) {
            continue;
        }
        let key = format!("s:{}", stats.oid);
        if !dumped.contains(&stats.table) || !select.contents_of(&stats.schema) {
            left_out.insert(key);
            continue;
        }
        let name = qualified(&stats.schema, &stats.name);
        targets.insert(
            key.clone(),
            Target {
                comment: format!("STATISTICS {name}"),
                grant: None,
                owner: Some((format!("STATISTICS {name}"), stats.owner.clone())),
            },
        );
        let mut sql = format!("{};\n", stats.definition);
        if let Some(target) = &stats.target {
            sql.push_str(&format!(
                "\nALTER STATISTICS {name} SET STATISTICS {target};\n"
            ));
        }
        post.push(Entry {
            key,
            priority: 2,
            sql,
        });
    }

    for object in &catalog.assembled {
        let selected = match (&object.schema, &object.relation) {
            // A publication's table: with the publication and the table.
            (Some(schema), Some(table)) => select.everything() && select.relation(schema, table),
            (Some(schema), None) => select.contents_of(schema),
            _ => select.everything(),
        };
        let privileges = object
            .key
            .starts_with(super::objects_sql::DEFAULT_PRIVILEGES_KEY);
        if !selected || (privileges && options.no_privileges) {
            left_out.insert(object.key.clone());
            continue;
        }
        if let Some(comment) = &object.comment {
            targets.insert(
                object.key.clone(),
                Target {
                    comment: comment.clone(),
                    grant: object.grant.clone(),
                    owner: object.owner_target.clone().zip(object.owner.clone()),
                },
            );
        }
        let mut sql = object.sql.clone();
        if !sql.ends_with('\n') {
            sql.push('\n');
        }
        let entry = Entry {
            key: object.key.clone(),
            priority: object.priority,
            sql,
        };
        if object.post_data {
            post.push(entry);
        } else {
            pre.push(entry);
        }
    }

    // Comments, owners and privileges follow their object.
    let mut extra: HashMap<String, String> = HashMap::new();
    for comment in &catalog.comments {
        let key = match &comment.column {
            Some(column) => format!("{}:{column}", comment.key),
            None => comment.key.clone(),
        };
        if left_out.contains(&owner_key(&key)) {
            continue;
        }
        match targets.get(&key) {
            Some(target) => extra.entry(owner_key(&key)).or_default().push_str(&format!(
                "\nCOMMENT ON {} IS {};\n",
                target.comment,
                quote_literal(&comment.text)
            )),
            None => plan.unsupported.push(UnsupportedObject {
                kind: "comment".to_string(),
                name: format!("on catalog object {key}"),
            }),
        }
    }
    if !options.no_owner {
        let mut keys: Vec<&String> = targets.keys().collect();
        keys.sort();
        for key in keys {
            if let Some((what, owner)) = &targets[key].owner {
                if key.starts_with("n:") && what == "SCHEMA \"public\"" {
                    continue;
                }
                extra.entry(key.clone()).or_default().push_str(&format!(
                    "\nALTER {what} OWNER TO {};\n",
                    quote_ident(owner)
                ));
            }
        }
    }
    if !options.no_privileges {
        let mut by_key: Vec<(String, Vec<&super::model::Privilege>)> = Vec::new();
        for p in &catalog.privileges {
            match by_key.last_mut() {
                Some((k, list)) if *k == p.key => list.push(p),
                _ => by_key.push((p.key.clone(), vec![p])),
            }
        }
        for (key, rows) in by_key {
            // An extension member's changed privileges follow its
            // extension (as pg_dump, relative to what the extension gave).
            if let Some((extension, on, owner)) = rows.first().and_then(|p| p.member_of.clone()) {
                let extension = format!("x:{extension}");
                if !left_out.contains(&extension) {
                    extra.entry(extension).or_default().push_str(&format!(
                        "\n{}",
                        privileges_sql(&on, &owner, &rows, options.no_owner)
                    ));
                }
                continue;
            }
            let Some(target) = targets.get(&key) else {
                if key.starts_with("n:") || key.is_empty() || left_out.contains(&key) {
                    continue;
                }
                plan.unsupported.push(UnsupportedObject {
                    kind: "privileges".to_string(),
                    name: format!("on catalog object {key}"),
                });
                continue;
            };
            let (Some(on), Some((_, owner))) = (&target.grant, &target.owner) else {
                continue;
            };
            extra.entry(key.clone()).or_default().push_str(&format!(
                "\n{}",
                privileges_sql(on, owner, &rows, options.no_owner)
            ));
        }
    }
    // A key's index is written by its constraint: so are its comments.
    for index in catalog.indexes.iter().filter(|i| i.backs_constraint) {
        let Some(more) = extra.remove(&format!("c:{}", index.oid)) else {
            continue;
        };
        if let Some(constraint) = catalog
            .constraints
            .iter()
            .find(|c| c.table == index.table && c.name == index.name)
        {
            extra
                .entry(format!("k:{}", constraint.oid))
                .or_default()
                .push_str(&more);
        }
    }
    for entry in pre.iter_mut().chain(post.iter_mut()) {
        if let Some(more) = extra.remove(&entry.key) {
            entry.sql.push_str(&more);
        }
    }

    // Every view can be split, should it be in a dependency loop.
    let mut splits: HashMap<String, Split> = HashMap::new();
    for view in catalog.relations.iter().filter(|r| r.kind == 'v') {
        let key = format!("c:{}", view.oid);
        let create = view_sql(view);
        let Some(entry) = pre.iter().find(|e| e.key == key) else {
            continue;
        };
        let Some(rest) = entry.sql.strip_prefix(&create) else {
            continue;
        };
        let columns = columns_of.get(&view.oid).cloned().unwrap_or_default();
        splits.insert(
            key,
            Split {
                dummy: format!("{}{rest}", dummy_view_sql(view, &columns)),
                replace: create.replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1),
                early: None,
            },
        );
    }
    // A base type's shell serves its functions; the type follows them.
    for object in catalog.assembled.iter().filter(|o| o.shell_first) {
        let (Some(entry), Some(target)) = (
            pre.iter().find(|e| e.key == object.key),
            object.comment.as_deref(),
        ) else {
            continue;
        };
        splits.insert(
            object.key.clone(),
            Split {
                dummy: format!("CREATE {target};\n"),
                replace: entry.sql.clone(),
                early: Some("f:"),
            },
        );
    }
    let edges: Vec<(String, String)> = catalog.dependencies.clone();
    let (pre, loops) = sort(pre, &edges, &splits);
    plan.warnings.extend(loops);
    let (post, loops) = sort(post, &edges, &HashMap::new());
    plan.warnings.extend(loops);
    // Tables' data in the order their definitions came.
    let order: HashMap<String, usize> = pre
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.clone(), i))
        .collect();
    let position: HashMap<QualifiedName, u32> = catalog
        .relations
        .iter()
        .map(|r| {
            (
                QualifiedName {
                    schema: r.schema.clone(),
                    name: r.name.clone(),
                },
                r.oid,
            )
        })
        .collect();
    plan.data.sort_by_key(|d| {
        position
            .get(&d.table)
            .and_then(|oid| order.get(&format!("c:{oid}")))
            .copied()
            .unwrap_or(usize::MAX)
    });
    {
        let oids: HashMap<&QualifiedName, u32> = position.iter().map(|(q, o)| (q, *o)).collect();
        let config: HashMap<QualifiedName, u32> = catalog
            .extension_config
            .iter()
            .map(|c| {
                let name = QualifiedName {
                    schema: c.schema.clone(),
                    name: c.name.clone(),
                };
                (name, c.oid)
            })
            .collect();
        let oid_of = |q: &QualifiedName| oids.get(q).or_else(|| config.get(q)).copied();
        if options.data_only {
            let loops = order_by_foreign_keys(&mut plan.data, &catalog.constraints, oid_of);
            if !options.disable_triggers {
                plan.warnings.extend(loops);
            }
        } else {
            // A full dump adds foreign keys after the data, but those
            // between extensions' configuration tables come with CREATE
            // EXTENSION: their rows go in referenced first, as pg_dump's
            // processExtensionTables orders them.
            let configured: HashSet<u32> = config.values().copied().collect();
            let between: Vec<Constraint> = catalog
                .constraints
                .iter()
                .filter(|c| configured.contains(&c.table) && configured.contains(&c.references))
                .cloned()
                .collect();
            if !between.is_empty() {
                order_by_foreign_keys(&mut plan.data, &between, oid_of);
            }
        }
    }
    // Materialized views refresh in the order of their definitions.
    let (mut refresh, rest): (Vec<Entry>, Vec<Entry>) = post
        .into_iter()
        .partition(|e| e.key.starts_with("refresh:"));
    refresh.sort_by_key(|e| {
        order
            .get(&format!("c:{}", &e.key["refresh:".len()..]))
            .copied()
            .unwrap_or(usize::MAX)
    });
    let (last, rest): (Vec<Entry>, Vec<Entry>) = rest
        .into_iter()
        .partition(|e| e.key.starts_with("pg_event_trigger:"));
    plan.pre_data = pre;
    plan.post_data = rest;
    plan.last = last;
    plan.refresh = refresh;
    plan
}

/// Orders the tables' data so that a table comes after those its foreign
/// keys reference (pg_dump's order for `--data-only`, whose restore goes
/// into a schema that checks them), keeping the given order otherwise,
/// and fills each table's [`TableData::after`]. A loop of references is
/// broken at its first table in the given order; the warnings name each.
pub(crate) fn order_by_foreign_keys(
    data: &mut Vec<TableData>,
    constraints: &[Constraint],
    oid_of: impl Fn(&QualifiedName) -> Option<u32>,
) -> Vec<String> {
    let index: HashMap<u32, usize> = data
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((oid_of(&d.table)?, i)))
        .collect();
    // needs[i]: the tables i references (itself left out).
    let mut needs: Vec<Vec<usize>> = vec![Vec::new(); data.len()];
    for c in constraints.iter().filter(|c| c.kind == 'f') {
        if let (Some(&from), Some(&to)) = (index.get(&c.table), index.get(&c.references)) {
            if from != to && !needs[from].contains(&to) {
                needs[from].push(to);
            }
        }
    }
    let mut placed = vec![false; data.len()];
    let mut order: Vec<usize> = Vec::with_capacity(data.len());
    let mut warnings = Vec::new();
    while order.len() < data.len() {
        let ready = (0..data.len()).find(|&i| !placed[i] && needs[i].iter().all(|&n| placed[n]));
        let next = match ready {
            Some(i) => i,
            None => {
                // Every table left waits for another: follow the waits
                // from the first one until a table repeats.
                let mut path: Vec<usize> = Vec::new();
                let mut at = (0..data.len()).find(|&i| !placed[i]).unwrap_or(0);
                while !path.contains(&at) {
                    path.push(at);
                    at = needs[at]
                        .iter()
                        .copied()
                        .find(|&n| !placed[n])
                        .unwrap_or(at);
                }
                let start = path.iter().position(|&p| p == at).unwrap_or(0);
                let mut cycle: Vec<usize> = path[start..].to_vec();
                cycle.sort_unstable();
                let names: Vec<String> = cycle.iter().map(|&i| data[i].table.to_string()).collect();
                warnings.push(format!(
                    "there are circular foreign-key constraints among tables {}: a --data-only \
                     restore may fail on them; back up with --disable-triggers, or take a full \
                     backup instead of a --data-only one",
                    names.join(", ")
                ));
                cycle[0]
            }
        };
        placed[next] = true;
        order.push(next);
    }
    let new_position: HashMap<usize, usize> = order
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let mut old: Vec<Option<TableData>> = std::mem::take(data).into_iter().map(Some).collect();
    for (new, &i) in order.iter().enumerate() {
        if let Some(mut table) = old[i].take() {
            table.after = needs[i]
                .iter()
                .filter_map(|n| new_position.get(n).copied())
                .filter(|&n| n < new)
                .collect();
            table.after.sort_unstable();
            data.push(table);
        }
    }
    warnings
}

/// Comments on a column go with their table.
fn owner_key(key: &str) -> String {
    let mut parts = key.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(_)) => format!("{a}:{b}"),
        _ => key.to_string(),
    }
}
