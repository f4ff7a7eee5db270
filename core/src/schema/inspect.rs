//! The whole `sequelae schema` request as a sans-IO plan: it hands out
//! catalog queries, takes their rows, and ends with a [`SchemaReport`].

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::error::SchemaError;
use super::infer::infer_json_structure;
use super::model::TableSchema;
use super::resolve::{Relation, UnknownTable};
use super::sql::{
    Scope, list_relations_sql, resolve_names_sql, sample_json_sql, table_details_sql,
};
use crate::catalog::{Resolution, TableName, qualified_name, resolve, suggest};
use crate::wire::DataRow;

/// Rows sampled per JSON column unless the request says otherwise.
pub const DEFAULT_JSON_SAMPLE_SIZE: u32 = 100;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRequest {
    /// Tables to describe, as parsed by
    /// [`parse_table_names`](super::parse_table_names); empty means every
    /// table in scope.
    pub tables: Vec<TableName>,
    /// With no tables given: every non-system schema instead of the search
    /// path's. (Named tables are found wherever their name points.)
    pub all_schemas: bool,
    /// Rows sampled per `json`/`jsonb` column to infer its structure; 0
    /// turns sampling off.
    pub json_sample_size: u32,
}

impl SchemaRequest {
    /// A request for `tables` (empty: all) in the search path, sampling
    /// [`DEFAULT_JSON_SAMPLE_SIZE`] rows per JSON column.
    pub fn new(tables: Vec<TableName>) -> SchemaRequest {
        SchemaRequest {
            tables,
            all_schemas: false,
            json_sample_size: DEFAULT_JSON_SAMPLE_SIZE,
        }
    }
}

/// The answer: the tables found, the names that matched nothing, and
/// warnings (e.g. a JSON column that could not be sampled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaReport {
    /// Tables in the order asked for (or by schema and name for a listing),
    /// each once.
    pub tables: Vec<TableSchema>,
    /// Names that matched no table, with suggestions.
    pub missing: Vec<UnknownTable>,
    /// Things the user should know that did not stop the report.
    pub warnings: Vec<String>,
}

impl SchemaReport {
    /// `{"tables": [...], "missing": [{"table", "suggestions"}], "warnings": [...]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "tables": self.tables.iter().map(TableSchema::to_json).collect::<Vec<_>>(),
            "missing": self.missing.iter().map(UnknownTable::to_json).collect::<Vec<_>>(),
            "warnings": self.warnings,
        })
    }

    /// The `--json` document of `schema` (and MCP's `sql_schema`): the
    /// report with `success`, false when a named table was not found.
    pub fn document(&self) -> Value {
        let mut document = self.to_json();
        document["success"] = Value::Bool(self.missing.is_empty());
        document
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Resolve,
    Suggest,
    List,
    Describe,
    Sample,
    Done,
}

impl Stage {
    fn step(self) -> &'static str {
        match self {
            Stage::Resolve => "name resolution",
            Stage::Suggest | Stage::List => "table list",
            Stage::Describe => "table details",
            Stage::Sample => "JSON sampling",
            Stage::Done => "none",
        }
    }
}

#[derive(Debug, Clone)]
struct SampleJob {
    table: usize,
    column: String,
}

/// `sequelae schema` as a plan the runtime pumps.
///
/// ```
/// use sequelae_core::schema::{SchemaInspection, SchemaRequest, parse_table_names};
///
/// let tables = parse_table_names(&["users,app.\"My Table\"".to_owned()]).unwrap();
/// let mut inspection = SchemaInspection::new(SchemaRequest::new(tables));
/// let sql = inspection.next_query().unwrap();
/// assert!(sql.contains("'users'") && sql.contains("'My Table'"));
/// // The runtime runs `sql` and calls inspection.handle_rows(&rows) (or
/// // handle_error) and asks for the next query until there is none; then
/// // inspection.finish() gives the report.
/// ```
///
/// The queries, in order:
/// 1. names given: one name-resolution query; then, only if some name
///    matched nothing, one listing of every relation for suggestions.
///    No names: one listing of the relations in scope.
/// 2. one details query for all found relations (skipped when none).
/// 3. one sampling query per `json`/`jsonb` column of each table,
///    partitioned table and materialized view (views and foreign tables are
///    not sampled), unless sampling is off.
///
/// Run each query on its own with the simple query protocol, outside a
/// transaction block or in one that survives errors (a sampling query may
/// fail on a table the role cannot read; that is a warning, not an error).
#[derive(Debug, Clone)]
pub struct SchemaInspection {
    request: SchemaRequest,
    stage: Stage,
    awaiting: bool,
    failed: bool,
    /// Relations found, in report order.
    oids: Vec<u32>,
    /// Indexes into `request.tables` of names that matched nothing.
    unresolved: Vec<usize>,
    report: SchemaReport,
    samples: VecDeque<SampleJob>,
}

