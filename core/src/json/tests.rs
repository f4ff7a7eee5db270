#![allow(clippy::unwrap_used)]

use rstest::rstest;

use super::number::{is_exact_decimal, is_json_number};
use super::oid::*;
use super::*;
use crate::wire::{Column, DataRow};

fn render(type_oid: u32, value: Option<&str>) -> String {
    let mut out = String::new();
    write_value(&mut out, type_oid, value.map(str::as_bytes));
    // Whatever the input, the output is one valid JSON value.
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap_or_else(|e| panic!("{out:?} is not JSON: {e}"));
    out
}

pub(crate) fn data_row(values: &[Option<&str>]) -> DataRow {
    DataRow::from_values(values.iter().map(|v| v.map(str::as_bytes)))
}

pub(crate) fn column(name: &str, type_oid: u32) -> Column {
    Column {
        name: name.to_owned(),
        table_oid: 0,
        column_id: 0,
        type_oid,
        type_size: -1,
        type_modifier: -1,
        format: 0,
    }
}

#[rstest]
// NULL is null whatever the type.
#[case(BOOL, None, "null")]
#[case(INT4, None, "null")]
#[case(JSONB, None, "null")]
#[case(TEXT, None, "null")]
// Booleans.
#[case(BOOL, Some("t"), "true")]
#[case(BOOL, Some("f"), "false")]
#[case(BOOL, Some("maybe"), r#""maybe""#)]
// Small integers.
#[case(INT2, Some("-32768"), "-32768")]
#[case(INT4, Some("2147483647"), "2147483647")]
#[case(INT4, Some("0"), "0")]
#[case(OID, Some("4294967295"), "4294967295")]
#[case(XID, Some("735"), "735")]
#[case(CID, Some("3"), "3")]
#[case(INT4, Some("12abc"), r#""12abc""#)]
#[case(INT4, Some("007"), r#""007""#)]
#[case(INT4, Some(""), r#""""#)]
#[case(INT4, Some("-"), r#""-""#)]
// bigint: a number only while a double holds it exactly.
#[case(INT8, Some("9007199254740991"), "9007199254740991")]
#[case(INT8, Some("-9007199254740991"), "-9007199254740991")]
#[case(INT8, Some("9007199254740992"), r#""9007199254740992""#)]
#[case(INT8, Some("-9007199254740992"), r#""-9007199254740992""#)]
#[case(INT8, Some("9223372036854775807"), r#""9223372036854775807""#)]
#[case(INT8, Some("-9223372036854775808"), r#""-9223372036854775808""#)]
#[case(INT8, Some("0"), "0")]
#[case(INT8, Some("-1"), "-1")]
#[case(XID8, Some("18446744073709551615"), r#""18446744073709551615""#)]
#[case(XID8, Some("740"), "740")]
// Floats: the text is already the shortest exact form.
#[case(FLOAT8, Some("1.5"), "1.5")]
#[case(FLOAT8, Some("-0"), "-0")]
#[case(FLOAT8, Some("1e+100"), "1e+100")]
#[case(FLOAT8, Some("1.7976931348623157e+308"), "1.7976931348623157e+308")]
#[case(FLOAT8, Some("5e-324"), "5e-324")]
#[case(FLOAT8, Some("0.1"), "0.1")]
#[case(FLOAT4, Some("3.4028235e+38"), "3.4028235e+38")]
#[case(FLOAT8, Some("NaN"), r#""NaN""#)]
#[case(FLOAT8, Some("Infinity"), r#""Infinity""#)]
#[case(FLOAT4, Some("-Infinity"), r#""-Infinity""#)]
// numeric: a number only when a double holds it unchanged.
#[case(NUMERIC, Some("0.1"), "0.1")]
#[case(NUMERIC, Some("0"), "0")]
#[case(NUMERIC, Some("0.000"), "0.000")]
#[case(NUMERIC, Some("-0.5"), "-0.5")]
#[case(NUMERIC, Some("123.4500"), "123.4500")]
#[case(NUMERIC, Some("123456789012345"), "123456789012345")]
#[case(NUMERIC, Some("1234567890.12345"), "1234567890.12345")]
#[case(NUMERIC, Some("1234567890.123456"), r#""1234567890.123456""#)]
#[case(NUMERIC, Some("0.1234567890123456"), r#""0.1234567890123456""#)]
#[case(NUMERIC, Some("0.000000000000001"), "0.000000000000001")]
#[case(NUMERIC, Some("9007199254740991"), "9007199254740991")]
#[case(NUMERIC, Some("9007199254740991.000"), "9007199254740991.000")]
#[case(NUMERIC, Some("9007199254740992"), r#""9007199254740992""#)]
#[case(NUMERIC, Some("9007199254740993"), r#""9007199254740993""#)]
#[case(NUMERIC, Some("123456789012345678"), r#""123456789012345678""#)]
#[case(NUMERIC, Some("100000000000000000000"), "100000000000000000000")]
#[case(NUMERIC, Some("NaN"), r#""NaN""#)]
#[case(NUMERIC, Some("Infinity"), r#""Infinity""#)]
#[case(NUMERIC, Some("-Infinity"), r#""-Infinity""#)]
#[case(NUMERIC, Some("1e400"), r#""1e400""#)]
#[case(NUMERIC, Some("1e-400"), r#""1e-400""#)]
#[case(NUMERIC, Some("1e300"), "1e300")]
#[case(NUMERIC, Some("1e99999999999999999999"), r#""1e99999999999999999999""#)]
// json and jsonb are embedded.
#[case(
    JSONB,
    Some(r#"{"a": [1, 2.5, null, "x"]}"#),
    r#"{"a": [1, 2.5, null, "x"]}"#
)]
#[case(JSON, Some("[1,\n 2]\n"), "[1,  2]")]
#[case(JSON, Some("\t{\"a\":\r\n1}  "), "{\"a\":  1}")]
#[case(JSONB, Some(r#""just a string""#), r#""just a string""#)]
#[case(JSONB, Some("12345678901234567890"), "12345678901234567890")]
#[case(JSON, Some(r#"{"s":"line\nbreak"}"#), r#"{"s":"line\nbreak"}"#)]
#[case(JSON, Some("   "), r#""   ""#)]
// Not JSON (a broken or hostile server): kept as a string, so the
// document stays valid.
#[case(JSONB, Some("E0"), r#""E0""#)]
#[case(JSON, Some("{\"a\":"), r#""{\"a\":""#)]
#[case(JSON, Some("[1] [2]"), r#""[1] [2]""#)]
#[case(FLOAT8, Some("1e400"), r#""1e400""#)]
#[case(FLOAT4, Some("-0.1e310"), r#""-0.1e310""#)]
// Everything else is the text, as a string.
#[case(BYTEA, Some("\\xdeadbeef"), r#""\\xdeadbeef""#)]
#[case(DATE, Some("2024-02-29"), r#""2024-02-29""#)]
#[case(
    TIMESTAMPTZ,
    Some("2024-01-01 12:00:00+01"),
    r#""2024-01-01 12:00:00+01""#
)]
#[case(TIMESTAMP, Some("infinity"), r#""infinity""#)]
#[case(INTERVAL, Some("1 day 02:00:00"), r#""1 day 02:00:00""#)]
#[case(
    UUID,
    Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    r#""a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11""#
)]
#[case(INT4_ARRAY, Some("{1,2,NULL}"), r#""{1,2,NULL}""#)]
#[case(MONEY, Some("$1,000.00"), r#""$1,000.00""#)]
#[case(TEXT, Some("123"), r#""123""#)]
#[case(99999, Some("custom"), r#""custom""#)]
// String escaping.
#[case(TEXT, Some("say \"hi\""), r#""say \"hi\"""#)]
#[case(TEXT, Some("back\\slash"), r#""back\\slash""#)]
#[case(TEXT, Some("tab\tnew\nline\rret"), r#""tab\tnew\nline\rret""#)]
#[case(
    TEXT,
    Some("\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}"),
    "\"\\u0000\\u0001\\b\\f\\u001f\u{7f}\""
)]
#[case(TEXT, Some("Grüße, 世界 🐘 \u{2028}"), "\"Grüße, 世界 🐘 \u{2028}\"")]
#[case(VARCHAR, Some("/not/escaped/"), r#""/not/escaped/""#)]
fn value_rules(#[case] type_oid: u32, #[case] value: Option<&str>, #[case] expected: &str) {
    assert_eq!(render(type_oid, value), expected);
}

