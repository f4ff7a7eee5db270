//! The catalog queries of the native dump, chosen by server version.
//!
//! Every query runs on the snapshot session, whose `search_path` is empty:
//! the server's deparsers (`pg_get_*def`, `pg_get_expr`, `format_type`)
//! then qualify every name they print, so the text restores anywhere.
//!
//! Objects are named by a *key*, `<letter>:<oid>`: `n` schema, `c` relation
//! (tables, views, sequences, indexes and composite types, whose `pg_type`
//! row is folded into its relation), `t` other type, `f` function, `d`
//! column default, `k` constraint, `g` trigger, `r` rule, `p` policy,
//! `x` extension, `s` statistics object, `l` large object.

/// The first OID of user objects (`FirstNormalObjectId`): anything below
/// came with the server.
pub(crate) const FIRST_USER_OID: u32 = 16384;

/// `pg_namespace` alias `n` is the `public` schema the server came with
/// (OID below [`FIRST_USER_OID`]; one made again by a user is a user schema).
const PUBLIC_SCHEMA: &str = "n.nspname = 'public' AND n.oid < 16384";

/// `pg_namespace` alias `n` is a user schema.
pub(crate) fn user_schema(alias: &str) -> String {
    format!(
        "{alias}.nspname <> 'information_schema' AND {alias}.nspname !~ '^pg_' \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
         WHERE e.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass \
         AND e.objid = {alias}.oid AND e.deptype = 'e')"
    )
}

/// The object `oid` of catalog `class` is not part of an extension.
pub(crate) fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
         WHERE e.classid = '{class}'::pg_catalog.regclass AND e.objid = {oid} AND e.deptype = 'e')"
    )
}

/// The object `oid` of catalog `class` is not an internal part of
/// another (a multirange's constructors and casts come with its range).
pub(crate) fn not_internal(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i \
         WHERE i.classid = '{class}'::pg_catalog.regclass AND i.objid = {oid} AND i.deptype = 'i')"
    )
}

/// SQL for the key of object `oid` of catalog `class` (both SQL
/// expressions). With `fold`, parts of an object become the object for
/// ordering: a generated column's expression is its table, a view's `_RETURN` rule its view, an array type
/// its element type.
fn key_sql(class: &str, oid: &str, fold: bool) -> String {
    key_sql_of(class, oid, fold, 0)
}

