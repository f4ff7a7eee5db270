//! One value's JSON text, chosen by the column's type OID.

use std::borrow::Cow;

use super::number::{is_exact_decimal, is_finite_double, is_safe_integer, is_small_integer};
use super::oid;

/// Appends the JSON text of one value of a text-format result.
///
/// `value` is the server's text for the value (`None` for SQL NULL) and
/// `type_oid` the column's type from RowDescription. The rules are in the
/// [module documentation](super); in short: NULL is `null`, booleans and
/// numbers that a double holds exactly are JSON literals, `json`/`jsonb` is
/// embedded, everything else is the server's text as a JSON string. The
/// output is always valid JSON, whatever the bytes.
pub fn write_value(out: &mut String, type_oid: u32, value: Option<&[u8]>) {
    let Some(bytes) = value else {
        out.push_str("null");
        return;
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // Not UTF-8 (the connection asks for UTF8, so this is a server that
        // was told otherwise): keep what can be kept, as a string.
        Err(_) => {
            write_string(out, &String::from_utf8_lossy(bytes));
            return;
        }
    };
    match type_oid {
        oid::BOOL => match text {
            "t" => out.push_str("true"),
            "f" => out.push_str("false"),
            _ => write_string(out, text),
        },
        oid::INT2 | oid::INT4 | oid::OID | oid::XID | oid::CID => {
            write_number_or_string(out, text, is_small_integer(text))
        }
        oid::INT8 | oid::XID8 => write_number_or_string(out, text, is_safe_integer(text)),
        // Since PostgreSQL 12 float output is the shortest text that reads
        // back as the same double, so the text is exact; NaN and the
        // infinities fail the grammar check and become strings.
        oid::FLOAT4 | oid::FLOAT8 => write_number_or_string(out, text, is_finite_double(text)),
        oid::NUMERIC => write_number_or_string(out, text, is_exact_decimal(text)),
        oid::JSON | oid::JSONB => write_embedded_json(out, text),
        _ => write_string(out, text),
    }
}

fn write_number_or_string(out: &mut String, text: &str, as_number: bool) {
    if as_number {
        out.push_str(text);
    } else {
        write_string(out, text);
    }
}

/// `json` and `jsonb` output is valid JSON (the server validated it on
/// input), so it is embedded, after a check that costs one pass and no
/// allocation: a broken or hostile server must not be able to break the
/// document a consumer parses. Text that fails it (including numbers past
/// the double range, which strict parsers refuse) is kept as a string.
/// `json` keeps the whitespace it was written with, line breaks included;
/// outside strings that is insignificant, and inside strings raw control
/// characters are not valid JSON, so every line break and tab is a
/// separator and becomes a space: one row stays on one line, for
/// newline-delimited output.
fn write_embedded_json(out: &mut String, text: &str) {
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    if serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_err() {
        write_string(out, text);
        return;
    }
    if trimmed.bytes().any(|b| matches!(b, b'\n' | b'\r' | b'\t')) {
        out.extend(trimmed.chars().map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c => c,
        }));
    } else {
        out.push_str(trimmed);
    }
}

/// Appends `text` as a JSON string: quotes, backslashes and every control
/// character below U+0020 are escaped (`\n`, `\t`, ... or `\u00XX`);
/// everything else, non-ASCII included, is copied as UTF-8.
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Cow<'static, str> = match b {
            b'"' => "\\\"".into(),
            b'\\' => "\\\\".into(),
            b'\n' => "\\n".into(),
            b'\r' => "\\r".into(),
            b'\t' => "\\t".into(),
            0x08 => "\\b".into(),
            0x0c => "\\f".into(),
            0x00..=0x1f => format!("\\u{b:04x}").into(),
            _ => continue,
        };
        // `i` is at an ASCII byte, so both slices end on char boundaries.
        out.push_str(&text[copied..i]);
        out.push_str(&escape);
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
    out.push('"');
}
