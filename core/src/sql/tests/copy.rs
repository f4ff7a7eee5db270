//! Inline COPY ... FROM STDIN data.

use rstest::rstest;

use super::super::copy_data::MAX_PIECE;
use super::{Out, copy_st, data, split, split_str, st};
use crate::sql::{ScriptItem, ScriptSplitter};

#[rstest]
#[case::tricky_data(
    "COPY t (a, b) FROM stdin;\n1\tx;y 'q\" $$ /*\n2\t\\\\.\n\\.x\n\\\\.\n \\.\n\\\\\n\\.\nSELECT 1;",
    vec![
        copy_st("COPY t (a, b) FROM stdin", 1),
        data("1\tx;y 'q\" $$ /*\n2\t\\\\.\n\\.x\n\\\\.\n \\.\n\\\\\n"),
        Out::End,
        st("SELECT 1", 9),
    ]
)]
#[case::crlf(
    "COPY t FROM STDIN;\r\n1\r\n2\r\n\\.\r\nSELECT 1;",
    vec![copy_st("COPY t FROM STDIN", 1), data("1\r\n2\r\n"), Out::End, st("SELECT 1", 5)]
)]
#[case::empty_block(
    "copy t from stdin;\n\\.\nselect 1;",
    vec![copy_st("copy t from stdin", 1), Out::End, st("select 1", 3)]
)]
#[case::terminator_at_eof(
    "COPY t FROM stdin;\n1\n\\.",
    vec![copy_st("COPY t FROM stdin", 1), data("1\n"), Out::End]
)]
#[case::terminator_with_cr_at_eof(
    "COPY t FROM stdin;\n1\n\\.\r",
    vec![copy_st("COPY t FROM stdin", 1), data("1\n"), Out::End]
)]
#[case::line_without_newline_before_terminator_is_data(
    "COPY t FROM stdin;\n1\\.\n\\.\n",
    vec![copy_st("COPY t FROM stdin", 1), data("1\\.\n"), Out::End]
)]
#[case::with_options(
    "COPY t FROM STDIN WITH (FORMAT csv, HEADER true);\na,b\n\"x;\",\\.\n\\.\n",
    vec![copy_st("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)", 1), data("a,b\n\"x;\",\\.\n"), Out::End]
)]
#[case::rest_of_line_blank_or_comment(
    "COPY t FROM stdin; \t-- data follows\n1\n\\.\n",
    vec![copy_st("COPY t FROM stdin", 1), data("1\n"), Out::End]
)]
#[case::comment_between_from_and_stdin(
    "COPY t FROM /* x */ STDIN;\n1\n\\.\n",
    vec![copy_st("COPY t FROM /* x */ STDIN", 1), data("1\n"), Out::End]
)]
#[case::after_leading_comment(
    "-- load\nCOPY t FROM stdin;\n\\.\n",
    vec![copy_st("COPY t FROM stdin", 2), Out::End]
)]
#[case::two_blocks(
    "COPY a FROM stdin;\n1\n\\.\nCOPY b FROM stdin;\n2\n\\.\n",
    vec![
        copy_st("COPY a FROM stdin", 1), data("1\n"), Out::End,
        copy_st("COPY b FROM stdin", 4), data("2\n"), Out::End,
    ]
)]
#[case::from_file_is_not_inline(
    "COPY t FROM '/tmp/x';\nSELECT 1;",
    vec![st("COPY t FROM '/tmp/x'", 1), st("SELECT 1", 2)]
)]
#[case::from_program_is_not_inline(
    "COPY t FROM PROGRAM 'cat stdin';\nSELECT 1;",
    vec![st("COPY t FROM PROGRAM 'cat stdin'", 1), st("SELECT 1", 2)]
)]
#[case::to_stdout_is_not_inline("COPY t TO STDOUT;\nSELECT 1;", vec![st("COPY t TO STDOUT", 1), st("SELECT 1", 2)])]
#[case::stdin_inside_parens_is_not_inline(
    "COPY (SELECT * FROM stdin) TO STDOUT;\nSELECT 1;",
    vec![st("COPY (SELECT * FROM stdin) TO STDOUT", 1), st("SELECT 1", 2)]
)]
#[case::quoted_stdin_is_not_inline(
    "COPY t FROM \"stdin\";\nSELECT 1;",
    vec![st("COPY t FROM \"stdin\"", 1), st("SELECT 1", 2)]
)]
#[case::not_first_token(
    "SELECT 'COPY' FROM stdin;\nSELECT 1;",
    vec![st("SELECT 'COPY' FROM stdin", 1), st("SELECT 1", 2)]
)]
#[case::copy_in_function_body(
    "CREATE FUNCTION f() RETURNS void AS $$ COPY t FROM stdin; $$ LANGUAGE sql;\nSELECT 1;",
    vec![st("CREATE FUNCTION f() RETURNS void AS $$ COPY t FROM stdin; $$ LANGUAGE sql", 1), st("SELECT 1", 2)]
)]
fn copy_blocks(#[case] input: &str, #[case] expected: Vec<Out>) {
    assert_eq!(split_str(input), expected);
}