/// [`key_sql`] for a server whose `server_version_num` is given:
/// multiranges (PostgreSQL 14 on) fold into their range types; with 0
/// (callers that do not fold) `pg_range.rngmultitypid` is never named, so
/// the query runs on PostgreSQL 13.
fn key_sql_of(class: &str, oid: &str, fold: bool, server_version_num: u32) -> String {
    let multirange = if server_version_num >= 140_000 {
        format!(
            "(SELECT 't:' || r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = {oid}), "
        )
    } else {
        String::new()
    };
    let ty = if fold {
        format!(
            "coalesce((SELECT 'c:' || t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = {oid} AND t.typrelid <> 0), \
             (SELECT CASE WHEN t.typrelid <> 0 THEN 'c:' || t.typrelid ELSE 't:' || t.oid END \
              FROM pg_catalog.pg_type t WHERE t.typarray = {oid}), \
             {multirange}'t:' || {oid})"
        )
    } else {
        format!(
            "coalesce((SELECT 'c:' || t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = {oid} AND t.typrelid <> 0), 't:' || {oid})"
        )
    };
    let (attrdef, constraint, rule) = if fold {
        (
            format!(
                "(SELECT CASE WHEN a.attgenerated <> '' THEN 'c:' || ad.adrelid ELSE 'd:' || ad.oid END \
                 FROM pg_catalog.pg_attrdef ad JOIN pg_catalog.pg_attribute a \
                 ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum WHERE ad.oid = {oid})"
            ),
            format!("'k:' || {oid}"),
            format!(
                "(SELECT CASE WHEN r.rulename = '_RETURN' THEN 'c:' || r.ev_class ELSE 'r:' || r.oid END \
                 FROM pg_catalog.pg_rewrite r WHERE r.oid = {oid})"
            ),
        )
    } else {
        (
            format!("'d:' || {oid}"),
            format!("'k:' || {oid}"),
            format!("'r:' || {oid}"),
        )
    };
    // An operator class's or family's member is part of it.
    let member = format!(
        "(SELECT m.refclassid::pg_catalog.regclass::pg_catalog.text || ':' || m.refobjid \
          FROM pg_catalog.pg_depend m WHERE m.classid = {class} AND m.objid = {oid} \
          AND m.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, 'pg_catalog.pg_opfamily'::pg_catalog.regclass) \
          LIMIT 1)"
    );
    format!(
        "CASE {class} \
         WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'c:' || {oid} \
         WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN {ty} \
         WHEN 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN 'n:' || {oid} \
         WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f:' || {oid} \
         WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN {attrdef} \
         WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN {constraint} \
         WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN {rule} \
         WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN 'g:' || {oid} \
         WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN 'p:' || {oid} \
         WHEN 'pg_catalog.pg_extension'::pg_catalog.regclass THEN 'x:' || {oid} \
         WHEN 'pg_catalog.pg_largeobject'::pg_catalog.regclass THEN 'l:' || {oid} \
         WHEN 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass THEN 's:' || {oid} \
         WHEN 'pg_catalog.pg_amop'::pg_catalog.regclass THEN {member} \
         WHEN 'pg_catalog.pg_amproc'::pg_catalog.regclass THEN {member} \
         ELSE {class}::pg_catalog.regclass::pg_catalog.text || ':' || {oid} \
         END"
    )
}

/// `oid, name, owner` of every user schema.
pub(crate) fn schemas() -> String {
    format!(
        "SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) \
         FROM pg_catalog.pg_namespace n WHERE {} ORDER BY n.nspname",
        user_schema("n")
    )
}

/// Tables, partitioned tables, views, materialized views, sequences and
/// composite types (identity sequences belong to their column).
///
/// `oid, schema, name, relkind, owner, relpersistence, partition bound,
/// partition key, view definition, storage parameters (its TOAST table's
/// prefixed `toast.`), rls, force rls, populated, type of a typed table,
/// foreign server, foreign table options, tablespace (quoted; NULL for
/// the database's), replica identity, access method (quoted; NULL for
/// heap, but said for a partitioned table that has one)`.
pub(crate) fn relations() -> String {
    format!(
        "SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner), \
         c.relpersistence, \
         CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
         CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END, \
         pg_catalog.array_to_string(c.reloptions || ARRAY(SELECT 'toast.' || o \
           FROM pg_catalog.unnest(tc.reloptions) o), ', '), c.relrowsecurity, c.relforcerowsecurity, \
         c.relispopulated, \
         CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END, \
         (SELECT pg_catalog.quote_ident(s.srvname) FROM pg_catalog.pg_foreign_table ft \
           JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver WHERE ft.ftrelid = c.oid), \
         (SELECT pg_catalog.string_agg(pg_catalog.format('%I %L', o.option_name, o.option_value), ', ') \
           FROM pg_catalog.pg_foreign_table ft CROSS JOIN LATERAL pg_catalog.pg_options_to_table(ft.ftoptions) o \
           WHERE ft.ftrelid = c.oid), \
         (SELECT pg_catalog.quote_ident(ts.spcname) FROM pg_catalog.pg_tablespace ts WHERE ts.oid = c.reltablespace), \
         c.relreplident, \
         (SELECT pg_catalog.quote_ident(am.amname) FROM pg_catalog.pg_am am WHERE am.oid = c.relam \
           AND (c.relkind = 'p' OR am.amname <> 'heap') AND c.relkind IN ('r', 'p', 'm')) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'c', 'f') AND {} AND {} \
         AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
           WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i')) \
         ORDER BY n.nspname, c.relname",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_class", "c.oid"),
    )
}

