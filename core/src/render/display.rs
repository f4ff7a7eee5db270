//! How one value is written in a table cell so that no two different
//! values look alike.
//!
//! The rules (also in the README): a backslash starts every escape and a
//! literal backslash is `\\`; newline, carriage return and tab are `\n`,
//! `\r`, `\t`; other ASCII control characters are `\xHH` (psql's form,
//! e.g. ESC is `\x1B`), as is a byte that is not UTF-8; other control
//! and invisible formatting characters (C1 controls, zero-width and
//! direction marks, line separators) are `\u{HHHH}`. NULL is `\N`, which
//! no text can produce because the text's backslash would be doubled.
//! A value cut at the width limit ends in `\…`, which again no text can
//! end in.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// What NULL looks like in a table.
pub const NULL_MARK: &str = "\\N";

/// What ends a value cut at the width limit.
pub const CUT_MARK: &str = "\\…";

/// Characters that print as nothing or move the cursor, beyond the
/// control characters: text holding them looks like text without them.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{AD}'
        | '\u{34F}'
        | '\u{61C}'
        | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
    )
}

/// Writes the escape of `c`; false when `c` shows as itself.
fn escape_char(c: char, out: &mut String) -> bool {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02X}", c as u32);
        }
        c if c.is_control() || is_invisible(c) => {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        }
        _ => return false,
    }
    true
}

/// True when `text` shows as itself (no character needs an escape).
fn plain(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c == '\\' || c.is_control() || is_invisible(c))
}

/// `bytes` as shown in a cell, at most `max_width` columns wide (plus the
/// cut mark). Returns the text and whether it was cut.
pub fn display_value(bytes: &[u8], max_width: usize) -> (String, bool) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        // The common case: a short value that needs no escape.
        if text.len() <= max_width && plain(text) {
            return (text.to_string(), false);
        }
    }
    let mut shown = String::with_capacity(bytes.len());
    let mut width = 0;
    let mut piece = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            piece.clear();
            if !escape_char(c, &mut piece) {
                piece.push(c);
            }
            if !append(&mut shown, &mut width, &piece, max_width) {
                return (shown, true);
            }
        }
        for byte in chunk.invalid() {
            piece.clear();
            let _ = write!(piece, "\\x{byte:02X}");
            if !append(&mut shown, &mut width, &piece, max_width) {
                return (shown, true);
            }
        }
    }
    (shown, false)
}

/// Adds `piece` unless it would pass `max_width`; then adds the cut mark
/// and returns false.
fn append(shown: &mut String, width: &mut usize, piece: &str, max_width: usize) -> bool {
    let w = piece.width();
    if *width + w > max_width {
        shown.push_str(CUT_MARK);
        return false;
    }
    *width += w;
    shown.push_str(piece);
    true
}

/// A column name or other label, escaped by the same rules, never cut.
pub fn display_label(text: &str) -> String {
    if plain(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escape_char(c, &mut out) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::plain("abc", "abc")]
    #[case::real_tab("a\tb", "a\\tb")]
    #[case::backslash_t("a\\tb", "a\\\\tb")]
    #[case::newline_and_cr("a\nb\rc", "a\\nb\\rc")]
    #[case::escape_like_psql("\u{1b}[31m", "\\x1B[31m")]
    #[case::delete("\u{7f}", "\\x7F")]
    #[case::c1_control("\u{85}", "\\u{0085}")]
    #[case::zero_width_space("a\u{200b}b", "a\\u{200B}b")]
    #[case::right_to_left_override("\u{202e}abc", "\\u{202E}abc")]
    #[case::null_mark_as_text("\\N", "\\\\N")]
    #[case::null_word_as_text("<null>", "<null>")]
    #[case::wide_and_combining("世界 e\u{301}", "世界 e\u{301}")]
    fn escapes(#[case] text: &str, #[case] shown: &str) {
        assert_eq!(
            display_value(text.as_bytes(), 80),
            (shown.to_string(), false)
        );
        assert_eq!(display_label(text), shown);
    }

    #[test]
    fn bytes_that_are_not_utf8_show_as_hex() {
        assert_eq!(
            display_value(b"a\xffb\xc3", 80),
            ("a\\xFFb\\xC3".to_string(), false)
        );
    }

    #[test]
    fn a_cut_value_ends_in_a_mark_no_text_ends_in() {
        assert_eq!(
            display_value("abcdef".as_bytes(), 3),
            ("abc\\…".to_string(), true)
        );
        // An ellipsis in the text stays as it is and is not a cut.
        assert_eq!(
            display_value("ab…".as_bytes(), 3),
            ("ab…".to_string(), false)
        );
        // An escape is never split by the cut.
        assert_eq!(display_value(b"ab\t", 3), ("ab\\…".to_string(), true));
    }

    /// Different values never show alike: every pair of these differs.
    #[test]
    fn distinct_values_show_distinct() {
        let values: [&[u8]; 10] = [
            b"a\tb",
            b"a\\tb",
            b"\\N",
            b"<null>",
            b"",
            b"\x1b",
            b"\\x1B",
            b"\xff",
            b"\\xFF",
            "\u{ff}".as_bytes(),
        ];
        let mut shown: Vec<String> = values.iter().map(|v| display_value(v, 80).0).collect();
        shown.push(NULL_MARK.to_string());
        let mut unique = shown.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), shown.len(), "{shown:?}");
    }
}
