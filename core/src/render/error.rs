//! Server errors the way psql prints them, caret and all.

use std::fmt::Write as _;

use crate::wire::ServerMessage;

/// psql shows at most this many characters of the failing line around
/// the error position.
const LINE_WINDOW: usize = 60;

/// Renders `error` as psql does: `ERROR:  message`, then `LINE n: ...`
/// with a caret under the position in `query`, then DETAIL, HINT and
/// CONTEXT lines.
pub fn error_text(error: &ServerMessage, query: Option<&str>) -> String {
    let mut out = format!("{}:  {}", error.severity, error.message);
    if let (Some(position), Some(query)) = (error.position, query) {
        if let Some(snippet) = position_snippet(query, position as usize) {
            out.push('\n');
            out.push_str(&snippet);
        }
    }
    if let Some(detail) = &error.detail {
        let _ = write!(out, "\nDETAIL:  {detail}");
    }
    if let Some(hint) = &error.hint {
        let _ = write!(out, "\nHINT:  {hint}");
    }
    if let Some(context) = &error.where_ {
        let _ = write!(out, "\nCONTEXT:  {context}");
    }
    out
}

/// A NOTICE or WARNING, psql style (`NOTICE:  message`, DETAIL, HINT);
/// psql shows CONTEXT for errors only (its default `SHOW_CONTEXT errors`).
pub fn notice_text(notice: &ServerMessage) -> String {
    let without_context = ServerMessage {
        where_: None,
        ..notice.clone()
    };
    error_text(&without_context, None)
}

/// `LINE 3: SELECT * FROM nope` and a caret line under character
/// `position` (1-based, in characters, as the server counts).
fn position_snippet(query: &str, position: usize) -> Option<String> {
    let chars: Vec<char> = query.chars().collect();
    if position == 0 || position > chars.len() + 1 {
        return None;
    }
    let index = position - 1;
    let line_start = chars[..index.min(chars.len())]
        .iter()
        .rposition(|c| *c == '\n')
        .map_or(0, |p| p + 1);
    let line_end = chars[line_start..]
        .iter()
        .position(|c| *c == '\n' || *c == '\r')
        .map_or(chars.len(), |p| line_start + p);
    let line_no = chars[..line_start].iter().filter(|c| **c == '\n').count() + 1;
    let mut line: Vec<char> = chars[line_start..line_end]
        .iter()
        .map(|c| if *c == '\t' { ' ' } else { *c })
        .collect();
    let mut caret = index - line_start;
    let mut prefix = String::new();
    let mut suffix = String::new();
    // Long lines: show a window around the error, marked with "...".
    if line.len() > LINE_WINDOW {
        let start = caret
            .saturating_sub(LINE_WINDOW / 2)
            .min(line.len() - LINE_WINDOW);
        let end = start + LINE_WINDOW;
        if start > 0 {
            prefix.push_str("...");
        }
        if end < line.len() {
            suffix.push_str("...");
        }
        line = line[start..end].to_vec();
        caret -= start;
    }
    let label = format!("LINE {line_no}: ");
    let shown: String = line.iter().collect();
    let before: String = line[..caret.min(line.len())].iter().collect();
    let pad = unicode_width::UnicodeWidthStr::width(label.as_str())
        + prefix.len()
        + unicode_width::UnicodeWidthStr::width(before.as_str());
    Some(format!(
        "{label}{prefix}{shown}{suffix}\n{}^",
        " ".repeat(pad)
    ))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn error(message: &str, position: Option<u32>) -> ServerMessage {
        ServerMessage {
            severity: "ERROR".into(),
            code: "42P01".into(),
            message: message.into(),
            position,
            ..ServerMessage::default()
        }
    }

    #[rstest]
    #[case::first_line(
        "SELECT * FROM nope",
        15,
        "ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n                      ^"
    )]
    #[case::third_line(
        "SELECT 1,\n  2,\n  nope",
        18,
        "ERROR:  relation \"nope\" does not exist\nLINE 3:   nope\n          ^"
    )]
    #[case::unicode_before(
        "SELECT 'é', nope",
        13,
        "ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT 'é', nope\n                    ^"
    )]
    #[case::out_of_range("SELECT 1", 99, "ERROR:  relation \"nope\" does not exist")]
    fn caret_under_the_position(#[case] query: &str, #[case] pos: u32, #[case] expected: &str) {
        let e = error("relation \"nope\" does not exist", Some(pos));
        assert_eq!(error_text(&e, Some(query)), expected);
    }

    #[test]
    fn long_lines_show_a_window() {
        let query = format!("SELECT {} FROM nope", "x, ".repeat(40));
        let pos = query.find("nope").expect("nope") as u32 + 1;
        let text = error_text(&error("boom", Some(pos)), Some(&query));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].starts_with("LINE 1: ..."), "{text}");
        let caret_col = lines[2].find('^').expect("caret");
        assert_eq!(&lines[1][caret_col..caret_col + 4], "nope", "{text}");
    }

    #[test]
    fn detail_hint_and_context_follow() {
        let mut e = error(
            "duplicate key value violates unique constraint \"u_pk\"",
            None,
        );
        e.detail = Some("Key (id)=(1) already exists.".into());
        e.hint = Some("Try another id.".into());
        e.where_ = Some("SQL function \"f\"".into());
        assert_eq!(
            error_text(&e, Some("INSERT ...")),
            "ERROR:  duplicate key value violates unique constraint \"u_pk\"\n\
             DETAIL:  Key (id)=(1) already exists.\n\
             HINT:  Try another id.\n\
             CONTEXT:  SQL function \"f\""
        );
    }
}