/// `child oid, parent oid` of table inheritance and partitions, in the
/// parents' order.
pub(crate) fn inherits() -> String {
    "SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i \
     JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE c.relkind IN ('r', 'p', 'f') \
     ORDER BY i.inhrelid, i.inhseqno"
        .to_string()
}

/// Columns of tables, composite types and views (whose columns may carry
/// comments and privileges).
///
/// `relation oid, attnum, name, type, not null, identity, generated,
/// local, collation schema, collation name, default oid, default
/// expression, not-null constraint name, its validated, its no-inherit,
/// its local` (those four from PostgreSQL 18 on, NULL before),
/// `statistics target, storage` (NULL when the default), foreign-data
/// options, compression method (`p`, `l`; NULL when the default, and
/// before PostgreSQL 14), attribute options (`n_distinct=100`).
pub(crate) fn columns(server_version_num: u32) -> String {
    let compression = if server_version_num >= 140_000 {
        "NULLIF(a.attcompression, '')"
    } else {
        "NULL"
    };
    let not_null = if server_version_num >= 180_000 {
        "nn.conname, nn.convalidated, nn.connoinherit, nn.conislocal"
    } else {
        "NULL, NULL, NULL, NULL"
    };
    let not_null_join = if server_version_num >= 180_000 {
        "LEFT JOIN pg_catalog.pg_constraint nn ON nn.conrelid = a.attrelid AND nn.contype = 'n' \
         AND nn.conkey[1] = a.attnum"
    } else {
        ""
    };
    format!(
        "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
         a.attnotnull, a.attidentity, a.attgenerated, a.attislocal, cn.nspname, co.collname, \
         ad.oid, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), {not_null}, \
         NULLIF(a.attstattarget, -1), CASE WHEN a.attstorage <> ty.typstorage THEN a.attstorage END, \
         (SELECT pg_catalog.string_agg(pg_catalog.format('%I %L', o.option_name, o.option_value), ', ') \
           FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o), {compression}, \
         pg_catalog.array_to_string(a.attoptions, ', ') \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> ty.typcollation \
         LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         {not_null_join} \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'c', 'v', 'm', 'f') AND {} \
         ORDER BY a.attrelid, a.attnum",
        user_schema("n"),
    )
}

/// Sequences, identity sequences included.
///
/// `oid, schema, name, type, start, increment, max, min, cache, cycle,
/// owning table oid, owning column, dependency type ('a' OWNED BY, 'i'
/// identity), persistence`.
pub(crate) fn sequences() -> String {
    format!(
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), \
         s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle, \
         d.refobjid, a.attname, d.deptype, c.relpersistence \
         FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
           AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
           AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE {} AND {} ORDER BY n.nspname, c.relname",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_class", "c.oid"),
    )
}

/// Enum and domain types.
///
/// `oid, schema, name, typtype, owner, domain base type, not null,
/// default, collation schema, collation name, name of the NOT NULL
/// constraint (PostgreSQL 17 on; NULL before, where it has none)`.
pub(crate) fn types() -> String {
    format!(
        "SELECT t.oid, n.nspname, t.typname, t.typtype, pg_catalog.pg_get_userbyid(t.typowner), \
         CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, \
         t.typnotnull, t.typdefault, cn.nspname, co.collname, \
         (SELECT nn.conname FROM pg_catalog.pg_constraint nn WHERE nn.contypid = t.oid AND nn.contype = 'n') \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation AND t.typtype = 'd' \
           AND t.typcollation <> bt.typcollation \
         LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE t.typtype IN ('e', 'd') AND {} AND {} ORDER BY n.nspname, t.typname",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_type", "t.oid"),
    )
}

