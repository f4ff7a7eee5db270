//! The object kinds whose statements the server assembles in one query:
//! aggregates, collations, range, base and shell types, casts,
//! transforms, operators with their classes and families, conversions,
//! text search parsers, templates, dictionaries and configurations,
//! access methods, procedural languages, foreign-data wrappers, foreign
//! servers, user mappings, event triggers, publications, subscriptions and
//! default privileges. None has a deparser of its own
//! (`pg_get_functiondef` refuses aggregates), so each row is built as
//! pg_dump builds it, from the catalog columns, with `format()` quoting
//! every name and literal.
//!
//! Every branch returns the same columns: `key, schema (NULL outside
//! schemas), section ('pre', 'post', or 'split' for a base type that
//! needs its shell first), priority, statements, comment
//! target, grant target, owner target, owner, relation` (the table a
//! publication adds: in the dump only with it and its publication).

use super::catalog_sql::{FIRST_USER_OID, not_extension_member, user_schema};

/// The key of object `oid` of catalog `catalog` for kinds without a
/// letter of their own (as [`key_sql`](super::catalog_sql) names them).
fn key(catalog: &str, oid: &str) -> String {
    format!("'pg_catalog.{catalog}'::pg_catalog.regclass::pg_catalog.text || ':' || {oid}")
}

/// ` OPTIONS (k 'v', ...)` of an options array, or nothing.
fn options(column: &str) -> String {
    format!(
        "coalesce(' OPTIONS (' || (SELECT pg_catalog.string_agg(pg_catalog.format('%I %L', o.option_name, o.option_value), ', ') \
         FROM pg_catalog.pg_options_to_table({column}) o) || ')', '')"
    )
}

/// `schema.operator` of operator `oid`, for `OPERATOR(...)`.
fn operator_name(oid: &str) -> String {
    format!(
        "(SELECT pg_catalog.format('OPERATOR(%I.%s)', opn.nspname, op.oprname) FROM pg_catalog.pg_operator op \
         JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace WHERE op.oid = {oid})"
    )
}

fn modify(column: &str) -> String {
    format!(
        "CASE {column} WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END"
    )
}

fn aggregates() -> String {
    let signature = "pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, \
         CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_catalog.pg_get_function_identity_arguments(p.oid) END)";
    format!(
        "SELECT 'f:' || p.oid, n.nspname::pg_catalog.text, 'pre', 4, \
         pg_catalog.format(E'CREATE AGGREGATE %I.%I(%s) (\\n    %s\\n);', n.nspname, p.proname, \
           CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_catalog.pg_get_function_arguments(p.oid) END, \
           pg_catalog.concat_ws(E',\\n    ', \
             'SFUNC = ' || a.aggtransfn::pg_catalog.regproc, \
             'STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL), \
             CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END, \
             CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::pg_catalog.regproc END, \
             CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END, \
             'FINALFUNC_MODIFY = ' || {final_modify}, \
             CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::pg_catalog.regproc END, \
             CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::pg_catalog.regproc END, \
             CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::pg_catalog.regproc END, \
             CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || pg_catalog.quote_literal(a.agginitval) END, \
             CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::pg_catalog.regproc \
               || E',\\n    MINVFUNC = ' || a.aggminvtransfn::pg_catalog.regproc \
               || E',\\n    MSTYPE = ' || pg_catalog.format_type(a.aggmtranstype, NULL) \
               || E',\\n    MFINALFUNC_MODIFY = ' || {mfinal_modify} END, \
             CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END, \
             CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::pg_catalog.regproc END, \
             CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END, \
             CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || pg_catalog.quote_literal(a.aggminitval) END, \
             CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = ' || {sortop} END, \
             CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END, \
             CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END)), \
         'AGGREGATE ' || {signature}, \
         pg_catalog.format('FUNCTION %I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)), \
         'AGGREGATE ' || {signature}, pg_catalog.pg_get_userbyid(p.proowner) \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prokind = 'a' AND {} AND {}",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_proc", "p.oid"),
        final_modify = modify("a.aggfinalmodify"),
        mfinal_modify = modify("a.aggmfinalmodify"),
        sortop = operator_name("a.aggsortop"),
    )
}