impl SchemaInspection {
    /// Plans the request; nothing is sent until [`next_query`](Self::next_query).
    pub fn new(request: SchemaRequest) -> SchemaInspection {
        let stage = if request.tables.is_empty() {
            Stage::List
        } else {
            Stage::Resolve
        };
        SchemaInspection {
            request,
            stage,
            awaiting: false,
            failed: false,
            oids: Vec::new(),
            unresolved: Vec::new(),
            report: SchemaReport::default(),
            samples: VecDeque::new(),
        }
    }

    /// The next query to run, or `None` when the report is complete (or
    /// the inspection failed). Asking again before feeding the result gives
    /// the same query.
    pub fn next_query(&mut self) -> Option<String> {
        if self.failed {
            return None;
        }
        let sql = match self.stage {
            Stage::Resolve => resolve_names_sql(&self.request.tables),
            Stage::Suggest => list_relations_sql(Scope::AllSchemas),
            Stage::List => list_relations_sql(if self.request.all_schemas {
                Scope::AllSchemas
            } else {
                Scope::SearchPath
            }),
            Stage::Describe => table_details_sql(&self.oids),
            Stage::Sample => {
                let job = self.samples.front()?;
                let table = &self.report.tables[job.table];
                sample_json_sql(
                    &table.schema,
                    &table.name,
                    &job.column,
                    self.request.json_sample_size,
                )
            }
            Stage::Done => return None,
        };
        self.awaiting = true;
        Some(sql)
    }