/// `type oid, label` of every enum, in sort order.
pub(crate) fn enum_labels() -> String {
    "SELECT e.enumtypid, e.enumlabel FROM pg_catalog.pg_enum e \
     ORDER BY e.enumtypid, e.enumsortorder"
        .to_string()
}

/// Functions and procedures (aggregates are reported, not dumped).
///
/// `oid, schema, name, prokind, owner, identity arguments, definition`.
pub(crate) fn functions() -> String {
    format!(
        "SELECT p.oid, n.nspname, p.proname, p.prokind, pg_catalog.pg_get_userbyid(p.proowner), \
         pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_functiondef(p.oid) \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prokind IN ('f', 'p', 'w') AND {} AND {} AND {} ORDER BY n.nspname, p.proname, p.oid",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_proc", "p.oid"),
        not_internal("pg_catalog.pg_proc", "p.oid"),
    )
}

/// Table and domain constraints (not-null constraints come with their
/// column; constraint triggers with the triggers).
///
/// `oid, name, contype, table oid, domain oid, definition, validated,
/// local, parent constraint oid`.
pub(crate) fn constraints() -> String {
    format!(
        "SELECT co.oid, co.conname, co.contype, co.conrelid, co.contypid, \
         pg_catalog.pg_get_constraintdef(co.oid), co.convalidated, co.conislocal, co.conparentid, \
         co.confrelid \
         FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace \
         WHERE co.contype NOT IN ('n', 't') AND {} ORDER BY co.conrelid, co.contypid, co.conname",
        user_schema("n"),
    )
}

/// Indexes.
///
/// `index oid, table oid, schema, name, definition, parent index oid,
/// backs a constraint, clustered, tablespace (quoted; NULL for the
/// database's), replica identity, statistics targets of its columns
/// (`number target` pairs, comma separated; NULL without), storage
/// parameters`.
pub(crate) fn indexes() -> String {
    format!(
        "SELECT i.indexrelid, i.indrelid, n.nspname, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), \
         (SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid), \
         EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid \
           AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')), i.indisclustered, \
         (SELECT pg_catalog.quote_ident(ts.spcname) FROM pg_catalog.pg_tablespace ts WHERE ts.oid = ic.reltablespace), \
         i.indisreplident, \
         (SELECT pg_catalog.string_agg(a.attnum || ' ' || a.attstattarget, ',' ORDER BY a.attnum) \
           FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0), \
         pg_catalog.array_to_string(ic.reloptions, ', ') \
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace \
         WHERE (i.indisvalid OR ic.relkind = 'I') AND {} ORDER BY n.nspname, ic.relname",
        user_schema("n"),
    )
}

/// `oid, table oid, name, definition, enabled, clone` of user triggers.
/// Clones on partitions come with their parent's, but one whose enabled
/// state is its own is listed (as a clone) for that state.
pub(crate) fn triggers() -> String {
    "SELECT t.oid, t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false), t.tgenabled, \
     t.tgparentid <> 0 \
     FROM pg_catalog.pg_trigger t LEFT JOIN pg_catalog.pg_trigger pt ON pt.oid = t.tgparentid \
     WHERE (NOT t.tgisinternal AND t.tgparentid = 0) \
     OR (NOT pt.tgisinternal AND t.tgenabled <> pt.tgenabled) \
     ORDER BY t.tgrelid, t.tgname"
        .to_string()
}

/// `oid, relation oid, name, definition, enabled, clone (false)` of
/// rules other than views' own.
pub(crate) fn rules() -> String {
    "SELECT r.oid, r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid), r.ev_enabled, false \
     FROM pg_catalog.pg_rewrite r WHERE r.rulename <> '_RETURN' ORDER BY r.ev_class, r.rulename"
        .to_string()
}

