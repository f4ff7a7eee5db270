//! When PostgreSQL's text for a number may be written as a JSON number.
//!
//! Every check works on the text the server sent; nothing is parsed into a
//! float and printed again, so a number that is written as a number is
//! written exactly as PostgreSQL printed it.

/// 2^53 − 1: the largest integer every IEEE double (and so every
/// JavaScript consumer) holds exactly.
pub(crate) const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Significant digits any decimal may have and still come back unchanged
/// from a double (DBL_DIG).
pub(crate) const MAX_EXACT_DIGITS: usize = 15;

/// Decimal exponents (of the scientific form `d.ddd × 10^e`) inside which a
/// 15-digit decimal is a normal double: far from overflow (10^308) and from
/// the subnormal range (below 2.2 × 10^−308), where precision is lost.
const EXPONENT_RANGE: std::ops::RangeInclusive<i64> = -300..=300;

/// Bound put on a written exponent before any arithmetic: a value from
/// the network may say `1e9223372036854775807`, and the sums with digit
/// positions must not overflow. Clamping changes no verdict, since every
/// exponent beyond ±2^40 is far outside [`EXPONENT_RANGE`].
const EXPONENT_CLAMP: i64 = 1 << 40;

/// True when `text` matches the JSON number grammar (RFC 8259 §6):
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
pub(crate) fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// A float type's text is a JSON number when it has the JSON grammar and
/// is inside the double range: a server prints every finite `float8` that
/// way, but a value such as `1e400` (from a broken or hostile server)
/// would make a strict parser (serde_json) reject the whole document.
pub(crate) fn is_finite_double(text: &str) -> bool {
    is_json_number(text) && text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// An integer type's text (`int8`, `xid8`) is a JSON number when it is a
/// plain integer whose magnitude is at most 2^53 − 1.
pub(crate) fn is_safe_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return false;
    }
    digits.len() <= 16 && digits.parse::<u64>().is_ok_and(|v| v <= MAX_SAFE_INTEGER)
}

/// A 32-bit integer type's text (`int2`, `int4`, `oid`, `xid`, `cid`) is a
/// JSON number when it is a plain integer (always, for server output).
pub(crate) fn is_small_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.len() <= 10
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'))
}

/// A `numeric` value is written as a JSON number when a double holds it
/// without changing it:
/// - it is finite (`NaN`, `Infinity`, `-Infinity` stay strings), and
/// - it has at most 15 significant digits (leading and trailing zeros do not
///   count) with a decimal exponent within ±300, or it is an integer of
///   magnitude at most 2^53 − 1.
///
/// Otherwise it is the string PostgreSQL printed, so nothing is rounded.
pub(crate) fn is_exact_decimal(text: &str) -> bool {
    if !is_json_number(text) {
        return false;
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => match unsigned[at + 1..].parse::<i64>() {
            // Clamped so that the sums below cannot overflow (the digits
            // before it are at most a message long, far below 2^40); any
            // exponent that large is far outside a double either way.
            Ok(e) => (&unsigned[..at], e.clamp(-EXPONENT_CLAMP, EXPONENT_CLAMP)),
            // An exponent too long for i64 is far outside any double.
            Err(_) => return false,
        },
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Digits without the point; `point` is where the point sat.
    let digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let point = int_part.len() as i64;
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        return true; // zero, of any scale
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    let significant = last - first + 1;
    // Scientific exponent of the first significant digit.
    let sci_exponent = point - 1 - first as i64 + exponent;
    if significant <= MAX_EXACT_DIGITS && EXPONENT_RANGE.contains(&sci_exponent) {
        return true;
    }
    // An integer up to 2^53 − 1 is exact too, even with 16 digits.
    let integer = (last as i64) < point + exponent;
    if integer && (0..16).contains(&sci_exponent) {
        let mut value: u64 = 0;
        for (i, &d) in digits.iter().enumerate().skip(first) {
            let position = i as i64;
            if position >= point + exponent {
                break;
            }
            value = value * 10 + u64::from(d - b'0');
        }
        // Trailing zeros the exponent adds beyond the written digits.
        let written = digits.len() as i64;
        for _ in written..point + exponent {
            value = value.saturating_mul(10);
        }
        return value <= MAX_SAFE_INTEGER;
    }
    false
}