fn collations(server_version_num: u32) -> String {
    let locale = if server_version_num >= 170_000 {
        "co.colllocale"
    } else if server_version_num >= 150_000 {
        "co.colliculocale"
    } else {
        "co.collcollate"
    };
    let rules = if server_version_num >= 160_000 {
        "CASE WHEN co.collicurules IS NOT NULL THEN 'rules = ' || pg_catalog.quote_literal(co.collicurules) END"
    } else {
        "NULL"
    };
    let target = "pg_catalog.format('COLLATION %I.%I', n.nspname, co.collname)";
    format!(
        "SELECT {}, n.nspname, 'pre', 1, \
         pg_catalog.format('CREATE COLLATION %I.%I (%s);', n.nspname, co.collname, pg_catalog.concat_ws(', ', \
           'provider = ' || CASE co.collprovider WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' ELSE 'libc' END, \
           CASE WHEN NOT co.collisdeterministic THEN 'deterministic = false' END, \
           CASE WHEN co.collprovider = 'c' THEN 'lc_collate = ' || pg_catalog.quote_literal(co.collcollate) \
             || ', lc_ctype = ' || pg_catalog.quote_literal(co.collctype) \
             ELSE 'locale = ' || pg_catalog.quote_literal({locale}) END, {rules})), \
         {target}, NULL, {target}, pg_catalog.pg_get_userbyid(co.collowner) \
         FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace \
         WHERE co.oid >= {FIRST_USER_OID} AND {} AND {}",
        key("pg_collation", "co.oid"),
        user_schema("n"),
        not_extension_member("pg_catalog.pg_collation", "co.oid"),
    )
}

fn ranges(server_version_num: u32) -> String {
    let multirange = if server_version_num >= 140_000 {
        "(SELECT 'multirange_type_name = ' || pg_catalog.format('%I.%I', mn.nspname, mt.typname) \
          FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace \
          WHERE mt.oid = r.rngmultitypid)"
    } else {
        "NULL"
    };
    let target = "pg_catalog.format('TYPE %I.%I', n.nspname, t.typname)";
    format!(
        "SELECT 't:' || t.oid, n.nspname, 'pre', 2, \
         pg_catalog.format(E'CREATE TYPE %I.%I AS RANGE (\\n    %s\\n);', n.nspname, t.typname, pg_catalog.concat_ws(E',\\n    ', \
           'subtype = ' || pg_catalog.format_type(r.rngsubtype, NULL), {multirange}, \
           (SELECT 'subtype_opclass = ' || pg_catalog.format('%I.%I', ocn.nspname, oc.opcname) \
              FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace \
              WHERE oc.oid = r.rngsubopc), \
           (SELECT 'collation = ' || pg_catalog.format('%I.%I', cn.nspname, c.collname) \
              FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace \
              WHERE c.oid = r.rngcollation), \
           CASE WHEN r.rngcanonical <> 0 THEN 'canonical = ' || r.rngcanonical::pg_catalog.regproc END, \
           CASE WHEN r.rngsubdiff <> 0 THEN 'subtype_diff = ' || r.rngsubdiff::pg_catalog.regproc END)), \
         {target}, {target}, {target}, pg_catalog.pg_get_userbyid(t.typowner) \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE {} AND {}",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_type", "t.oid"),
    )
}

/// Base types, in section `split`: their input and output functions take
/// and return the type, so a shell type comes first (pg_dump's
/// `CREATE TYPE name;`), then the functions, then the whole type.
fn base_types(server_version_num: u32) -> String {
    let subscript = if server_version_num >= 140_000 {
        "CASE WHEN t.typsubscript <> 0 THEN 'SUBSCRIPT = ' || t.typsubscript::pg_catalog.regproc END"
    } else {
        "NULL"
    };
    let target = "pg_catalog.format('TYPE %I.%I', n.nspname, t.typname)";
    let function = |label: &str, column: &str| {
        format!("CASE WHEN t.{column} <> 0 THEN '{label} = ' || t.{column}::pg_catalog.regproc END")
    };
    format!(
        "SELECT 't:' || t.oid, n.nspname, 'split', 2, \
         pg_catalog.format(E'CREATE TYPE %I.%I (\\n    %s\\n);', n.nspname, t.typname, pg_catalog.concat_ws(E',\\n    ', \
           'INTERNALLENGTH = ' || CASE WHEN t.typlen < 0 THEN 'variable' ELSE t.typlen::pg_catalog.text END, \
           {input}, {output}, {receive}, {send}, {typmod_in}, {typmod_out}, {analyze}, {subscript}, \
           CASE WHEN t.typbyval THEN 'PASSEDBYVALUE' END, \
           'ALIGNMENT = ' || CASE t.typalign WHEN 'c' THEN 'char' WHEN 's' THEN 'int2' WHEN 'i' THEN 'int4' ELSE 'double' END, \
           'STORAGE = ' || CASE t.typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' ELSE 'extended' END, \
           'CATEGORY = ' || pg_catalog.quote_literal(t.typcategory::pg_catalog.text), \
           CASE WHEN t.typispreferred THEN 'PREFERRED = true' END, \
           CASE WHEN t.typdefault IS NOT NULL THEN 'DEFAULT = ' || pg_catalog.quote_literal(t.typdefault) END, \
           CASE WHEN t.typelem <> 0 THEN 'ELEMENT = ' || pg_catalog.format_type(t.typelem, NULL) END, \
           'DELIMITER = ' || pg_catalog.quote_literal(t.typdelim::pg_catalog.text), \
           CASE WHEN t.typcollation <> 0 THEN 'COLLATABLE = true' END)), \
         {target}, {target}, {target}, pg_catalog.pg_get_userbyid(t.typowner) \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'b' AND t.oid >= {FIRST_USER_OID} \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type a WHERE a.typarray = t.oid) AND {} AND {}",
        user_schema("n"),
        not_extension_member("pg_catalog.pg_type", "t.oid"),
        input = function("INPUT", "typinput"),
        output = function("OUTPUT", "typoutput"),
        receive = function("RECEIVE", "typreceive"),
        send = function("SEND", "typsend"),
        typmod_in = function("TYPMOD_IN", "typmodin"),
        typmod_out = function("TYPMOD_OUT", "typmodout"),
        analyze = function("ANALYZE", "typanalyze"),
    )
}