/// One row per policy and role: `oid, table oid, name, command,
/// permissive, USING, WITH CHECK, role (NULL for PUBLIC)`.
pub(crate) fn policies() -> String {
    "SELECT pol.oid, pol.polrelid, pol.polname, pol.polcmd, pol.polpermissive, \
     pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), \
     pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid), \
     CASE WHEN r.role = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(r.role) END \
     FROM pg_catalog.pg_policy pol \
     CROSS JOIN LATERAL pg_catalog.unnest(pol.polroles) WITH ORDINALITY AS r(role, ord) \
     ORDER BY pol.polrelid, pol.polname, r.ord"
        .to_string()
}

/// `dependent key, referenced key` between user objects, parts folded
/// into their objects (see [`key_sql`]). Constraints stay objects of
/// their own: a CHECK that calls a function which takes its table's row
/// or its domain would otherwise be a loop (pg_dump's table↔CHECK and
/// domain↔CHECK).
pub(crate) fn dependencies(server_version_num: u32) -> String {
    format!(
        "SELECT DISTINCT {}, {} FROM pg_catalog.pg_depend d \
         WHERE d.deptype IN ('n', 'a') AND d.objid >= {FIRST_USER_OID} AND d.refobjid >= {FIRST_USER_OID}",
        key_sql_of("d.classid", "d.objid", true, server_version_num),
        key_sql_of("d.refclassid", "d.refobjid", true, server_version_num),
    )
}

/// `key, column number, column name, text` of every comment on a user
/// object (and on the database's subscriptions, whose comments are
/// shared), and on the `public` schema when it is not the one it came
/// with.
pub(crate) fn comments() -> String {
    format!(
        "SELECT {}, d.objsubid, a.attname, d.description FROM pg_catalog.pg_description d \
         LEFT JOIN pg_catalog.pg_attribute a ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass \
           AND a.attrelid = d.objoid AND a.attnum = d.objsubid \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.objoid \
         WHERE (d.objoid >= {FIRST_USER_OID} OR ({PUBLIC_SCHEMA} AND d.objoid = n.oid \
           AND d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objsubid = 0 \
           AND d.description <> 'standard public schema')) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
           WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e') \
         UNION ALL SELECT {}, 0, NULL, sd.description FROM pg_catalog.pg_shdescription sd \
         WHERE sd.classoid = 'pg_catalog.pg_subscription'::pg_catalog.regclass AND EXISTS (SELECT 1 \
           FROM pg_catalog.pg_subscription s WHERE s.oid = sd.objoid AND s.subdbid = \
           (SELECT db.oid FROM pg_catalog.pg_database db WHERE db.datname = pg_catalog.current_database())) \
         ORDER BY 1, 2",
        key_sql("d.classoid", "d.objoid", false),
        key_sql("sd.classoid", "sd.objoid", false),
    )
}

/// The ACL `acl` of object `oid` (column `sub`) of catalog `class` is not
/// the one the server or the object's extension gave it (`pg_init_privs`).
fn changed_privileges(acl: &str, class: &str, oid: &str, sub: &str) -> String {
    format!(
        "{acl} IS DISTINCT FROM (SELECT ip.initprivs FROM pg_catalog.pg_init_privs ip \
         WHERE ip.objoid = {oid} AND ip.classoid = {class} AND ip.objsubid = {sub})"
    )
}

