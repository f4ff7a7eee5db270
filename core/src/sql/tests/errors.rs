//! Errors: which, where, and the exact message.

use rstest::rstest;

use super::{Out, error_after, split, st};
use crate::sql::{ScriptError, Unclosed};

#[rstest]
#[case::connect(
    "SELECT 1;\n\n\\connect other\nSELECT 2;", 1,
    ScriptError::MetaCommand { line: 3, command: "connect".into() },
    "line 3: psql meta-command \\connect is not supported; sequelae runs SQL only \
     (connect with --database-url instead)"
)]
#[case::c("\\c db", 0,
    ScriptError::MetaCommand { line: 1, command: "c".into() },
    "line 1: psql meta-command \\c is not supported; sequelae runs SQL only \
     (connect with --database-url instead)"
)]
#[case::copy("\\copy t from 'x.csv' csv", 0,
    ScriptError::MetaCommand { line: 1, command: "copy".into() },
    "line 1: psql meta-command \\copy is not supported; sequelae runs SQL only \
     (to load data, put the rows after a COPY ... FROM STDIN; statement and end them with a \
     line containing only \\.; to export, run COPY ... TO STDOUT)"
)]
#[case::include("\\i other.sql\n", 0,
    ScriptError::MetaCommand { line: 1, command: "i".into() },
    "line 1: psql meta-command \\i is not supported; sequelae runs SQL only \
     (run each file with `sequelae file`)"
)]
#[case::include_long("  \\include other.sql", 0,
    ScriptError::MetaCommand { line: 1, command: "include".into() },
    "line 1: psql meta-command \\include is not supported; sequelae runs SQL only \
     (run each file with `sequelae file`)"
)]
#[case::set("\\set ON_ERROR_STOP on\nSELECT 1;", 0,
    ScriptError::MetaCommand { line: 1, command: "set".into() },
    "line 1: psql meta-command \\set is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::gset_mid_line("SELECT 1 AS x \\gset\n", 0,
    ScriptError::MetaCommand { line: 1, command: "gset".into() },
    "line 1: psql meta-command \\gset is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::g_ends_statement("SELECT 1\n\\g", 0,
    ScriptError::MetaCommand { line: 2, command: "g".into() },
    "line 2: psql meta-command \\g is not supported; sequelae runs SQL only \
     (end the statement with ; instead)"
)]
#[case::if_block("\\if :x\nSELECT 1;\n\\endif", 0,
    ScriptError::MetaCommand { line: 1, command: "if".into() },
    "line 1: psql meta-command \\if is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::nul_byte("SELECT 1;\nSELECT 'a\n\0b';", 1,
    ScriptError::NulByte { line: 3 },
    "line 3: the statement contains a NUL byte, which PostgreSQL cannot accept in SQL; \
     remove it (if the file is UTF-16, convert it, e.g. with `iconv -f UTF-16 -t UTF-8`)"
)]
#[case::echo_after_statements("SELECT 1; SELECT 2;\n\\echo done", 2,
    ScriptError::MetaCommand { line: 2, command: "echo".into() },
    "line 2: psql meta-command \\echo is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::name_ends_at_backslash("\\x\\\\", 0,
    ScriptError::MetaCommand { line: 1, command: "x".into() },
    "line 1: psql meta-command \\x is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::double_backslash("SELECT 1 \\\\", 0,
    ScriptError::MetaCommand { line: 1, command: "\\".into() },
    "line 1: psql meta-command \\\\ is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::lone_backslash_at_eof("SELECT 1 \\", 0,
    ScriptError::MetaCommand { line: 1, command: String::new() },
    "line 1: psql meta-command \\ is not supported; sequelae runs SQL only \
     (remove it from the script)"
)]
#[case::quit("SELECT 1;\n\\q\n", 1,
    ScriptError::MetaCommand { line: 2, command: "q".into() },
    "line 2: psql meta-command \\q is not supported; sequelae runs SQL only \
     (remove it; the script ends at the end of the input)"
)]
#[case::unterminated_string("SELECT 1;\n\nSELECT 'abc;\n", 1,
    ScriptError::Unterminated { what: Unclosed::QuotedString, line: 3 },
    "line 3: unterminated quoted string starting here; add the closing '"
)]
#[case::unterminated_escape_string("SELECT E'abc\\';", 0,
    ScriptError::Unterminated { what: Unclosed::EscapeString, line: 1 },
    "line 1: unterminated quoted string starting here; add the closing ' \
     (in E'...' a backslash escapes the next character, so \\' does not end the string)"
)]
#[case::unterminated_escape_string_backslash_at_eof("SELECT E'abc\\", 0,
    ScriptError::Unterminated { what: Unclosed::EscapeString, line: 1 },
    "line 1: unterminated quoted string starting here; add the closing ' \
     (in E'...' a backslash escapes the next character, so \\' does not end the string)"
)]
#[case::unterminated_bit_string("SELECT\nB'01", 0,
    ScriptError::Unterminated { what: Unclosed::QuotedString, line: 2 },
    "line 2: unterminated quoted string starting here; add the closing '"
)]
#[case::unterminated_identifier("SELECT 1 AS \"a\n\n", 0,
    ScriptError::Unterminated { what: Unclosed::QuotedIdentifier, line: 1 },
    "line 1: unterminated quoted identifier starting here; add the closing \""
)]
#[case::unterminated_dollar_quote(
    "CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1;\nEND\n$Body$;", 0,
    ScriptError::Unterminated { what: Unclosed::DollarQuote { tag: "body".into() }, line: 1 },
    "line 1: unterminated dollar-quoted string $body$ starting here; add the closing $body$"
)]
#[case::unterminated_empty_dollar_quote("SELECT 1;\nSELECT $$;", 1,
    ScriptError::Unterminated { what: Unclosed::DollarQuote { tag: String::new() }, line: 2 },
    "line 2: unterminated dollar-quoted string $$ starting here; add the closing $$"
)]
#[case::unterminated_nested_comment("SELECT 1;\n/* outer /* inner */\nSELECT 2;", 1,
    ScriptError::Unterminated { what: Unclosed::BlockComment, line: 2 },
    "line 2: unterminated block comment starting here; add the closing */ \
     (block comments nest: every /* needs its own */)"
)]
#[case::unterminated_comment_in_statement("SELECT 1 /* x", 0,
    ScriptError::Unterminated { what: Unclosed::BlockComment, line: 1 },
    "line 1: unterminated block comment starting here; add the closing */ \
     (block comments nest: every /* needs its own */)"
)]
#[case::unterminated_copy("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n", 3,
    ScriptError::Unterminated { what: Unclosed::CopyData, line: 2 },
    "line 2: unterminated COPY data after the COPY ... FROM STDIN statement starting here; \
     end the data with a line containing only \\."
)]
#[case::copy_without_data_at_eof("COPY t FROM stdin;", 1,
    ScriptError::Unterminated { what: Unclosed::CopyData, line: 1 },
    "line 1: unterminated COPY data after the COPY ... FROM STDIN statement starting here; \
     end the data with a line containing only \\."
)]
#[case::copy_without_semicolon_at_eof("SELECT 1;\nCOPY t FROM stdin", 1,
    ScriptError::Unterminated { what: Unclosed::CopyData, line: 2 },
    "line 2: unterminated COPY data after the COPY ... FROM STDIN statement starting here; \
     end the data with a line containing only \\."
)]
#[case::text_after_copy("COPY t FROM stdin; SELECT 1;\n1\n\\.\n", 1,
    ScriptError::TextAfterCopyFromStdin { line: 1 },
    "line 1: text after `COPY ... FROM STDIN;` on the same line; the COPY data starts on the \
     next line, so move that text below the closing `\\.` line"
)]
#[case::text_after_copy_single_dash("COPY t\nFROM stdin; -\n\\.\n", 1,
    ScriptError::TextAfterCopyFromStdin { line: 2 },
    "line 2: text after `COPY ... FROM STDIN;` on the same line; the COPY data starts on the \
     next line, so move that text below the closing `\\.` line"
)]
fn errors(
    #[case] input: &str,
    #[case] before: usize,
    #[case] expected: ScriptError,
    #[case] message: &str,
) {
    let error = error_after(input, before);
    assert_eq!(error, expected);
    assert_eq!(error.to_string(), message);
}