#[test]
fn strings_round_trip_through_serde() {
    let nasty: String = (0u8..0x80).map(char::from).collect::<String>() + "\"\\é€😀";
    let json = render(TEXT, Some(&nasty));
    assert_eq!(serde_json::from_str::<String>(&json).unwrap(), nasty);
}

#[test]
fn invalid_utf8_becomes_a_string() {
    for type_oid in [TEXT, JSONB, INT4, NUMERIC, BOOL] {
        let mut out = String::new();
        write_value(&mut out, type_oid, Some(b"a\xffb"));
        assert_eq!(out, "\"a\u{fffd}b\"", "type {type_oid}");
    }
}

#[rstest]
#[case("0", true)]
#[case("-0", true)]
#[case("12", true)]
#[case("1.5e-7", true)]
#[case("1E+2", true)]
#[case("01", false)]
#[case("1.", false)]
#[case(".5", false)]
#[case("+1", false)]
#[case("1e", false)]
#[case("1e+", false)]
#[case("", false)]
#[case("-", false)]
#[case("NaN", false)]
#[case("0x10", false)]
fn json_number_grammar(#[case] text: &str, #[case] valid: bool) {
    assert_eq!(is_json_number(text), valid);
    assert_eq!(serde_json::from_str::<f64>(text).is_ok(), valid, "{text}");
}