fn transforms() -> String {
    let target = "pg_catalog.format('TRANSFORM FOR %s LANGUAGE %I', pg_catalog.format_type(t.trftype, NULL), l.lanname)";
    format!(
        "SELECT {}, NULL, 'pre', 5, \
         pg_catalog.format('CREATE TRANSFORM FOR %s LANGUAGE %I (%s);', pg_catalog.format_type(t.trftype, NULL), l.lanname, \
           pg_catalog.concat_ws(', ', \
             CASE WHEN t.trffromsql <> 0 THEN 'FROM SQL WITH FUNCTION ' || t.trffromsql::pg_catalog.regprocedure END, \
             CASE WHEN t.trftosql <> 0 THEN 'TO SQL WITH FUNCTION ' || t.trftosql::pg_catalog.regprocedure END)), \
         {target}, NULL, NULL, NULL \
         FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang WHERE {}",
        key("pg_transform", "t.oid"),
        not_extension_member("pg_catalog.pg_transform", "t.oid"),
    )
}

fn casts() -> String {
    let types =
        "pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL)";
    format!(
        "SELECT {}, NULL, 'pre', 4, \
         pg_catalog.format('CREATE CAST (%s AS %s) %s%s;', {types}, \
           CASE c.castmethod WHEN 'f' THEN 'WITH FUNCTION ' || c.castfunc::pg_catalog.regprocedure \
             WHEN 'i' THEN 'WITH INOUT' ELSE 'WITHOUT FUNCTION' END, \
           CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT' ELSE '' END), \
         pg_catalog.format('CAST (%s AS %s)', {types}), NULL, NULL, NULL \
         FROM pg_catalog.pg_cast c WHERE c.oid >= {FIRST_USER_OID} AND {} AND {}",
        key("pg_cast", "c.oid"),
        not_extension_member("pg_catalog.pg_cast", "c.oid"),
        super::catalog_sql::not_internal("pg_catalog.pg_cast", "c.oid"),
    )
}

fn operators() -> String {
    let target = "pg_catalog.format('OPERATOR %I.%s (%s, %s)', n.nspname, o.oprname, \
         CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END, \
         CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END)";
    format!(
        "SELECT {}, n.nspname, 'pre', 4, \
         pg_catalog.format(E'CREATE OPERATOR %I.%s (\\n    %s\\n);', n.nspname, o.oprname, pg_catalog.concat_ws(E',\\n    ', \
           'FUNCTION = ' || o.oprcode::pg_catalog.regproc, \
           CASE WHEN o.oprleft <> 0 THEN 'LEFTARG = ' || pg_catalog.format_type(o.oprleft, NULL) END, \
           CASE WHEN o.oprright <> 0 THEN 'RIGHTARG = ' || pg_catalog.format_type(o.oprright, NULL) END, \
           CASE WHEN o.oprcom <> 0 THEN 'COMMUTATOR = ' || {com} END, \
           CASE WHEN o.oprnegate <> 0 THEN 'NEGATOR = ' || {neg} END, \
           CASE WHEN o.oprrest <> 0 THEN 'RESTRICT = ' || o.oprrest::pg_catalog.regproc END, \
           CASE WHEN o.oprjoin <> 0 THEN 'JOIN = ' || o.oprjoin::pg_catalog.regproc END, \
           CASE WHEN o.oprcanhash THEN 'HASHES' END, CASE WHEN o.oprcanmerge THEN 'MERGES' END)), \
         {target}, NULL, {target}, pg_catalog.pg_get_userbyid(o.oprowner) \
         FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace \
         WHERE o.oid >= {FIRST_USER_OID} AND o.oprcode <> 0 AND {} AND {}",
        key("pg_operator", "o.oid"),
        user_schema("n"),
        not_extension_member("pg_catalog.pg_operator", "o.oid"),
        com = operator_name("o.oprcom"),
        neg = operator_name("o.oprnegate"),
    )
}

