//! Query values as JSON text, chosen by type OID, written straight into a
//! `String` so that millions of rows stream without building a
//! `serde_json::Value` per row.
//!
//! The simple query protocol delivers every value as the server's text. The
//! JSON form of a value depends only on its column's type OID and that text:
//!
//! | type | JSON |
//! |------|------|
//! | any NULL | `null` |
//! | `boolean` | `true` / `false` |
//! | `smallint`, `integer`, `oid`, `xid`, `cid` | number |
//! | `bigint`, `xid8` | number when \|v\| ≤ 2^53 − 1 (exact in a double, safe in JavaScript), else the text as a string |
//! | `real`, `double precision` | number; `NaN`, `Infinity`, `-Infinity` as strings |
//! | `numeric` | number when a double holds it unchanged: finite, and at most 15 significant digits with a decimal exponent within ±300, or an integer with \|v\| ≤ 2^53 − 1; else the text as printed (`NaN`, `Infinity`, `123456789012345678`, `0.1234567890123456`) |
//! | `json`, `jsonb` | embedded as-is (line breaks and tabs of `json` text become spaces, so a row stays on one line); a string if not UTF-8 |
//! | `bytea` | the `\x…` hex text, as a string |
//! | dates, times, timestamps, intervals | the server's text, as a string: never reparsed, never shifted to another zone |
//! | arrays, `uuid`, text types, everything else | the server's text, as a string |
//!
//! A number is always written exactly as the server printed it (`123.4500`
//! stays `123.4500`, `1e+100` stays `1e+100`); the rules only decide between
//! number and string, so a consumer never sees a rounded value. Text that is
//! not valid UTF-8 becomes a string with U+FFFD in place of the bad bytes.
//!
//! Strings escape `"`, `\` and the control characters below U+0020; object
//! keys are escaped the same way. Duplicate column names get suffixes, see
//! [`object_keys`].
//!
//! ```
//! use sequelae_core::json::{oid, write_value};
//!
//! let mut out = String::new();
//! write_value(&mut out, oid::INT8, Some(b"9007199254740993"));
//! out.push(' ');
//! write_value(&mut out, oid::NUMERIC, Some(b"0.1"));
//! out.push(' ');
//! write_value(&mut out, oid::FLOAT8, Some(b"NaN"));
//! assert_eq!(out, r#""9007199254740993" 0.1 "NaN""#);
//! ```

mod number;
pub mod oid;
mod row;
mod value;

#[cfg(test)]
pub(crate) mod tests;

pub use oid::type_name;
pub use row::{RowObjectWriter, object_keys, write_row_array, write_row_object};
pub use value::{write_string, write_value};
