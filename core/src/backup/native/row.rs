//! Typed access to the text values of catalog rows.

use super::error::NativeError;
use crate::wire::DataRow;

/// One catalog row, read for the step `step` (named in errors).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    row: &'a DataRow,
    step: &'static str,
}

impl<'a> Row<'a> {
    pub(crate) fn new(row: &'a DataRow, step: &'static str) -> Row<'a> {
        Row { row, step }
    }

    fn bad(&self, index: usize, what: &str) -> NativeError {
        NativeError::BadRow {
            step: self.step,
            detail: format!("column {index}: {what}"),
        }
    }

    /// The value as text; NULL is `None`.
    pub(crate) fn opt(&self, index: usize) -> Result<Option<&'a str>, NativeError> {
        match self.row.get(index) {
            None if index < self.row.len() => Ok(None),
            None => Err(self.bad(index, "missing")),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| self.bad(index, "not UTF-8")),
        }
    }

    /// A value that must not be NULL.
    pub(crate) fn text(&self, index: usize) -> Result<&'a str, NativeError> {
        self.opt(index)?.ok_or_else(|| self.bad(index, "NULL"))
    }

    /// A non-NULL value as an owned string.
    pub(crate) fn string(&self, index: usize) -> Result<String, NativeError> {
        self.text(index).map(str::to_string)
    }

    /// A possibly NULL value as an owned string; empty text counts as NULL
    /// when `empty_is_null`.
    pub(crate) fn opt_string(&self, index: usize) -> Result<Option<String>, NativeError> {
        Ok(self.opt(index)?.map(str::to_string))
    }

    /// A boolean (`t`/`f`); NULL is false.
    pub(crate) fn flag(&self, index: usize) -> Result<bool, NativeError> {
        match self.opt(index)? {
            None | Some("f") => Ok(false),
            Some("t") => Ok(true),
            Some(other) => Err(self.bad(index, &format!("{other:?} is not a boolean"))),
        }
    }

    /// An OID; NULL is 0.
    pub(crate) fn oid(&self, index: usize) -> Result<u32, NativeError> {
        match self.opt(index)? {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| self.bad(index, &format!("{text:?} is not an OID"))),
        }
    }

    /// A one-character code such as `relkind`; NULL is `'\0'`.
    pub(crate) fn code(&self, index: usize) -> Result<char, NativeError> {
        Ok(self
            .opt(index)?
            .and_then(|t| t.chars().next())
            .unwrap_or('\0'))
    }
}