/// The members of an operator class or family (its `pg_depend` says
/// whose they are): `OPERATOR n op(l, r) [FOR ORDER BY f]` and
/// `FUNCTION n (l, r) f(args)`, joined by `separator`; NULL without any.
fn members(owner_catalog: &str, owner_oid: &str, separator: &str) -> String {
    format!(
        "(SELECT pg_catalog.string_agg(m.item, E'{separator}' ORDER BY m.kind, m.num) FROM ( \
           SELECT 1 AS kind, ao.amopstrategy AS num, pg_catalog.format('OPERATOR %s %s%s', ao.amopstrategy, \
             ao.amopopr::pg_catalog.regoperator, CASE WHEN ao.amoppurpose = 'o' THEN ' FOR ORDER BY ' || \
               (SELECT pg_catalog.format('%I.%I', sn.nspname, sf.opfname) FROM pg_catalog.pg_opfamily sf \
                JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace WHERE sf.oid = ao.amopsortfamily) \
               ELSE '' END) AS item \
           FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend dd ON dd.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass \
             AND dd.objid = ao.oid \
           WHERE dd.refclassid = 'pg_catalog.{owner_catalog}'::pg_catalog.regclass AND dd.refobjid = {owner_oid} \
           UNION ALL SELECT 2, ap.amprocnum, pg_catalog.format('FUNCTION %s (%s, %s) %s', ap.amprocnum, \
             pg_catalog.format_type(ap.amproclefttype, NULL), pg_catalog.format_type(ap.amprocrighttype, NULL), \
             ap.amproc::pg_catalog.regprocedure) \
           FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend dd ON dd.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass \
             AND dd.objid = ap.oid \
           WHERE dd.refclassid = 'pg_catalog.{owner_catalog}'::pg_catalog.regclass AND dd.refobjid = {owner_oid} \
             ) m)"
    )
}

/// Operator families (always created, so that a class names its family)
/// with their loose members, and operator classes with theirs.
fn operator_classes() -> String {
    let family =
        "pg_catalog.format('OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, am.amname)";
    let class =
        "pg_catalog.format('OPERATOR CLASS %I.%I USING %I', n.nspname, c.opcname, am.amname)";
    format!(
        "SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format('CREATE OPERATOR FAMILY %I.%I USING %I;', n.nspname, f.opfname, am.amname) \
         || coalesce(pg_catalog.format(E'\\nALTER OPERATOR FAMILY %I.%I USING %I ADD\\n    ', n.nspname, f.opfname, \
              am.amname) || {} || ';', ''), \
         {family}, NULL, {family}, pg_catalog.pg_get_userbyid(f.opfowner) \
         FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
         WHERE f.oid >= {FIRST_USER_OID} AND {ns} AND {} \
         UNION ALL SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format(E'CREATE OPERATOR CLASS %I.%I%s FOR TYPE %s USING %I FAMILY %I.%I AS\\n    %s;', \
           n.nspname, c.opcname, CASE WHEN c.opcdefault THEN ' DEFAULT' ELSE '' END, \
           pg_catalog.format_type(c.opcintype, NULL), am.amname, fn.nspname, f.opfname, \
           pg_catalog.concat_ws(E',\\n    ', {}, \
             CASE WHEN c.opckeytype <> 0 THEN 'STORAGE ' || pg_catalog.format_type(c.opckeytype, NULL) END)), \
         {class}, NULL, {class}, pg_catalog.pg_get_userbyid(c.opcowner) \
         FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace \
         JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod \
         JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE c.oid >= {FIRST_USER_OID} AND {ns} AND {}",
        key("pg_opfamily", "f.oid"),
        members("pg_opfamily", "f.oid", ",\\n    "),
        not_extension_member("pg_catalog.pg_opfamily", "f.oid"),
        key("pg_opclass", "c.oid"),
        members("pg_opclass", "c.oid", ",\\n    "),
        not_extension_member("pg_catalog.pg_opclass", "c.oid"),
        ns = user_schema("n"),
    )
}