/// Significant digits (no leading or trailing zeros) and the scientific
/// exponent of a plain decimal or of Rust's `{:e}` form.
fn scientific(text: &str) -> (String, i64) {
    let text = text.trim_start_matches('-');
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap()),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{int}{frac}");
    let first = digits.find(|c| c != '0').unwrap();
    let significant = digits[first..].trim_end_matches('0').to_owned();
    (significant, int.len() as i64 - 1 - first as i64 + exp)
}

/// Every decimal accepted as a number reads back through f64 unchanged:
/// "exact in a double" means exactly that.
#[rstest]
#[case("0.1")]
#[case("123.4500")]
#[case("999999999999999")]
#[case("0.000000000000001")]
#[case("-98765.4321")]
#[case("1.23456789012345e-300")]
#[case("9.99999999999999e300")]
#[case("314159265358979")]
fn accepted_decimals_survive_a_double(#[case] text: &str) {
    assert!(is_exact_decimal(text));
    let parsed: f64 = text.parse().unwrap();
    assert_eq!(scientific(&format!("{parsed:.14e}")), scientific(text));
}

/// Exponents a hostile or broken server may send: huge, at the edges of
/// i64, past them. Each is a string (never a number a double would
/// change), and none may overflow the digit arithmetic.
#[rstest]
#[case("1e9223372036854775807")]
#[case("1e-9223372036854775808")]
#[case("-9.5e9223372036854775807")]
#[case("123.456e9223372036854775800")]
#[case("0.0001e-9223372036854775807")]
#[case("1e99999999999999999999")]
#[case("1e1099511627776")]
fn huge_exponents_stay_strings(#[case] text: &str) {
    assert!(!is_exact_decimal(text), "{text}");
    assert_eq!(render(NUMERIC, Some(text)), format!("\"{text}\""));
}

#[rstest]
#[case("0e9223372036854775807", true)]
#[case("1e15", true)]
#[case("1e300", true)]
#[case("1e301", false)]
fn exponents_near_the_edges(#[case] text: &str, #[case] exact: bool) {
    assert_eq!(is_exact_decimal(text), exact, "{text}");
}