#[test]
fn copy_data_is_not_checked_for_utf8() {
    assert_eq!(
        split(b"COPY t FROM stdin;\n\xff\xfe\t\x00\n\\.\nSELECT 1;"),
        vec![
            copy_st("COPY t FROM stdin", 1),
            Out::Data(b"\xff\xfe\t\x00\n".to_vec()),
            Out::End,
            st("SELECT 1", 4),
        ]
    );
}

/// Feeds `input` in `chunk`-byte pieces, draining after each; returns the
/// COPY bytes, the largest piece, the most bytes held, and the items.
fn pump(input: &[u8], chunk: usize) -> (usize, usize, usize, Vec<String>) {
    let mut splitter = ScriptSplitter::new();
    let (mut total, mut largest, mut held) = (0, 0, 0);
    let mut statements = Vec::new();
    let mut take = |item: ScriptItem, statements: &mut Vec<String>| match item {
        ScriptItem::CopyData(bytes) => {
            total += bytes.len();
            largest = largest.max(bytes.len());
        }
        ScriptItem::Statement(s) => statements.push(format!("{}:{}", s.line, s.text)),
        ScriptItem::CopyEnd => statements.push("END".to_owned()),
    };
    for piece in input.chunks(chunk) {
        splitter.push(piece);
        while let Some(item) = splitter.next_item().unwrap() {
            take(item, &mut statements);
        }
        held = held.max(splitter.buffered());
    }
    while let Some(item) = splitter.finish().unwrap() {
        take(item, &mut statements);
    }
    (total, largest, held, statements)
}

#[test]
fn a_50_mb_copy_block_streams_in_bounded_pieces() {
    let row = b"123456\tsome text; with 'quotes' and \\\\. inside\n";
    let rows = 50_000_000 / row.len();
    let mut input = b"COPY big (id, body) FROM stdin;\n".to_vec();
    for _ in 0..rows {
        input.extend_from_slice(row);
    }
    input.extend_from_slice(b"\\.\nSELECT 1;\n");
    // A quadratic splitter would not finish this in any reasonable time;
    // the memory bounds below are what can be asserted exactly.
    let (total, largest, held, items) = pump(&input, 64 * 1024);
    assert_eq!(total, rows * row.len());
    assert!(largest <= 64 * 1024 + 4, "piece of {largest} bytes");
    assert!(held <= 64 * 1024, "held {held} bytes");
    let last_line = rows as u64 + 3;
    assert_eq!(
        items,
        vec![
            "1:COPY big (id, body) FROM stdin".to_owned(),
            "END".to_owned(),
            format!("{last_line}:SELECT 1"),
        ]
    );
}

#[test]
fn pieces_are_capped_when_much_is_pushed_before_polling() {
    let mut input = b"COPY t FROM stdin;\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 3 * MAX_PIECE + 10));
    input.extend_from_slice(b"\n\\.\n");
    let (total, largest, _, items) = pump(&input, input.len());
    assert_eq!(total, 3 * MAX_PIECE + 11);
    assert_eq!(largest, MAX_PIECE);
    assert_eq!(items, vec!["1:COPY t FROM stdin", "END"]);
}

#[test]
fn a_long_statement_in_small_chunks_is_linear() {
    // 8 MB inside one E'' string, one dollar quote and one block comment,
    // fed in 4 KiB pieces: rescanning from the statement start on every
    // push would take minutes.
    let filler = "x;'\\' $a$ */ ".repeat(8_000_000 / 13 / 3);
    let input = format!(
        "SELECT E'{}', $q${filler}$q$ /* {} */;\nSELECT 2;",
        filler.replace('\\', "\\\\").replace('\'', "''"),
        filler.replace("*/", "**")
    );
    let (_, _, held, items) = pump(input.as_bytes(), 4096);
    assert!(held > 8_000_000, "the statement is held whole: {held}");
    assert_eq!(items.len(), 2);
    assert!(items[0].starts_with("1:SELECT E'x;"));
    assert_eq!(items[1], "2:SELECT 2");
}