/// Conversions, text search parsers and templates, access methods,
/// procedural languages and shell types: each a single statement naming
/// existing functions.
fn small_kinds() -> String {
    let conversion = "pg_catalog.format('CONVERSION %I.%I', n.nspname, c.conname)";
    let parser = "pg_catalog.format('TEXT SEARCH PARSER %I.%I', n.nspname, p.prsname)";
    let template = "pg_catalog.format('TEXT SEARCH TEMPLATE %I.%I', n.nspname, t.tmplname)";
    let language = "pg_catalog.format('LANGUAGE %I', l.lanname)";
    let shell = "pg_catalog.format('TYPE %I.%I', n.nspname, ty.typname)";
    format!(
        "SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format('CREATE %sCONVERSION %I.%I FOR %L TO %L FROM %s;', \
           CASE WHEN c.condefault THEN 'DEFAULT ' ELSE '' END, n.nspname, c.conname, \
           pg_catalog.pg_encoding_to_char(c.conforencoding), pg_catalog.pg_encoding_to_char(c.contoencoding), \
           c.conproc::pg_catalog.regproc), \
         {conversion}, NULL, {conversion}, pg_catalog.pg_get_userbyid(c.conowner) \
         FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
         WHERE c.oid >= {FIRST_USER_OID} AND {ns} AND {} \
         UNION ALL SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format(E'CREATE TEXT SEARCH PARSER %I.%I (\\n    %s );', n.nspname, p.prsname, \
           pg_catalog.concat_ws(E',\\n    ', 'START = ' || p.prsstart::pg_catalog.regproc, \
             'GETTOKEN = ' || p.prstoken::pg_catalog.regproc, 'END = ' || p.prsend::pg_catalog.regproc, \
             'LEXTYPES = ' || p.prslextype::pg_catalog.regproc, \
             CASE WHEN p.prsheadline <> 0 THEN 'HEADLINE = ' || p.prsheadline::pg_catalog.regproc END)), \
         {parser}, NULL, NULL, NULL \
         FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace \
         WHERE p.oid >= {FIRST_USER_OID} AND {ns} AND {} \
         UNION ALL SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format(E'CREATE TEXT SEARCH TEMPLATE %I.%I (\\n    %s );', n.nspname, t.tmplname, \
           pg_catalog.concat_ws(E',\\n    ', CASE WHEN t.tmplinit <> 0 THEN 'INIT = ' || t.tmplinit::pg_catalog.regproc END, \
             'LEXIZE = ' || t.tmpllexize::pg_catalog.regproc)), \
         {template}, NULL, NULL, NULL \
         FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace \
         WHERE t.oid >= {FIRST_USER_OID} AND {ns} AND {} \
         UNION ALL SELECT {}, NULL, 'pre', 5, \
         pg_catalog.format('CREATE ACCESS METHOD %I TYPE %s HANDLER %s;', a.amname, \
           CASE a.amtype WHEN 't' THEN 'TABLE' ELSE 'INDEX' END, a.amhandler::pg_catalog.regproc), \
         pg_catalog.format('ACCESS METHOD %I', a.amname), NULL, NULL, NULL \
         FROM pg_catalog.pg_am a WHERE a.oid >= {FIRST_USER_OID} AND {} \
         UNION ALL SELECT {}, NULL, 'pre', 4, \
         pg_catalog.format('CREATE %sPROCEDURAL LANGUAGE %I HANDLER %s%s%s;', \
           CASE WHEN l.lanpltrusted THEN 'TRUSTED ' ELSE '' END, l.lanname, l.lanplcallfoid::pg_catalog.regproc, \
           CASE WHEN l.laninline <> 0 THEN ' INLINE ' || l.laninline::pg_catalog.regproc ELSE '' END, \
           CASE WHEN l.lanvalidator <> 0 THEN ' VALIDATOR ' || l.lanvalidator::pg_catalog.regproc ELSE '' END), \
         {language}, {language}, {language}, pg_catalog.pg_get_userbyid(l.lanowner) \
         FROM pg_catalog.pg_language l WHERE l.oid >= {FIRST_USER_OID} AND l.lanispl AND {} \
         UNION ALL SELECT 't:' || ty.oid, n.nspname, 'pre', 2, \
         pg_catalog.format('CREATE TYPE %I.%I;', n.nspname, ty.typname), \
         {shell}, NULL, {shell}, pg_catalog.pg_get_userbyid(ty.typowner) \
         FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace \
         WHERE ty.typtype = 'p' AND NOT ty.typisdefined AND ty.oid >= {FIRST_USER_OID} AND {ns} AND {}",
        key("pg_conversion", "c.oid"),
        not_extension_member("pg_catalog.pg_conversion", "c.oid"),
        key("pg_ts_parser", "p.oid"),
        not_extension_member("pg_catalog.pg_ts_parser", "p.oid"),
        key("pg_ts_template", "t.oid"),
        not_extension_member("pg_catalog.pg_ts_template", "t.oid"),
        key("pg_am", "a.oid"),
        not_extension_member("pg_catalog.pg_am", "a.oid"),
        key("pg_language", "l.oid"),
        not_extension_member("pg_catalog.pg_language", "l.oid"),
        not_extension_member("pg_catalog.pg_type", "ty.oid"),
        ns = user_schema("n"),
    )
}

