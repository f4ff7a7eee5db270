//! Where statements end: quotes, comments, parentheses, routine bodies.

use rstest::rstest;

use super::{Out, split, split_str, st};

#[rstest]
// Boundaries, text and lines.
#[case::two_statements("SELECT 1;\nSELECT 2;\n", vec![st("SELECT 1", 1), st("SELECT 2", 2)])]
#[case::same_line("SELECT 1; SELECT 2;", vec![st("SELECT 1", 1), st("SELECT 2", 1)])]
#[case::no_final_semicolon("SELECT 1;\n\nSELECT\n  2", vec![st("SELECT 1", 1), st("SELECT\n  2", 3)])]
#[case::crlf_counts_once("SELECT 1;\r\n\r\nSELECT\r\n2;", vec![st("SELECT 1", 1), st("SELECT\r\n2", 3)])]
#[case::empty_statements(";;  ;\n-- only a comment\n/* and another */ ;\n", vec![])]
#[case::blank_input(" \n\t\r\n", vec![])]
#[case::empty_input("", vec![])]
#[case::leading_comments_stripped(
    "-- header\n\n/* block\n comment */\n  SELECT 1 ;",
    vec![st("SELECT 1", 5)]
)]
#[case::inner_comments_kept(
    "SELECT /* ; */ 1 -- ;\n + 1 /* trailing */ -- x\n;",
    vec![st("SELECT /* ; */ 1 -- ;\n + 1", 1)]
)]
#[case::trailing_comment_at_eof("SELECT 1 -- done", vec![st("SELECT 1", 1)])]
#[case::comment_ends_at_cr("-- a\rSELECT 1;", vec![st("SELECT 1", 1)])]
#[case::bom_skipped("\u{feff}SELECT 1;", vec![st("SELECT 1", 1)])]
#[case::utf8_text("SELECT 'héllo ☃', \"naïve\";", vec![st("SELECT 'héllo ☃', \"naïve\"", 1)])]
// Parentheses.
#[case::rule_with_parens(
    "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;",
    vec![
        st("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", 1),
        st("SELECT 1", 2),
    ]
)]
#[case::unbalanced_close_paren("SELECT 1);\nSELECT 2;", vec![st("SELECT 1)", 1), st("SELECT 2", 2)])]
#[case::unclosed_paren_sent_at_eof("SELECT (1;\nSELECT 2;", vec![st("SELECT (1;\nSELECT 2;", 1)])]
// Standard strings: '' doubles, backslash is literal.
#[case::string_semicolon("SELECT 'a;b', 'it''s;';", vec![st("SELECT 'a;b', 'it''s;'", 1)])]
#[case::string_backslash_literal("SELECT 'a\\'; SELECT 2;", vec![st("SELECT 'a\\'", 1), st("SELECT 2", 1)])]
#[case::string_multiline("SELECT 'a\n;\nb';\nSELECT 2;", vec![st("SELECT 'a\n;\nb'", 1), st("SELECT 2", 4)])]
// E'' strings: backslash escapes anything, '' too.
#[case::escape_string("SELECT E'\\';'; SELECT 2;", vec![st("SELECT E'\\';'", 1), st("SELECT 2", 1)])]
#[case::escape_string_lower("SELECT e'\\\\'; SELECT 2;", vec![st("SELECT e'\\\\'", 1), st("SELECT 2", 1)])]
#[case::escape_string_doubled("SELECT E'a'';\\''; SELECT 2;", vec![st("SELECT E'a'';\\''", 1), st("SELECT 2", 1)])]
#[case::escape_string_continued(
    "SELECT E'a'\n'\\';';\nSELECT 2;",
    vec![st("SELECT E'a'\n'\\';'", 1), st("SELECT 2", 3)]
)]
#[case::escape_string_continued_after_comments(
    "SELECT E'a' -- c\n  -- d\n '\\';';",
    vec![st("SELECT E'a' -- c\n  -- d\n '\\';'", 1)]
)]
#[case::escape_string_not_continued_on_same_line(
    "SELECT E'a' '\\'; SELECT 2;",
    vec![st("SELECT E'a' '\\'", 1), st("SELECT 2", 1)]
)]
#[case::escape_string_not_continued_after_block_comment(
    "SELECT E'a'\n/* c */ '\\'; SELECT 2;",
    vec![st("SELECT E'a'\n/* c */ '\\'", 1), st("SELECT 2", 2)]
)]
#[case::escape_string_then_minus("SELECT E'1'\n-1;", vec![st("SELECT E'1'\n-1", 1)])]
#[case::standard_string_continuation_is_standard(
    "SELECT 'a'\n'\\';\nSELECT 2;",
    vec![st("SELECT 'a'\n'\\'", 1), st("SELECT 2", 3)]
)]
#[case::identifier_ending_in_e("SELECT some'\\'; SELECT 2;", vec![st("SELECT some'\\'", 1), st("SELECT 2", 1)])]
// Other prefixed strings have no backslash escapes.
#[case::prefixed_strings(
    "SELECT U&'d\\0061t;a', u&'\\', B'1;0', b'', X'1;F', x'', N'n;', n'\\';",
    vec![st("SELECT U&'d\\0061t;a', u&'\\', B'1;0', b'', X'1;F', x'', N'n;', n'\\'", 1)]
)]
#[case::u_ampersand_without_quote("SELECT u&x; SELECT 2;", vec![st("SELECT u&x", 1), st("SELECT 2", 1)])]
// Quoted identifiers.
#[case::quoted_identifier("SELECT 1 AS \"a;\"\"b\";", vec![st("SELECT 1 AS \"a;\"\"b\"", 1)])]
#[case::unicode_identifier("SELECT U&\"a;\\0062\";", vec![st("SELECT U&\"a;\\0062\"", 1)])]
#[case::quoted_identifier_backslash("SELECT \"a\\\"; SELECT 2;", vec![st("SELECT \"a\\\"", 1), st("SELECT 2", 1)])]
// Dollar quotes.
#[case::dollar_empty_tag("SELECT $$;'\"$$; SELECT 2;", vec![st("SELECT $$;'\"$$", 1), st("SELECT 2", 1)])]
#[case::dollar_tag("SELECT $fn$ ; $$ ; $fn$;", vec![st("SELECT $fn$ ; $$ ; $fn$", 1)])]
#[case::dollar_nested_tags("SELECT $a$ $b$ ; $b$ ; $a$;", vec![st("SELECT $a$ $b$ ; $b$ ; $a$", 1)])]
#[case::dollar_tag_case_sensitive("SELECT $A$ ; $a$ ; $A$;", vec![st("SELECT $A$ ; $a$ ; $A$", 1)])]
#[case::dollar_false_close("SELECT $a$ $ab$ ; $xa$ ;$a$;", vec![st("SELECT $a$ $ab$ ; $xa$ ;$a$", 1)])]
#[case::dollar_tag_underscore("SELECT $_$;$_$;", vec![st("SELECT $_$;$_$", 1)])]
#[case::dollar_tag_digits_after_start("SELECT $a1$;$a1$;", vec![st("SELECT $a1$;$a1$", 1)])]
#[case::dollar_tag_non_ascii("SELECT $é$;$é$;", vec![st("SELECT $é$;$é$", 1)])]
#[case::dollar_body_lines("SELECT $$\n;\n$$;\nSELECT 2;", vec![st("SELECT $$\n;\n$$", 1), st("SELECT 2", 4)])]
#[case::positional_parameter(
    "PREPARE p(int) AS SELECT $1; SELECT $2$x$;$x$;",
    vec![st("PREPARE p(int) AS SELECT $1", 1), st("SELECT $2$x$;$x$", 1)]
)]
#[case::dollar_in_identifier("SELECT foo$bar$; SELECT 2;", vec![st("SELECT foo$bar$", 1), st("SELECT 2", 1)])]
#[case::dollar_without_tag_end("SELECT $foo + 1; SELECT 2;", vec![st("SELECT $foo + 1", 1), st("SELECT 2", 1)])]
#[case::lone_dollar("SELECT 1 $; SELECT 2;", vec![st("SELECT 1 $", 1), st("SELECT 2", 1)])]
#[case::number_then_dollar_quote("SELECT 1$a$;$a$;", vec![st("SELECT 1$a$;$a$", 1)])]
#[case::dollar_quote_at_eof_tag("SELECT $a", vec![st("SELECT $a", 1)])]
// Comments.
#[case::line_comment("SELECT 1 -- ; not the end\n;", vec![st("SELECT 1", 1)])]
#[case::nested_block_comment(
    "/* a /* b ; */ c ; */ SELECT 1; SELECT /*/ x */ 2;",
    vec![st("SELECT 1", 1), st("SELECT /*/ x */ 2", 1)]
)]
#[case::comment_closers("SELECT 1 /* **/ ; SELECT 2 /*/**/*/;", vec![st("SELECT 1", 1), st("SELECT 2", 1)])]
#[case::operator_then_comment("SELECT 1+/*;*/1;SELECT 2 +-- ;\n1;", vec![st("SELECT 1+/*;*/1", 1), st("SELECT 2 +-- ;\n1", 1)])]
#[case::minus_and_slash("SELECT 4 - 2 / 1;", vec![st("SELECT 4 - 2 / 1", 1)])]
#[case::quotes_in_comments("-- it's\n/* \"x */ SELECT 1;", vec![st("SELECT 1", 2)])]
#[case::backslash_in_comments_and_strings(
    "-- \\set x\n/* \\i f */ SELECT '\\n', E'\\\\', $$\\c$$, \"\\q\";",
    vec![st("SELECT '\\n', E'\\\\', $$\\c$$, \"\\q\"", 2)]
)]
// psql's \; and \: are sent as ; and :.
#[case::backslash_semicolon("SELECT 1 \\; SELECT 2;\nSELECT 3;", vec![st("SELECT 1 ; SELECT 2", 1), st("SELECT 3", 2)])]
#[case::backslash_colon("SELECT 'a'\\:\\:text;", vec![st("SELECT 'a'::text", 1)])]
// SQL-standard routine bodies.
#[case::begin_atomic(
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND;\nSELECT 2;",
    vec![
        st("CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND", 1),
        st("SELECT 2", 6),
    ]
)]
#[case::begin_atomic_or_replace_procedure(
    "create or replace procedure p(a int) language sql begin atomic insert into t values (a); insert into t values (a + 1); end; call p(1);",
    vec![
        st("create or replace procedure p(a int) language sql begin atomic insert into t values (a); insert into t values (a + 1); end", 1),
        st("call p(1)", 1),
    ]
)]
#[case::begin_atomic_case_inside(
    "CREATE PROCEDURE p() BEGIN ATOMIC SELECT CASE 1 WHEN 1 THEN 2 END; SELECT 3; END; SELECT 4;",
    vec![
        st("CREATE PROCEDURE p() BEGIN ATOMIC SELECT CASE 1 WHEN 1 THEN 2 END; SELECT 3; END", 1),
        st("SELECT 4", 1),
    ]
)]
#[case::case_outside_begin_not_counted(
    "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2;",
    vec![
        st("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END", 1),
        st("SELECT 2", 1),
    ]
)]
#[case::plpgsql_body_in_dollar_quotes(
    "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT 2;",
    vec![
        st("CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql", 1),
        st("SELECT 2", 1),
    ]
)]
#[case::transaction_begin_not_counted(
    "BEGIN; SELECT 1; END; CREATE TABLE begin (x int); COMMIT;",
    vec![st("BEGIN", 1), st("SELECT 1", 1), st("END", 1), st("CREATE TABLE begin (x int)", 1), st("COMMIT", 1)]
)]
#[case::create_table_then_begin(
    "CREATE TABLE t (x int);\nBEGIN;\nSELECT 1;\nCOMMIT;",
    vec![st("CREATE TABLE t (x int)", 1), st("BEGIN", 2), st("SELECT 1", 3), st("COMMIT", 4)]
)]
#[case::create_trigger_execute_function(
    "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(); BEGIN; END;",
    vec![
        st("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", 1),
        st("BEGIN", 1),
        st("END", 1),
    ]
)]
#[case::begin_in_parens_not_counted(
    "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1; SELECT 2;",
    vec![st("CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1", 1), st("SELECT 2", 1)]
)]
#[case::backslash_semicolon_restarts_tracking(
    "SELECT 1 \\; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END; SELECT 2;",
    vec![st("SELECT 1 ; CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END", 1), st("SELECT 2", 1)]
)]
// Numbers and identifiers around quotes.
#[case::number_junk_then_string("SELECT 1e'\\'; SELECT 2;", vec![st("SELECT 1e'\\'", 1), st("SELECT 2", 1)])]
#[case::identifier_with_digits_and_dollars("SELECT a1$b, _x FROM t;", vec![st("SELECT a1$b, _x FROM t", 1)])]
fn statements(#[case] input: &str, #[case] expected: Vec<Out>) {
    assert_eq!(split_str(input), expected);
}

