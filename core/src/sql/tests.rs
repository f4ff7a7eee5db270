//! Every input is fed whole, split at every byte boundary, and byte by
//! byte; all three must give the same items.
#![allow(clippy::unwrap_used)]

mod copy;
mod errors;
mod lexing;
mod scripts;

use super::{ScriptError, ScriptItem, ScriptSplitter};

/// An item with COPY pieces merged, so chunkings can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Stmt(String, u64, bool),
    Data(Vec<u8>),
    End,
    Err(ScriptError),
}

fn st(text: &str, line: u64) -> Out {
    Out::Stmt(text.to_owned(), line, false)
}

fn copy_st(text: &str, line: u64) -> Out {
    Out::Stmt(text.to_owned(), line, true)
}

fn data(bytes: &str) -> Out {
    Out::Data(bytes.as_bytes().to_vec())
}

fn record(out: &mut Vec<Out>, item: Result<Option<ScriptItem>, ScriptError>) -> bool {
    match item {
        Ok(Some(ScriptItem::Statement(s))) => {
            out.push(Out::Stmt(s.text, s.line, s.copy_from_stdin));
        }
        Ok(Some(ScriptItem::CopyData(bytes))) => {
            assert!(!bytes.is_empty(), "empty CopyData piece");
            if let Some(Out::Data(previous)) = out.last_mut() {
                previous.extend_from_slice(&bytes);
            } else {
                out.push(Out::Data(bytes.to_vec()));
            }
        }
        Ok(Some(ScriptItem::CopyEnd)) => out.push(Out::End),
        Ok(None) => return false,
        Err(e) => {
            out.push(Out::Err(e));
            return false;
        }
    }
    true
}

/// Feeds `chunks`, draining after each, then finishes.
fn run(chunks: &[&[u8]]) -> Vec<Out> {
    let mut splitter = ScriptSplitter::new();
    let mut out = Vec::new();
    for chunk in chunks {
        splitter.push(chunk);
        while record(&mut out, splitter.next_item()) {}
        if matches!(out.last(), Some(Out::Err(_))) {
            // Errors are sticky.
            assert_eq!(
                Some(Out::Err(splitter.next_item().unwrap_err())),
                out.last().cloned()
            );
            return out;
        }
    }
    while record(&mut out, splitter.finish()) {}
    if let Some(Out::Err(e)) = out.last() {
        assert_eq!(&splitter.finish().unwrap_err(), e);
    } else {
        assert_eq!(splitter.finish(), Ok(None));
        assert_eq!(splitter.next_item(), Ok(None));
    }
    out
}

/// The items of `input`, checked to be the same however it is chunked.
fn split(input: &[u8]) -> Vec<Out> {
    let whole = run(&[input]);
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(run(&[a, b]), whole, "split at byte {at} of {input:?}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(run(&bytes), whole, "byte by byte: {input:?}");
    whole
}

fn split_str(input: &str) -> Vec<Out> {
    split(input.as_bytes())
}

/// The error `input` ends in, after checking which items came before it.
fn error_after(input: &str, before: usize) -> ScriptError {
    let mut items = split_str(input);
    let last = items.pop();
    assert_eq!(items.len(), before, "items before the error: {items:?}");
    match last {
        Some(Out::Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}