fn text_search() -> String {
    let dict = "pg_catalog.format('TEXT SEARCH DICTIONARY %I.%I', n.nspname, d.dictname)";
    let config = "pg_catalog.format('TEXT SEARCH CONFIGURATION %I.%I', n.nspname, c.cfgname)";
    format!(
        "SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format(E'CREATE TEXT SEARCH DICTIONARY %I.%I (\\n    TEMPLATE = %I.%I%s );', \
           n.nspname, d.dictname, tn.nspname, tm.tmplname, \
           coalesce(E',\\n    ' || d.dictinitoption, '')), \
         {dict}, NULL, {dict}, pg_catalog.pg_get_userbyid(d.dictowner) \
         FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace \
         JOIN pg_catalog.pg_ts_template tm ON tm.oid = d.dicttemplate \
         JOIN pg_catalog.pg_namespace tn ON tn.oid = tm.tmplnamespace \
         WHERE d.oid >= {FIRST_USER_OID} AND {ns} AND {} \
         UNION ALL SELECT {}, n.nspname, 'pre', 5, \
         pg_catalog.format(E'CREATE TEXT SEARCH CONFIGURATION %I.%I (\\n    PARSER = %I.%I );', \
           n.nspname, c.cfgname, pn.nspname, pr.prsname) \
         || coalesce(E'\\n' || (SELECT pg_catalog.string_agg(pg_catalog.format( \
              'ALTER TEXT SEARCH CONFIGURATION %I.%I ADD MAPPING FOR %s WITH %s;', n.nspname, c.cfgname, tt.alias, m.dicts), \
              E'\\n' ORDER BY m.maptokentype) \
            FROM (SELECT cm.maptokentype, pg_catalog.string_agg(pg_catalog.format('%I.%I', dn.nspname, md.dictname), ', ' \
                    ORDER BY cm.mapseqno) AS dicts \
                  FROM pg_catalog.pg_ts_config_map cm JOIN pg_catalog.pg_ts_dict md ON md.oid = cm.mapdict \
                  JOIN pg_catalog.pg_namespace dn ON dn.oid = md.dictnamespace \
                  WHERE cm.mapcfg = c.oid GROUP BY cm.maptokentype) m \
            JOIN pg_catalog.ts_token_type(c.cfgparser) tt ON tt.tokid = m.maptokentype), ''), \
         {config}, NULL, {config}, pg_catalog.pg_get_userbyid(c.cfgowner) \
         FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace \
         JOIN pg_catalog.pg_ts_parser pr ON pr.oid = c.cfgparser \
         JOIN pg_catalog.pg_namespace pn ON pn.oid = pr.prsnamespace \
         WHERE c.oid >= {FIRST_USER_OID} AND {ns} AND {}",
        key("pg_ts_dict", "d.oid"),
        not_extension_member("pg_catalog.pg_ts_dict", "d.oid"),
        key("pg_ts_config", "c.oid"),
        not_extension_member("pg_catalog.pg_ts_config", "c.oid"),
        ns = user_schema("n"),
    )
}

fn foreign() -> String {
    let fdw = "pg_catalog.format('FOREIGN DATA WRAPPER %I', w.fdwname)";
    format!(
        "SELECT {}, NULL, 'pre', 5, \
         pg_catalog.format('CREATE FOREIGN DATA WRAPPER %I%s%s%s;', w.fdwname, \
           CASE WHEN w.fdwhandler <> 0 THEN ' HANDLER ' || w.fdwhandler::pg_catalog.regproc ELSE '' END, \
           CASE WHEN w.fdwvalidator <> 0 THEN ' VALIDATOR ' || w.fdwvalidator::pg_catalog.regproc ELSE '' END, {}), \
         {fdw}, {fdw}, {fdw}, pg_catalog.pg_get_userbyid(w.fdwowner) \
         FROM pg_catalog.pg_foreign_data_wrapper w WHERE {} \
         UNION ALL SELECT {}, NULL, 'pre', 5, \
         pg_catalog.format('CREATE SERVER %I%s%s FOREIGN DATA WRAPPER %I%s;', s.srvname, \
           ' TYPE ' || pg_catalog.quote_literal(s.srvtype), ' VERSION ' || pg_catalog.quote_literal(s.srvversion), \
           w.fdwname, {}), \
         pg_catalog.format('SERVER %I', s.srvname), pg_catalog.format('FOREIGN SERVER %I', s.srvname), \
         pg_catalog.format('SERVER %I', s.srvname), pg_catalog.pg_get_userbyid(s.srvowner) \
         FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE {} \
         UNION ALL SELECT {}, NULL, 'pre', 5, \
         pg_catalog.format('CREATE USER MAPPING FOR %s SERVER %I%s;', \
           CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(u.usename) END, u.srvname, {}), \
         NULL, NULL, NULL, NULL \
         FROM pg_catalog.pg_user_mappings u WHERE {}",
        key("pg_foreign_data_wrapper", "w.oid"),
        options("w.fdwoptions"),
        not_extension_member("pg_catalog.pg_foreign_data_wrapper", "w.oid"),
        key("pg_foreign_server", "s.oid"),
        options("s.srvoptions"),
        not_extension_member("pg_catalog.pg_foreign_server", "s.oid"),
        key("pg_user_mapping", "u.umid"),
        options("u.umoptions"),
        not_extension_member("pg_catalog.pg_foreign_server", "u.srvid"),
    )
}