#[rstest]
#[case::in_statement(b"SELECT 1;\nSELECT 'caf\xe9';".as_slice(), 2)]
#[case::later_line(b"SELECT\n1,\n'\xc3';".as_slice(), 3)]
#[case::in_inner_comment(b"SELECT /* \xff */\n1;".as_slice(), 1)]
#[case::in_final_statement(b"SELECT 1;\nSELECT\n'\xe2\x82'".as_slice(), 3)]
fn invalid_utf8(#[case] input: &[u8], #[case] line: u64) {
    let items = split(input);
    let error = ScriptError::InvalidUtf8 { line };
    assert_eq!(items.last(), Some(&Out::Err(error.clone())));
    assert_eq!(
        error.to_string(),
        format!(
            "line {line}: the statement is not valid UTF-8; sequelae reads SQL scripts as UTF-8 \
             (convert the file, e.g. with `iconv -f LATIN1 -t UTF-8`)"
        )
    );
}

#[test]
fn statements_before_an_error_are_returned_first() {
    assert_eq!(
        split(b"SELECT 1;\nSELECT 'x"),
        vec![
            st("SELECT 1", 1),
            Out::Err(ScriptError::Unterminated {
                what: Unclosed::QuotedString,
                line: 2
            })
        ]
    );
}

#[test]
fn a_meta_command_name_is_capped() {
    let input = format!("\\{} x", "a".repeat(100));
    let error = error_after(&input, 0);
    assert_eq!(
        error,
        ScriptError::MetaCommand {
            line: 1,
            command: "a".repeat(64)
        }
    );
}
