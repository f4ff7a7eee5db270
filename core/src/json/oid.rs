//! Type OIDs of the built-in types the JSON rendering and the column lists
//! care about, and their SQL names.
//!
//! Built-in OIDs are fixed by PostgreSQL (`pg_type.dat`) and identical on
//! every server version; types created by users (domains, enums, extension
//! types) have OIDs of their own, which [`type_name`] does not know.

/// `boolean`
pub const BOOL: u32 = 16;
/// `bytea`
pub const BYTEA: u32 = 17;
/// `"char"` (the one-byte internal type)
pub const CHAR: u32 = 18;
/// `name`
pub const NAME: u32 = 19;
/// `bigint`
pub const INT8: u32 = 20;
/// `smallint`
pub const INT2: u32 = 21;
/// `integer`
pub const INT4: u32 = 23;
/// `regproc`
pub const REGPROC: u32 = 24;
/// `text`
pub const TEXT: u32 = 25;
/// `oid`
pub const OID: u32 = 26;
/// `tid`
pub const TID: u32 = 27;
/// `xid` (32-bit transaction id)
pub const XID: u32 = 28;
/// `cid` (command id)
pub const CID: u32 = 29;
/// `json`
pub const JSON: u32 = 114;
/// `xml`
pub const XML: u32 = 142;
/// `point`
pub const POINT: u32 = 600;
/// `cidr`
pub const CIDR: u32 = 650;
/// `real`
pub const FLOAT4: u32 = 700;
/// `double precision`
pub const FLOAT8: u32 = 701;
/// `unknown` (an untyped literal such as `SELECT 'a'` in old servers)
pub const UNKNOWN: u32 = 705;
/// `money`
pub const MONEY: u32 = 790;
/// `macaddr`
pub const MACADDR: u32 = 829;
/// `inet`
pub const INET: u32 = 869;
/// `character` (blank-padded)
pub const BPCHAR: u32 = 1042;
/// `character varying`
pub const VARCHAR: u32 = 1043;
/// `date`
pub const DATE: u32 = 1082;
/// `time without time zone`
pub const TIME: u32 = 1083;
/// `timestamp without time zone`
pub const TIMESTAMP: u32 = 1114;
/// `timestamp with time zone`
pub const TIMESTAMPTZ: u32 = 1184;
/// `interval`
pub const INTERVAL: u32 = 1186;
/// `time with time zone`
pub const TIMETZ: u32 = 1266;
/// `bit`
pub const BIT: u32 = 1560;
/// `bit varying`
pub const VARBIT: u32 = 1562;
/// `numeric`
pub const NUMERIC: u32 = 1700;
/// `regclass`
pub const REGCLASS: u32 = 2205;
/// `regtype`
pub const REGTYPE: u32 = 2206;
/// `record`
pub const RECORD: u32 = 2249;
/// `void`
pub const VOID: u32 = 2278;
/// `uuid`
pub const UUID: u32 = 2950;
/// `pg_lsn`
pub const PG_LSN: u32 = 3220;
/// `tsvector`
pub const TSVECTOR: u32 = 3614;
/// `jsonb`
pub const JSONB: u32 = 3802;
/// `xid8` (64-bit transaction id, PostgreSQL 13+)
pub const XID8: u32 = 5069;

/// `json[]`
pub const JSON_ARRAY: u32 = 199;
/// `boolean[]`
pub const BOOL_ARRAY: u32 = 1000;
/// `bytea[]`
pub const BYTEA_ARRAY: u32 = 1001;
/// `name[]`
pub const NAME_ARRAY: u32 = 1003;
/// `smallint[]`
pub const INT2_ARRAY: u32 = 1005;
/// `integer[]`
pub const INT4_ARRAY: u32 = 1007;
/// `text[]`
pub const TEXT_ARRAY: u32 = 1009;
/// `character[]`
pub const BPCHAR_ARRAY: u32 = 1014;
/// `character varying[]`
pub const VARCHAR_ARRAY: u32 = 1015;
/// `bigint[]`
pub const INT8_ARRAY: u32 = 1016;
/// `real[]`
pub const FLOAT4_ARRAY: u32 = 1021;
/// `double precision[]`
pub const FLOAT8_ARRAY: u32 = 1022;
/// `oid[]`
pub const OID_ARRAY: u32 = 1028;
/// `timestamp without time zone[]`
pub const TIMESTAMP_ARRAY: u32 = 1115;
/// `date[]`
pub const DATE_ARRAY: u32 = 1182;
/// `timestamp with time zone[]`
pub const TIMESTAMPTZ_ARRAY: u32 = 1185;
/// `numeric[]`
pub const NUMERIC_ARRAY: u32 = 1231;
/// `uuid[]`
pub const UUID_ARRAY: u32 = 2951;
/// `jsonb[]`
pub const JSONB_ARRAY: u32 = 3807;

/// The SQL name of a built-in type, spelled as `format_type` (and psql's
/// `\d`) spells it, so that a result's column list and `sequelae schema`
/// agree: `integer`, `character varying`, `timestamp with time zone`,
/// `text[]`.
///
/// `None` for an OID this table does not know (user-defined types, rarer
/// built-ins); callers then show the number, e.g. `"oid:16392"`.
pub fn type_name(type_oid: u32) -> Option<&'static str> {
    Some(match type_oid {
        BOOL => "boolean",
        BYTEA => "bytea",
        CHAR => "\"char\"",
        NAME => "name",
        INT8 => "bigint",
        INT2 => "smallint",
        INT4 => "integer",
        REGPROC => "regproc",
        TEXT => "text",
        OID => "oid",
        TID => "tid",
        XID => "xid",
        CID => "cid",
        JSON => "json",
        XML => "xml",
        POINT => "point",
        CIDR => "cidr",
        FLOAT4 => "real",
        FLOAT8 => "double precision",
        UNKNOWN => "unknown",
        MONEY => "money",
        MACADDR => "macaddr",
        INET => "inet",
        BPCHAR => "character",
        VARCHAR => "character varying",
        DATE => "date",
        TIME => "time without time zone",
        TIMESTAMP => "timestamp without time zone",
        TIMESTAMPTZ => "timestamp with time zone",
        INTERVAL => "interval",
        TIMETZ => "time with time zone",
        BIT => "bit",
        VARBIT => "bit varying",
        NUMERIC => "numeric",
        REGCLASS => "regclass",
        REGTYPE => "regtype",
        RECORD => "record",
        VOID => "void",
        UUID => "uuid",
        PG_LSN => "pg_lsn",
        TSVECTOR => "tsvector",
        JSONB => "jsonb",
        XID8 => "xid8",
        JSON_ARRAY => "json[]",
        BOOL_ARRAY => "boolean[]",
        BYTEA_ARRAY => "bytea[]",
        NAME_ARRAY => "name[]",
        INT2_ARRAY => "smallint[]",
        INT4_ARRAY => "integer[]",
        TEXT_ARRAY => "text[]",
        BPCHAR_ARRAY => "character[]",
        VARCHAR_ARRAY => "character varying[]",
        INT8_ARRAY => "bigint[]",
        FLOAT4_ARRAY => "real[]",
        FLOAT8_ARRAY => "double precision[]",
        OID_ARRAY => "oid[]",
        TIMESTAMP_ARRAY => "timestamp without time zone[]",
        DATE_ARRAY => "date[]",
        TIMESTAMPTZ_ARRAY => "timestamp with time zone[]",
        NUMERIC_ARRAY => "numeric[]",
        UUID_ARRAY => "uuid[]",
        JSONB_ARRAY => "jsonb[]",
        _ => return None,
    })
}