fn event_triggers() -> String {
    let target = "pg_catalog.format('EVENT TRIGGER %I', et.evtname)";
    format!(
        "SELECT {}, NULL, 'post', 11, \
         pg_catalog.format(E'CREATE EVENT TRIGGER %I ON %I%s\\n    EXECUTE FUNCTION %s();', et.evtname, et.evtevent, \
           coalesce(E'\\n    WHEN TAG IN (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(tag), ', ') \
             FROM pg_catalog.unnest(et.evttags) tag) || ')', ''), et.evtfoid::pg_catalog.regproc) \
         || CASE et.evtenabled WHEN 'D' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I DISABLE;', et.evtname) \
              WHEN 'R' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I ENABLE REPLICA;', et.evtname) \
              WHEN 'A' THEN pg_catalog.format(E'\\nALTER EVENT TRIGGER %I ENABLE ALWAYS;', et.evtname) ELSE '' END, \
         {target}, NULL, {target}, pg_catalog.pg_get_userbyid(et.evtowner) \
         FROM pg_catalog.pg_event_trigger et WHERE {}",
        key("pg_event_trigger", "et.oid"),
        not_extension_member("pg_catalog.pg_event_trigger", "et.oid"),
    )
}

fn publications(server_version_num: u32) -> String {
    let generated = if server_version_num >= 180_000 {
        "', publish_generated_columns = ' || CASE p.pubgencols WHEN 's' THEN 'stored' ELSE 'none' END"
    } else {
        "''"
    };
    let (columns, filter, schemas) = if server_version_num >= 150_000 {
        (
            "coalesce(' (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n) \
               FROM pg_catalog.unnest(pr.prattrs) WITH ORDINALITY k(attnum, n) JOIN pg_catalog.pg_attribute a \
               ON a.attrelid = pr.prrelid AND a.attnum = k.attnum) || ')', '')",
            "coalesce(' WHERE (' || pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) || ')', '')",
            "|| coalesce((SELECT pg_catalog.string_agg(pg_catalog.format(E'\\nALTER PUBLICATION %I ADD TABLES IN SCHEMA %I;', \
               p.pubname, sn.nspname), '' ORDER BY sn.nspname) FROM pg_catalog.pg_publication_namespace pn \
               JOIN pg_catalog.pg_namespace sn ON sn.oid = pn.pnnspid WHERE pn.pnpubid = p.oid), '')",
        )
    } else {
        ("''", "''", "")
    };
    let target = "pg_catalog.format('PUBLICATION %I', p.pubname)";
    format!(
        "SELECT {}, NULL, 'post', 10, \
         pg_catalog.format('CREATE PUBLICATION %I%s WITH (publish = %L, publish_via_partition_root = %s%s);', p.pubname, \
           CASE WHEN p.puballtables THEN ' FOR ALL TABLES' ELSE '' END, \
           pg_catalog.concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END, \
             CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), \
           CASE WHEN p.pubviaroot THEN 'true' ELSE 'false' END, {generated}) \
         {schemas}, \
         {target}, NULL, {target}, pg_catalog.pg_get_userbyid(p.pubowner), NULL::pg_catalog.text \
         FROM pg_catalog.pg_publication p \
         UNION ALL SELECT {}, rn.nspname, 'post', 10, \
         pg_catalog.format('ALTER PUBLICATION %I ADD TABLE ONLY %I.%I%s%s;', \
           p.pubname, rn.nspname, rc.relname, {columns}, {filter}), NULL, NULL, NULL, NULL, rc.relname \
         FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid \
         JOIN pg_catalog.pg_class rc ON rc.oid = pr.prrelid \
         JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace",
        key("pg_publication", "p.oid"),
        key("pg_publication_rel", "pr.oid"),
    )
}