/// Every privilege granted on a user object, in ACL order: `key, column
/// name (NULL for the object), grantor, grantee (NULL for PUBLIC),
/// privilege, grantable, extension oid, object for GRANT, owner`. The
/// `public` schema's count when they are not the ones it came with
/// (`pg_init_privs`); so do an extension member's (a function, relation
/// or type), which are then written with its extension: the last three
/// columns name it (NULL for other objects).
pub(crate) fn privileges() -> String {
    format!(
        "SELECT {}, x.attname, pg_catalog.pg_get_userbyid(g.grantor), \
         CASE WHEN g.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(g.grantee) END, \
         g.privilege_type, g.is_grantable, e.refobjid, \
         CASE WHEN e.refobjid IS NOT NULL THEN CASE x.cls \
           WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'ROUTINE ' || x.oid::pg_catalog.regprocedure::pg_catalog.text \
           WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'TABLE ' || x.oid::pg_catalog.regclass::pg_catalog.text \
           WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN 'TYPE ' || pg_catalog.format_type(x.oid, NULL) END END, \
         CASE WHEN e.refobjid IS NOT NULL THEN pg_catalog.pg_get_userbyid(x.owner) END \
         FROM ( \
           SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS cls, c.oid, NULL::name AS attname, c.relacl AS acl, 0 AS sub, \
             c.relowner AS owner FROM pg_catalog.pg_class c WHERE c.relacl IS NOT NULL \
           UNION ALL SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, a.attrelid, a.attname, a.attacl, a.attnum, \
             (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid) \
             FROM pg_catalog.pg_attribute a WHERE a.attacl IS NOT NULL AND a.attnum > 0 \
           UNION ALL SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, NULL, n.nspacl, 0, n.nspowner \
             FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL AND (n.oid >= {FIRST_USER_OID} \
             OR ({PUBLIC_SCHEMA} AND {})) \
           UNION ALL SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, NULL, p.proacl, 0, p.proowner \
             FROM pg_catalog.pg_proc p WHERE p.proacl IS NOT NULL \
           UNION ALL SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, NULL, t.typacl, 0, t.typowner \
             FROM pg_catalog.pg_type t WHERE t.typacl IS NOT NULL \
           UNION ALL SELECT 'pg_catalog.pg_largeobject'::pg_catalog.regclass, m.oid, NULL, m.lomacl, 0, m.lomowner \
             FROM pg_catalog.pg_largeobject_metadata m WHERE m.lomacl IS NOT NULL \
           UNION ALL SELECT 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass, w.oid, NULL, w.fdwacl, 0, w.fdwowner \
             FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL \
           UNION ALL SELECT 'pg_catalog.pg_foreign_server'::pg_catalog.regclass, s.oid, NULL, s.srvacl, 0, s.srvowner \
             FROM pg_catalog.pg_foreign_server s WHERE s.srvacl IS NOT NULL \
         ) x \
         LEFT JOIN pg_catalog.pg_depend e ON e.classid = x.cls AND e.objid = x.oid AND e.objsubid = 0 AND e.deptype = 'e' \
         CROSS JOIN LATERAL pg_catalog.aclexplode(x.acl) WITH ORDINALITY AS g(grantor, grantee, privilege_type, is_grantable, ord) \
         WHERE (x.oid >= {FIRST_USER_OID} OR x.cls = 'pg_catalog.pg_namespace'::pg_catalog.regclass) \
         AND (e.refobjid IS NULL OR {}) \
         ORDER BY 1, x.sub, g.ord",
        key_sql("x.cls", "x.oid", false),
        changed_privileges(
            "n.nspacl",
            "'pg_catalog.pg_namespace'::pg_catalog.regclass",
            "n.oid",
            "0"
        ),
        changed_privileges("x.acl", "x.cls", "x.oid", "x.sub"),
    )
}

/// `kind, name, schema, relation name` of every user object the native
/// dump cannot write yet (the caller must hear about each one the
/// selection holds): the schema is NULL for objects outside schemas, the
/// relation name NULL for objects that are not relations.
pub(crate) fn unsupported(superuser: bool) -> String {
    // Only a superuser may read a subscription's connection string.
    let subscriptions = if superuser { "false" } else { "true" };
    let user = FIRST_USER_OID;
    format!(
        "SELECT 'subscription', sb.subname, NULL::pg_catalog.text, NULL::pg_catalog.text \
           FROM pg_catalog.pg_subscription sb \
           WHERE {subscriptions} \
           AND sb.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) \
         UNION ALL SELECT 'security label', pg_catalog.format('%s %s', sl.objtype, sl.objname), NULL, NULL \
           FROM pg_catalog.pg_seclabels sl WHERE sl.objoid >= {user} \
         ORDER BY 1, 2",
    )
}