    /// True when [`finish`](Self::finish) will give the report.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done && !self.failed
    }

    /// Feeds the rows of the query [`next_query`](Self::next_query) gave
    /// (its only result set).
    pub fn handle_rows(&mut self, rows: &[DataRow]) -> Result<(), SchemaError> {
        if !self.awaiting || self.failed {
            return Err(SchemaError::OutOfOrder(
                "rows arrived without a pending query",
            ));
        }
        self.awaiting = false;
        let outcome = match self.stage {
            Stage::Resolve => self.handle_resolution(rows),
            Stage::Suggest => self.handle_suggestions(rows),
            Stage::List => self.handle_listing(rows),
            Stage::Describe => self.handle_details(rows),
            Stage::Sample => {
                self.handle_samples(rows);
                Ok(())
            }
            Stage::Done => Err(SchemaError::OutOfOrder("rows arrived after the last query")),
        };
        if outcome.is_err() {
            self.failed = true;
        }
        outcome
    }

    /// Reports that the query failed on the server with `message`. A failed
    /// JSON sample becomes a warning and the plan goes on; a failed catalog
    /// query ends it with [`SchemaError::CatalogQuery`].
    pub fn handle_error(&mut self, message: &str) -> Result<(), SchemaError> {
        if !self.awaiting || self.failed {
            return Err(SchemaError::OutOfOrder(
                "an error arrived without a pending query",
            ));
        }
        self.awaiting = false;
        if self.stage == Stage::Sample {
            if let Some(job) = self.samples.pop_front() {
                let table = &self.report.tables[job.table];
                self.report.warnings.push(format!(
                    "could not sample JSON column \"{}\" of \"{}.{}\": {message}",
                    job.column, table.schema, table.name
                ));
            }
            self.after_sample();
            return Ok(());
        }
        self.failed = true;
        Err(SchemaError::CatalogQuery {
            step: self.stage.step(),
            message: message.to_owned(),
        })
    }

    /// The report, once [`next_query`](Self::next_query) has returned `None`.
    pub fn finish(self) -> Result<SchemaReport, SchemaError> {
        if self.failed {
            return Err(SchemaError::OutOfOrder("finish after a failed query"));
        }
        if self.stage != Stage::Done {
            return Err(SchemaError::OutOfOrder("finish before the last query"));
        }
        Ok(self.report)
    }

    fn handle_resolution(&mut self, rows: &[DataRow]) -> Result<(), SchemaError> {
        let step = Stage::Resolve.step();
        let mut candidates: Vec<Vec<Relation>> = vec![Vec::new(); self.request.tables.len()];
        for row in rows {
            let request: usize = row
                .get_str(0)
                .and_then(|i| i.parse().ok())
                .filter(|&i| i < candidates.len())
                .ok_or(SchemaError::UnexpectedResult {
                    step,
                    detail: "request index missing or out of range".into(),
                })?;
            candidates[request].push(Relation::from_row(row, 1, step)?);
        }
        for (i, (name, found)) in self.request.tables.iter().zip(&candidates).enumerate() {
            match resolve(name, found) {
                Resolution::Found(relation) => {
                    if !self.oids.contains(&relation.oid) {
                        self.oids.push(relation.oid);
                    }
                }
                Resolution::Ambiguous(relations) => {
                    return Err(SchemaError::AmbiguousTable {
                        input: name.input().to_owned(),
                        candidates: relations
                            .iter()
                            .map(|r| qualified_name(&r.schema, &r.name, true))
                            .collect(),
                    });
                }
                Resolution::Unknown => self.unresolved.push(i),
            }
        }
        self.stage = if self.unresolved.is_empty() {
            self.describe_or_done()
        } else {
            Stage::Suggest
        };
        Ok(())
    }

    fn handle_suggestions(&mut self, rows: &[DataRow]) -> Result<(), SchemaError> {
        let relations = rows
            .iter()
            .map(|row| Relation::from_row(row, 0, Stage::Suggest.step()))
            .collect::<Result<Vec<_>, _>>()?;
        for &i in &self.unresolved {
            let name = &self.request.tables[i];
            self.report.missing.push(UnknownTable {
                input: name.input().to_owned(),
                suggestions: suggest(name, &relations).into_iter().cloned().collect(),
            });
        }
        self.stage = self.describe_or_done();
        Ok(())
    }

    fn handle_listing(&mut self, rows: &[DataRow]) -> Result<(), SchemaError> {
        for row in rows {
            let relation = Relation::from_row(row, 0, Stage::List.step())?;
            self.oids.push(relation.oid);
        }
        self.stage = self.describe_or_done();
        Ok(())
    }

    fn describe_or_done(&self) -> Stage {
        if self.oids.is_empty() {
            Stage::Done
        } else {
            Stage::Describe
        }
    }

    fn handle_details(&mut self, rows: &[DataRow]) -> Result<(), SchemaError> {
        let mut described = rows
            .iter()
            .map(TableSchema::from_details_row)
            .collect::<Result<Vec<_>, _>>()?;
        for oid in &self.oids {
            match described.iter().position(|t| t.oid == *oid) {
                Some(at) => self.report.tables.push(described.swap_remove(at)),
                None => self.report.warnings.push(format!(
                    "relation {oid} was dropped while its schema was being read"
                )),
            }
        }
        if self.request.json_sample_size > 0 {
            for (index, table) in self.report.tables.iter().enumerate() {
                if !table.kind.is_sampled() {
                    continue;
                }
                for column in table.columns.iter().filter(|c| c.is_json()) {
                    self.samples.push_back(SampleJob {
                        table: index,
                        column: column.name.clone(),
                    });
                }
            }
        }
        self.after_sample();
        Ok(())
    }

    fn handle_samples(&mut self, rows: &[DataRow]) {
        let Some(job) = self.samples.pop_front() else {
            return;
        };
        let structure = infer_json_structure(rows.iter().filter_map(|r| r.get_str(0)));
        let table = &mut self.report.tables[job.table];
        if structure.unparsed > 0 {
            self.report.warnings.push(format!(
                "{} sampled values of \"{}.{}\".\"{}\" could not be read as JSON and were left out",
                structure.unparsed, table.schema, table.name, job.column
            ));
        }
        table.json_structure.push((job.column, structure));
        self.after_sample();
    }

    fn after_sample(&mut self) {
        self.stage = if self.samples.is_empty() {
            Stage::Done
        } else {
            Stage::Sample
        };
    }
}