#[test]
fn accepted_integers_survive_a_double() {
    assert!(is_exact_decimal("9007199254740991"));
    assert_eq!(
        "9007199254740991".parse::<f64>().unwrap() as u64,
        9007199254740991
    );
    // The next integer is where doubles start to skip.
    assert!(!is_exact_decimal("9007199254740993"));
    assert_eq!(
        "9007199254740993".parse::<f64>().unwrap() as u64,
        9007199254740992
    );
}

#[rstest]
#[case(BOOL, Some("boolean"))]
#[case(INT8, Some("bigint"))]
#[case(VARCHAR, Some("character varying"))]
#[case(TIMESTAMPTZ, Some("timestamp with time zone"))]
#[case(JSONB, Some("jsonb"))]
#[case(TEXT_ARRAY, Some("text[]"))]
#[case(CHAR, Some("\"char\""))]
#[case(16392, None)]
fn type_names(#[case] type_oid: u32, #[case] expected: Option<&str>) {
    assert_eq!(type_name(type_oid), expected);
}

#[test]
fn row_object_has_keys_in_column_order() {
    let columns = [
        column("id", INT4),
        column("name", TEXT),
        column("data", JSONB),
        column("gone", TEXT),
        column("ok", BOOL),
    ];
    let row = data_row(&[
        Some("7"),
        Some("Ann \"A\"\n"),
        Some(r#"{"k": [true]}"#),
        None,
        Some("t"),
    ]);
    let mut out = String::new();
    write_row_object(&mut out, &columns, &row);
    assert_eq!(
        out,
        r#"{"id":7,"name":"Ann \"A\"\n","data":{"k": [true]},"gone":null,"ok":true}"#
    );
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed["data"]["k"][0], true);

    let mut out = String::new();
    write_row_array(&mut out, &columns, &row);
    assert_eq!(out, r#"[7,"Ann \"A\"\n",{"k": [true]},null,true]"#);
}

#[test]
fn keys_are_escaped() {
    let columns = [
        column("we\"ird\\key", INT4),
        column("line\nbreak", INT4),
        column("\u{1}", INT4),
    ];
    let row = data_row(&[Some("1"), Some("2"), Some("3")]);
    let mut out = String::new();
    write_row_object(&mut out, &columns, &row);
    assert_eq!(out, r#"{"we\"ird\\key":1,"line\nbreak":2,"\u0001":3}"#);
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed["we\"ird\\key"], 1);
    assert_eq!(parsed["line\nbreak"], 2);
    assert_eq!(parsed["\u{1}"], 3);
}

#[rstest]
#[case(&["a", "b"], &["a", "b"])]
#[case(&["a", "a"], &["a", "a_2"])]
#[case(&["a", "a", "a"], &["a", "a_2", "a_3"])]
#[case(&["a", "a", "a_2"], &["a", "a_3", "a_2"])]
#[case(&["?column?", "?column?"], &["?column?", "?column?_2"])]
#[case(&["a_2", "a", "a"], &["a_2", "a", "a_3"])]
fn duplicate_names_get_suffixes(#[case] names: &[&str], #[case] expected: &[&str]) {
    let columns: Vec<Column> = names.iter().map(|n| column(n, INT4)).collect();
    assert_eq!(object_keys(&columns), expected);
    let values: Vec<Option<&str>> = (0..names.len()).map(|_| Some("1")).collect();
    let writer = RowObjectWriter::new(&columns);
    assert_eq!(writer.keys(), expected);
    let mut out = String::new();
    writer.write_row(&mut out, &data_row(&values));
    // No value is lost to a consumer that keeps one value per key.
    let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed.len(), names.len());
}

#[test]
fn short_rows_get_null() {
    let columns = [column("a", INT4), column("b", INT4)];
    let mut out = String::new();
    RowObjectWriter::new(&columns).write_row(&mut out, &data_row(&[Some("1")]));
    assert_eq!(out, r#"{"a":1,"b":null}"#);
}

#[test]
fn empty_row() {
    let mut out = String::new();
    write_row_object(&mut out, &[], &data_row(&[]));
    write_row_array(&mut out, &[], &data_row(&[]));
    assert_eq!(out, "{}[]");
}