/// `oid, last_value, is_called` of each sequence: one `UNION ALL` over
/// all of them (each is a relation of its own). `None` without sequences.
pub(crate) fn sequence_values(sequences: &[(u32, String)]) -> Option<String> {
    if sequences.is_empty() {
        return None;
    }
    let parts: Vec<String> = sequences
        .iter()
        .map(|(oid, qualified)| {
            format!("SELECT {oid}::pg_catalog.oid, last_value, is_called FROM {qualified}")
        })
        .collect();
    Some(parts.join(" UNION ALL "))
}

/// `oid, name, schema` of every extension but the built-in plpgsql.
pub(crate) fn extensions() -> String {
    "SELECT x.oid, x.extname, n.nspname FROM pg_catalog.pg_extension x \
     JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace \
     WHERE x.extname <> 'plpgsql' ORDER BY x.extname"
        .to_string()
}

/// The tables and sequences extensions marked with
/// `pg_extension_config_dump`: their rows (those matching the condition)
/// are the user's, and pg_dump dumps them though CREATE EXTENSION makes
/// the objects.
///
/// `extension oid, relation oid, schema, name, relkind, condition (empty:
/// every row), copied columns (quoted, comma-separated)`.
pub(crate) fn extension_config() -> String {
    "SELECT x.oid, c.oid, n.nspname, c.relname, c.relkind, COALESCE(cfg.cond, ''), \
     (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) \
       FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 \
       AND NOT a.attisdropped AND a.attgenerated = '') \
     FROM pg_catalog.pg_extension x \
     CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(x.extconfig), pg_catalog.unnest(x.extcondition)) AS cfg(rel, cond) \
     JOIN pg_catalog.pg_class c ON c.oid = cfg.rel \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'S') ORDER BY n.nspname, c.relname"
        .to_string()
}

/// `oid, table oid, schema, name, definition, statistics target, owner`
/// of extended statistics objects.
pub(crate) fn statistics(server_version_num: u32) -> String {
    // stxstattarget is NULL for the default from PostgreSQL 17 on, -1 before.
    let target = if server_version_num >= 170_000 {
        "s.stxstattarget"
    } else {
        "NULLIF(s.stxstattarget, -1)"
    };
    format!(
        "SELECT s.oid, s.stxrelid, n.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid), {target}, \
         pg_catalog.pg_get_userbyid(s.stxowner) \
         FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace \
         WHERE {} AND {} ORDER BY n.nspname, s.stxname",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_statistic_ext", "s.oid"),
    )
}

/// `oid, owner` of every large object.
pub(crate) fn large_objects() -> String {
    "SELECT m.oid, pg_catalog.pg_get_userbyid(m.lomowner) \
     FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid"
        .to_string()
}

/// Bytes of a large object per restore statement.
pub(crate) const LARGE_OBJECT_CHUNK: u32 = 65_536;

/// A COPY whose output *is* SQL: one `lo_put` statement per chunk of
/// every large object, the bytes in hex (only letters, digits and
/// punctuation that COPY's text format leaves alone), so the runtime
/// streams large objects into the dump as it streams tables.
pub(crate) fn large_object_data() -> String {
    format!(
        "COPY (SELECT pg_catalog.format('SELECT pg_catalog.lo_put(''%s'', %s, pg_catalog.decode(%L, ''hex''));', \
           m.oid, g.off, pg_catalog.encode(pg_catalog.lo_get(m.oid, g.off, {LARGE_OBJECT_CHUNK}), 'hex')) \
         FROM pg_catalog.pg_largeobject_metadata m \
         CROSS JOIN LATERAL pg_catalog.generate_series(0::pg_catalog.int8, \
           pg_catalog.lo_lseek64(pg_catalog.lo_open(m.oid, 262144), 0, 2) - 1, {LARGE_OBJECT_CHUNK}) AS g(off) \
         ORDER BY m.oid, g.off) TO STDOUT"
    )
}