#[test]
fn a_multibyte_character_split_across_chunks_is_reassembled() {
    // Exercised at every boundary by `split`, which includes the middle of
    // each multibyte sequence.
    let input = "SELECT 'ä€𝄞';\nSELECT $ä$;$ä$;";
    assert_eq!(
        split_str(input),
        vec![st("SELECT 'ä€𝄞'", 1), st("SELECT $ä$;$ä$", 2)]
    );
}

#[test]
fn invalid_utf8_in_a_comment_between_statements_is_ignored() {
    assert_eq!(
        split(b"SELECT 1;\n-- caf\xe9\nSELECT 2;"),
        vec![st("SELECT 1", 1), st("SELECT 2", 3)]
    );
}

#[test]
fn a_statement_without_semicolon_waits_for_finish() {
    let mut splitter = crate::sql::ScriptSplitter::new();
    splitter.push(b"SELECT 1; SELECT 2");
    let first = splitter.next_item().unwrap();
    assert!(matches!(first, Some(crate::sql::ScriptItem::Statement(s)) if s.text == "SELECT 1"));
    assert_eq!(splitter.next_item(), Ok(None));
    let last = splitter.finish().unwrap();
    assert!(matches!(last, Some(crate::sql::ScriptItem::Statement(s)) if s.text == "SELECT 2"));
    assert_eq!(splitter.finish(), Ok(None));
}
