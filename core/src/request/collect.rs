//! A query's items gathered in memory, statement by statement, for callers
//! that want whole results rather than a stream.

use crate::wire::{CommandTag, DataRow, RowDescription};

use super::QueryItem;

/// One statement's complete result, for callers that want it in memory.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Columns, when the statement returns rows.
    pub columns: Option<RowDescription>,
    /// All rows.
    pub rows: Vec<DataRow>,
    /// The command tag (`SELECT 2`, `CREATE TABLE`); `None` for an empty query.
    pub tag: Option<CommandTag>,
}

/// Gathers [`QueryItem`]s into one [`QueryResult`] per statement. COPY
/// data and notices are not kept: a caller that wants them streams.
#[derive(Debug, Default)]
pub struct ResultCollector {
    results: Vec<QueryResult>,
    current: QueryResult,
}

impl ResultCollector {
    /// An empty collector.
    pub fn new() -> ResultCollector {
        ResultCollector::default()
    }

    /// Takes the next item of the query.
    pub fn push(&mut self, item: QueryItem) {
        match item {
            QueryItem::Columns(c) => self.current.columns = Some(c),
            QueryItem::Row(r) => self.current.rows.push(r),
            QueryItem::Complete(tag) => {
                self.current.tag = Some(tag);
                self.results.push(std::mem::take(&mut self.current));
            }
            QueryItem::EmptyQuery => self.results.push(std::mem::take(&mut self.current)),
            QueryItem::CopyData(_) | QueryItem::Notice(_) => {}
        }
    }

    /// Every completed statement's result, in order.
    pub fn finish(self) -> Vec<QueryResult> {
        self.results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> CommandTag {
        CommandTag::new(text.to_string())
    }

    fn row() -> DataRow {
        DataRow::from_values([Some(&b"1"[..])])
    }

    #[test]
    fn each_statement_ends_at_its_tag_or_empty_query() {
        let mut collector = ResultCollector::new();
        collector.push(QueryItem::Row(row()));
        collector.push(QueryItem::Row(row()));
        collector.push(QueryItem::Complete(tag("SELECT 2")));
        collector.push(QueryItem::EmptyQuery);
        collector.push(QueryItem::Complete(tag("CREATE TABLE")));
        let results = collector.finish();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].rows.len(), 2);
        assert_eq!(
            results[0].tag.as_ref().map(CommandTag::as_str),
            Some("SELECT 2")
        );
        assert!(results[1].tag.is_none() && results[1].rows.is_empty());
        assert_eq!(
            results[2].tag.as_ref().map(CommandTag::as_str),
            Some("CREATE TABLE")
        );
    }

    #[test]
    fn copy_data_notices_and_an_unfinished_statement_are_not_kept() {
        let mut collector = ResultCollector::new();
        collector.push(QueryItem::CopyData(bytes::Bytes::from_static(b"1\n")));
        collector.push(QueryItem::Notice(Box::default()));
        collector.push(QueryItem::Complete(tag("COPY 1")));
        collector.push(QueryItem::Row(row()));
        let results = collector.finish();
        assert_eq!(results.len(), 1);
        assert!(results[0].rows.is_empty());
    }
}