fn default_privileges() -> String {
    format!(
        "SELECT {}, dn.nspname, 'post', 10, \
         CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.format( \
           E'ALTER DEFAULT PRIVILEGES FOR ROLE %1$I REVOKE ALL ON %2$s FROM PUBLIC;\\nALTER DEFAULT PRIVILEGES FOR ROLE %1$I REVOKE ALL ON %2$s FROM %1$I;\\n', \
           pg_catalog.pg_get_userbyid(d.defaclrole), w.word) ELSE '' END \
         || coalesce((SELECT pg_catalog.string_agg(pg_catalog.format( \
              E'ALTER DEFAULT PRIVILEGES FOR ROLE %I%s GRANT %s ON %s TO %s%s;\\n', pg_catalog.pg_get_userbyid(d.defaclrole), \
              coalesce(' IN SCHEMA ' || pg_catalog.quote_ident(dn.nspname), ''), g.privilege_type, w.word, \
              CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END, \
              CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '' ORDER BY g.ord) \
            FROM pg_catalog.aclexplode(d.defaclacl) WITH ORDINALITY AS g(grantor, grantee, privilege_type, is_grantable, ord)), ''), \
         NULL, NULL, NULL, NULL \
         FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace dn ON dn.oid = d.defaclnamespace \
         CROSS JOIN LATERAL (SELECT CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' \
           WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' WHEN 'L' THEN 'LARGE OBJECTS' END) AS w(word)",
        key("pg_default_acl", "d.oid"),
    )
}

/// Subscriptions, as pg_dump writes them: not connecting (so disabled,
/// without creating a slot), with their options.
fn subscriptions(server_version_num: u32) -> String {
    let v = server_version_num;
    let mut options = vec![
        "'connect = false'".to_string(),
        "'slot_name = ' || coalesce(pg_catalog.quote_literal(s.subslotname), 'NONE')".to_string(),
    ];
    if v >= 140_000 {
        options.push("CASE WHEN s.subbinary THEN 'binary = true' END".to_string());
    }
    options.push(if v >= 160_000 {
        "'streaming = ' || CASE s.substream WHEN 't' THEN 'on' WHEN 'p' THEN 'parallel' ELSE 'off' END".to_string()
    } else if v >= 140_000 {
        "CASE WHEN s.substream THEN 'streaming = on' END".to_string()
    } else {
        "NULL".to_string()
    });
    if v >= 150_000 {
        options.push("CASE WHEN s.subtwophasestate <> 'd' THEN 'two_phase = on' END".to_string());
        options.push("CASE WHEN s.subdisableonerr THEN 'disable_on_error = true' END".to_string());
    }
    if v >= 160_000 {
        options.push("'origin = ' || s.suborigin".to_string());
        options.push(
            "CASE WHEN NOT s.subpasswordrequired THEN 'password_required = false' END".to_string(),
        );
        options.push("CASE WHEN s.subrunasowner THEN 'run_as_owner = true' END".to_string());
    }
    if v >= 170_000 {
        options.push("CASE WHEN s.subfailover THEN 'failover = true' END".to_string());
    }
    options.push(
        "CASE WHEN s.subsynccommit <> 'off' THEN 'synchronous_commit = ' || pg_catalog.quote_literal(s.subsynccommit) END"
            .to_string(),
    );
    let target = "pg_catalog.format('SUBSCRIPTION %I', s.subname)";
    format!(
        "SELECT {}, NULL, 'post', 10, \
         pg_catalog.format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %s WITH (%s);', s.subname, s.subconninfo, \
           (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), ', ') FROM pg_catalog.unnest(s.subpublications) p), \
           pg_catalog.concat_ws(', ', {})), \
         {target}, NULL, {target}, pg_catalog.pg_get_userbyid(s.subowner) \
         FROM pg_catalog.pg_subscription s \
         WHERE s.subdbid = (SELECT db.oid FROM pg_catalog.pg_database db WHERE db.datname = pg_catalog.current_database())",
        key("pg_subscription", "s.oid"),
        options.join(", "),
    )
}

/// The key prefix of default privileges, left out by `--no-privileges`.
pub(crate) const DEFAULT_PRIVILEGES_KEY: &str = "pg_default_acl:";

/// All of them, one statement; subscriptions only for a `superuser`
/// (nobody else may read their connection strings).
pub(crate) fn other_objects(server_version_num: u32, superuser: bool) -> String {
    let mut parts: Vec<String> = [
        aggregates(),
        collations(server_version_num),
        ranges(server_version_num),
        base_types(server_version_num),
        casts(),
        transforms(),
        operators(),
        operator_classes(),
        small_kinds(),
        text_search(),
        foreign(),
        event_triggers(),
        default_privileges(),
    ]
    .into_iter()
    .chain(superuser.then(|| subscriptions(server_version_num)))
    .map(|part| format!("SELECT o.*, NULL::pg_catalog.text FROM ({part}) o"))
    .collect();
    parts.push(publications(server_version_num));
    parts.join(" UNION ALL ") + " ORDER BY 3, 2, 5"
}
