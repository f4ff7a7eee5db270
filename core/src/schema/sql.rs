//! The catalog queries, as SQL text for the simple query protocol.
//!
//! Nothing a user typed is ever pasted into SQL: table names reach the
//! server only as literals made by `escape_literal`, catalog names read back
//! from the server only as identifiers made by `escape_identifier`, and
//! everything else is a number. Every query reads `pg_catalog` only (plus,
//! for JSON sampling, the sampled column) and works on PostgreSQL 12 to 17.

use std::fmt::Write;

use postgres_protocol::escape::{escape_identifier, escape_literal};

use crate::catalog::TableName;

/// Relation kinds `sequelae schema` describes: tables, partitioned tables,
/// views, materialized views, foreign tables.
const RELKINDS: &str = "('r', 'p', 'v', 'm', 'f')";

/// Schemas never listed: the catalogs, TOAST and other sessions' temporary
/// schemas.
const USER_SCHEMAS: &str = "n.nspname <> 'pg_catalog' \
     AND n.nspname <> 'information_schema' \
     AND n.nspname !~ '^pg_toast' \
     AND n.nspname !~ '^pg_temp_'";

/// Which schemas a table listing covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The schemas of the session's search path (`current_schemas(false)`),
    /// as an unqualified name would find them.
    SearchPath,
    /// Every schema except `pg_catalog`, `information_schema`, `pg_toast*`
    /// and `pg_temp*`.
    AllSchemas,
}

/// Lists relations. Columns: `oid`, `schema`, `name`, `kind` (relkind
/// letter), `path_position` (1-based position of the schema in
/// `current_schemas(true)`, NULL when the schema is not on the path).
/// Ordered by schema and name.
pub fn list_relations_sql(scope: Scope) -> String {
    let scope_filter = match scope {
        Scope::SearchPath => "\n  AND n.nspname = ANY (pg_catalog.current_schemas(false))",
        Scope::AllSchemas => "",
    };
    format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind::text,\n\
         \x20      pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)\n\
         FROM pg_catalog.pg_class c\n\
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n\
         WHERE c.relkind IN {RELKINDS}\n  AND {USER_SCHEMAS}{scope_filter}\n\
         ORDER BY n.nspname, c.relname"
    )
}

/// Finds the relations the requested names may mean. Columns: `request`
/// (index into `names`), `oid`, `schema`, `name`, `kind`, `path_position`
/// (as in [`list_relations_sql`]).
///
/// For every name the query offers every spelling of
/// [`Identifier::spellings`](crate::catalog::Identifier::spellings), as escaped
/// literals; an unqualified name is looked up in the schemas of
/// `current_schemas(true)` (the search path with `pg_catalog` and the
/// session's temporary schema, exactly where SQL looks), a qualified one in
/// its schema only. Choosing among the candidates is
/// [`crate::catalog::resolve`]'s job. `names` must not be empty.
pub fn resolve_names_sql(names: &[TableName]) -> String {
    let mut values = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            values.push_str(",\n       ");
        }
        let schemas = match name.schema() {
            Some(schema) => text_array(&schema.spellings()),
            None => "NULL::text[]".to_owned(),
        };
        let _ = write!(
            values,
            "({i}, {schemas}, {})",
            text_array(&name.name().spellings())
        );
    }
    format!(
        "SELECT w.request, c.oid, n.nspname, c.relname, c.relkind::text,\n\
         \x20      pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)\n\
         FROM (VALUES {values}) AS w(request, schemas, names)\n\
         JOIN pg_catalog.pg_class c ON c.relname = ANY (w.names::pg_catalog.name[])\n\
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n\
         WHERE c.relkind IN {RELKINDS}\n\
         \x20 AND CASE WHEN w.schemas IS NULL\n\
         \x20          THEN n.nspname = ANY (pg_catalog.current_schemas(true))\n\
         \x20          ELSE n.nspname::text = ANY (w.schemas) END\n\
         ORDER BY 1, 6, 3, 4"
    )
}

fn text_array(items: &[String]) -> String {
    let literals: Vec<String> = items.iter().map(|s| escape_literal(s)).collect();
    format!("ARRAY[{}]::text[]", literals.join(", "))
}

/// Describes the relations with the given OIDs, one row per relation.
/// Columns: `oid`, `schema`, `name`, `kind`, `comment`, `partition_key`,
/// `partition_of` (JSON), `view_definition`, then JSON arrays `columns`,
/// `constraints`, `indexes`, `referenced_by`, `triggers`. The JSON is built
/// by the server (`json_build_object`), so every name and expression
/// arrives escaped; [`TableSchema::from_details_row`](super::TableSchema::from_details_row)
/// reads it. `oids` must not be empty.
pub fn table_details_sql(oids: &[u32]) -> String {
    let oid_list: Vec<String> = oids.iter().map(u32::to_string).collect();
    format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind::text,
       pg_catalog.obj_description(c.oid, 'pg_class'),
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN (
         SELECT pg_catalog.json_build_object(
                  'schema', pn.nspname, 'name', pc.relname,
                  'bound', pg_catalog.pg_get_expr(c.relpartbound, c.oid))
         FROM pg_catalog.pg_inherits i
         JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
         JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid LIMIT 1) END,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) END,
       (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                 'name', a.attname,
                 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                 'type_oid', a.atttypid,
                 'base_type_oid', CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,
                 'not_null', a.attnotnull,
                 'default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                 'identity', a.attidentity::text,
                 'generated', CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                 'comment', pg_catalog.col_description(c.oid, a.attnum)
               ) ORDER BY a.attnum), '[]')
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                 'name', k.conname,
                 'type', k.contype::text,
                 'definition', pg_catalog.pg_get_constraintdef(k.oid, true),
                 'columns', (SELECT pg_catalog.json_agg(a.attname ORDER BY u.ord)
                             FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
                             JOIN pg_catalog.pg_attribute a
                               ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
                 'ref_schema', fn.nspname,
                 'ref_table', fc.relname,
                 'ref_columns', (SELECT pg_catalog.json_agg(a.attname ORDER BY u.ord)
                                 FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
                                 JOIN pg_catalog.pg_attribute a
                                   ON a.attrelid = k.confrelid AND a.attnum = u.attnum),
                 'on_update', k.confupdtype::text,
                 'on_delete', k.confdeltype::text
               ) ORDER BY k.conname), '[]')
        FROM pg_catalog.pg_constraint k
        LEFT JOIN pg_catalog.pg_class fc ON fc.oid = k.confrelid
        LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f')),
       (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                 'name', ic.relname,
                 'definition', pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
                 'primary', i.indisprimary,
                 'unique', i.indisunique,
                 'valid', i.indisvalid,
                 'constraint', k.contype::text,
                 'constraint_definition', pg_catalog.pg_get_constraintdef(k.oid, true),
                 'predicate', pg_catalog.pg_get_expr(i.indpred, i.indrelid, true)
               ) ORDER BY i.indisprimary DESC, ic.relname), '[]')
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_catalog.pg_constraint k
          ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x')
        WHERE i.indrelid = c.oid),
       (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                 'schema', rn.nspname,
                 'table', rc.relname,
                 'name', k.conname,
                 'definition', pg_catalog.pg_get_constraintdef(k.oid, true)
               ) ORDER BY rn.nspname, rc.relname, k.conname), '[]')
        FROM pg_catalog.pg_constraint k
        JOIN pg_catalog.pg_class rc ON rc.oid = k.conrelid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE k.confrelid = c.oid AND k.contype = 'f' AND k.conparentid = 0),
       (SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
                 'name', tg.tgname,
                 'definition', pg_catalog.pg_get_triggerdef(tg.oid, true)
               ) ORDER BY tg.tgname), '[]')
        FROM pg_catalog.pg_trigger tg
        WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY (ARRAY[{}]::pg_catalog.oid[])",
        oid_list.join(", ")
    )
}

/// Samples up to `limit` non-NULL values of one column:
/// `SELECT "col" FROM "schema"."table" WHERE "col" IS NOT NULL LIMIT n`,
/// every name quoted with `escape_identifier`. One column of text (the
/// server's JSON text), one row per sample.
pub fn sample_json_sql(schema: &str, table: &str, column: &str, limit: u32) -> String {
    let column = escape_identifier(column);
    format!(
        "SELECT {column} FROM {}.{} WHERE {column} IS NOT NULL LIMIT {limit}",
        escape_identifier(schema),
        escape_identifier(table)
    )
}
