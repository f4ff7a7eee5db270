//! The native dump as a plan the runtime pumps.

use std::collections::VecDeque;

use super::NativeOptions;
use super::catalog_sql as sql;
use super::error::NativeError;
use super::model::{Catalog, UnsupportedObject};
use super::plan::{self, qualified};
use crate::backup::QualifiedName;
use crate::wire::DataRow;

/// What the runtime does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Run `sql` on the snapshot session and answer with
    /// [`NativeDump::handle_rows`] (the rows of its only result, none for
    /// a command) or [`NativeDump::handle_error`].
    Query {
        /// One statement.
        sql: String,
    },
    /// Append these bytes to the output.
    Write(Vec<u8>),
    /// Run `sql` (a `COPY ... TO STDOUT`) and stream its data straight
    /// into the output, then call [`NativeDump::handle_copy_done`] (or
    /// [`NativeDump::handle_error`]). The `COPY ... FROM stdin;` line
    /// before and the `\.` after come as [`Step::Write`]s.
    Copy {
        /// The table whose rows these are.
        table: QualifiedName,
        /// The statement to run.
        sql: String,
    },
    /// Copy every table's data, each into a block of its own (the
    /// `header`, the rows, `\\.`), in any order and in parallel, then call
    /// [`NativeDump::handle_copy_done`] with the rows of all (or
    /// [`NativeDump::handle_error`]). Only after
    /// [`NativeDump::copy_tables_together`].
    CopyTables {
        /// The tables, in the dump's order.
        tables: Vec<TableCopy>,
    },
    /// Nothing left: call [`NativeDump::finish`].
    Done,
}

/// One table's data block, for a worker session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: QualifiedName,
    /// `COPY s.t (cols) FROM stdin;` and its newline.
    pub header: String,
    /// `COPY s.t (cols) TO STDOUT`.
    pub sql: String,
    /// `s.t`, quoted.
    pub relation: String,
    /// The copied columns, quoted and comma-separated, when known: then
    /// the table can be read in parts (`COPY (SELECT cols FROM ONLY s.t
    /// WHERE ...) TO STDOUT`).
    pub columns: Option<String>,
    /// Tables (indexes into the same list) all of whose rows must be in
    /// the output before this one's: those its foreign keys reference, in
    /// a `--data-only` dump.
    pub after: Vec<usize>,
}

/// What a finished dump says besides its output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NativeSummary {
    /// The snapshot the dump read, for workers that join it
    /// (`SET TRANSACTION SNAPSHOT`).
    pub snapshot: Option<String>,
    /// Objects the dump did not write: the caller must say so.
    pub unsupported: Vec<UnsupportedObject>,
    /// Other things the user should know (a dependency loop broken, a
    /// comment on an object not dumped).
    pub warnings: Vec<String>,
    /// Tables whose data was copied.
    pub tables: u64,
    /// Rows copied, as the runtime counted them.
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Setup,
    Snapshot,
    Relations,
    Lock,
    Schemas,
    Inherits,
    Columns,
    Sequences,
    SequenceValues,
    Types,
    EnumLabels,
    Functions,
    Constraints,
    Indexes,
    Triggers,
    Rules,
    Policies,
    Extensions,
    ExtensionConfig,
    ExtensionSequenceValues,
    Statistics,
    LargeObjects,
    Dependencies,
    Comments,
    Privileges,
    Assembled,
    Unsupported,
    Commit,
}

impl Stage {
    fn doing(self) -> &'static str {
        match self {
            Stage::Setup => "setting up the session",
            Stage::Snapshot => "exporting the snapshot",
            Stage::Relations => "listing relations",
            Stage::Lock => "locking the tables",
            Stage::Schemas => "reading schemas",
            Stage::Inherits => "reading inheritance",
            Stage::Columns => "reading columns",
            Stage::Sequences => "reading sequences",
            Stage::SequenceValues => "reading sequence values",
            Stage::Types => "reading types",
            Stage::EnumLabels => "reading enum labels",
            Stage::Functions => "reading functions",
            Stage::Constraints => "reading constraints",
            Stage::Indexes => "reading indexes",
            Stage::Triggers => "reading triggers",
            Stage::Rules => "reading rules",
            Stage::Policies => "reading policies",
            Stage::Extensions => "reading extensions",
            Stage::ExtensionConfig => "reading extension configuration tables",
            Stage::ExtensionSequenceValues => "reading extension configuration sequences",
            Stage::Statistics => "reading statistics objects",
            Stage::LargeObjects => "reading large objects",
            Stage::Dependencies => "reading dependencies",
            Stage::Comments => "reading comments",
            Stage::Privileges => "reading privileges",
            Stage::Assembled => "reading other objects",
            Stage::Unsupported => "finding unsupported objects",
            Stage::Commit => "ending the snapshot transaction",
        }
    }
}

#[derive(Debug, Clone)]
enum Planned {
    Query(Stage, String),
    Write(Vec<u8>),
    Copy(QualifiedName, String),
    CopyTables(Vec<TableCopy>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Query(Stage),
    Copy,
}

/// Tables per `LOCK TABLE` statement.
const LOCK_BATCH: usize = 100;

/// A plain-SQL dump of one database, without I/O, pumped like
/// [`SchemaInspection`](crate::schema::SchemaInspection): ask
/// [`next_step`](Self::next_step), do it, answer, until [`Step::Done`];
/// then [`finish`](Self::finish).
///
/// The order is pg_dump's: the session setup and snapshot, `LOCK TABLE`
/// on every table in batches, the catalog queries, then the output: the
/// header, pre-data (schemas, types, functions, sequences, tables, views,
/// in dependency order), data (a COPY block per table, then the sequence
/// values) and post-data (constraints, indexes, foreign keys, triggers,
/// rules, policies, materialized view refreshes), and `COMMIT`.
///
/// Table data never passes through the dump: a [`Step::Copy`] is
/// streamed by the runtime from the socket to the output.
#[derive(Debug, Clone)]
pub struct NativeDump {
    options: NativeOptions,
    server_version_num: u32,
    queue: VecDeque<Planned>,
    pending: Pending,
    current: Option<Step>,
    failed: Option<NativeError>,
    catalog: Catalog,
    summary: NativeSummary,
    snapshot_time: Option<String>,
    /// The session may read subscriptions' connection strings.
    superuser: bool,
    /// The table data comes as one [`Step::CopyTables`].
    together: bool,
}

/// The statements that make the session read one consistent snapshot,
/// with the settings pg_dump uses (so that deparsed text qualifies every
/// name, dates read back, floats keep every digit).
pub fn session_setup() -> Vec<&'static str> {
    vec![
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "SELECT pg_catalog.set_config('search_path', '', false)",
        "SET DateStyle = ISO",
        "SET IntervalStyle = postgres",
        "SET extra_float_digits = 3",
        "SET statement_timeout = 0",
        "SET lock_timeout = 0",
        "SET idle_in_transaction_session_timeout = 0",
        "SET row_security = off",
    ]
}

/// The statements that put a worker session on the leader's snapshot
/// (`snapshot` from [`NativeSummary::snapshot`]), with the same settings,
/// so that parallel COPYs read the same moment.
pub fn worker_setup(snapshot: &str) -> Vec<String> {
    let mut statements: Vec<String> = session_setup().into_iter().map(str::to_string).collect();
    statements.insert(
        1,
        format!(
            "SET TRANSACTION SNAPSHOT {}",
            crate::backup::quote_literal(snapshot)
        ),
    );
    statements
}

impl NativeDump {
    /// Plans a dump of a server whose `server_version_num` is given.
    ///
    /// # Errors
    ///
    /// [`NativeError::UnsupportedServer`] outside PostgreSQL 13 to 18.
    pub fn new(options: NativeOptions, server_version_num: u32) -> Result<NativeDump, NativeError> {
        if !(130_000..190_000).contains(&server_version_num) {
            return Err(NativeError::UnsupportedServer {
                version: server_version_num,
            });
        }
        let mut queue: VecDeque<Planned> = session_setup()
            .into_iter()
            .map(|s| Planned::Query(Stage::Setup, s.to_string()))
            .collect();
        queue.push_back(Planned::Query(
            Stage::Snapshot,
            "SELECT pg_catalog.pg_export_snapshot(), pg_catalog.now()::pg_catalog.text, \
             pg_catalog.current_setting('is_superuser')"
                .to_string(),
        ));
        queue.push_back(Planned::Query(Stage::Relations, sql::relations()));
        Ok(NativeDump {
            options,
            server_version_num,
            queue,
            pending: Pending::None,
            current: None,
            failed: None,
            catalog: Catalog::default(),
            summary: NativeSummary::default(),
            snapshot_time: None,
            superuser: false,
            together: false,
        })
    }

    /// Asks for the table data as one [`Step::CopyTables`] (for workers
    /// on the snapshot) instead of a [`Step::Copy`] per table.
    pub fn copy_tables_together(&mut self) {
        self.together = true;
    }

    /// The next thing to do. Asking again before answering a query or
    /// copy gives the same step.
    pub fn next_step(&mut self) -> Step {
        if self.failed.is_some() {
            return Step::Done;
        }
        if self.pending != Pending::None {
            if let Some(step) = &self.current {
                return step.clone();
            }
        }
        let step = match self.queue.pop_front() {
            None => Step::Done,
            Some(Planned::Write(bytes)) => Step::Write(bytes),
            Some(Planned::Query(stage, sql)) => {
                self.pending = Pending::Query(stage);
                Step::Query { sql }
            }
            Some(Planned::Copy(table, sql)) => {
                self.pending = Pending::Copy;
                Step::Copy { table, sql }
            }
            Some(Planned::CopyTables(tables)) => {
                self.pending = Pending::Copy;
                Step::CopyTables { tables }
            }
        };
        self.current = Some(step.clone());
        step
    }

    /// The rows of the query of the last [`Step::Query`].
    ///
    /// # Errors
    ///
    /// A row of the wrong shape, or rows nobody asked for; the dump is
    /// then over.
    pub fn handle_rows(&mut self, rows: Vec<DataRow>) -> Result<(), NativeError> {
        let Pending::Query(stage) = self.pending else {
            return Err(self.fail(NativeError::OutOfOrder(
                "rows arrived without a pending query",
            )));
        };
        self.pending = Pending::None;
        self.current = None;
        let outcome = self.take_rows(stage, &rows);
        outcome.map_err(|e| self.fail(e))
    }

    /// The COPY of the last [`Step::Copy`] completed with `rows` rows.
    ///
    /// # Errors
    ///
    /// When no COPY was pending.
    pub fn handle_copy_done(&mut self, rows: u64) -> Result<(), NativeError> {
        if self.pending != Pending::Copy {
            return Err(self.fail(NativeError::OutOfOrder(
                "a COPY ended without a pending COPY",
            )));
        }
        self.pending = Pending::None;
        // Large objects come through a COPY of their own; they are not a table.
        match self.current.take() {
            Some(Step::Copy { table, .. }) if table.schema != "pg_catalog" => {
                self.summary.tables += 1;
                self.summary.rows += rows;
            }
            Some(Step::CopyTables { tables }) => {
                self.summary.tables += tables.len() as u64;
                self.summary.rows += rows;
            }
            _ => {}
        }
        Ok(())
    }

    /// The last query or COPY failed on the server with `message`: the
    /// dump is over and [`finish`](Self::finish) returns the error.
    pub fn handle_error(&mut self, message: &str) -> NativeError {
        if let (Pending::Query(Stage::Lock), Some(timeout_ms)) =
            (self.pending, self.options.lock_wait_timeout_ms)
        {
            self.pending = Pending::None;
            return self.fail(NativeError::LockTimeout {
                timeout_ms,
                message: message.to_string(),
            });
        }
        let step = match self.pending {
            Pending::Query(stage) => stage.doing(),
            Pending::Copy => "copying table data",
            Pending::None => "between steps",
        };
        self.pending = Pending::None;
        self.fail(NativeError::Server {
            step,
            message: message.to_string(),
        })
    }

    /// The snapshot the dump reads, once exported: for workers that
    /// join it.
    pub fn snapshot(&self) -> Option<&str> {
        self.summary.snapshot.as_deref()
    }

    /// The objects this dump will not write, known once the catalog is
    /// read (before the first [`Step::Write`]).
    pub fn unsupported(&self) -> &[UnsupportedObject] {
        &self.summary.unsupported
    }

    fn fail(&mut self, error: NativeError) -> NativeError {
        self.failed.get_or_insert(error).clone()
    }

    /// What the dump found besides its output, once [`Step::Done`] came.
    ///
    /// # Errors
    ///
    /// The error that ended the dump, or [`NativeError::OutOfOrder`] when
    /// steps are left.
    pub fn finish(self) -> Result<NativeSummary, NativeError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        if self.pending != Pending::None || !self.queue.is_empty() {
            return Err(NativeError::OutOfOrder("finish before the last step"));
        }
        Ok(self.summary)
    }

    fn take_rows(&mut self, stage: Stage, rows: &[DataRow]) -> Result<(), NativeError> {
        let c = &mut self.catalog;
        match stage {
            Stage::Setup | Stage::Lock | Stage::Commit => {}
            Stage::Snapshot => {
                if let Some(row) = rows.first() {
                    let r = super::row::Row::new(row, "exporting the snapshot");
                    self.summary.snapshot = r.opt_string(0)?;
                    self.snapshot_time = r.opt_string(1)?;
                    self.superuser = r.opt(2)? == Some("on");
                }
            }
            Stage::Relations => {
                c.read_relations(rows)?;
                self.plan_catalog_queries();
            }
            Stage::Schemas => c.read_schemas(rows)?,
            Stage::Inherits => c.read_inherits(rows)?,
            Stage::Columns => c.read_columns(rows)?,
            Stage::Sequences => {
                c.read_sequences(rows)?;
                let list: Vec<(u32, String)> = c
                    .sequences
                    .iter()
                    .map(|s| (s.oid, qualified(&s.schema, &s.name)))
                    .collect();
                if !self.options.schema_only {
                    if let Some(query) = sql::sequence_values(&list) {
                        self.queue
                            .push_front(Planned::Query(Stage::SequenceValues, query));
                    }
                }
            }
            Stage::SequenceValues => c.read_sequence_values(rows)?,
            Stage::Types => c.read_types(rows)?,
            Stage::EnumLabels => c.read_enum_labels(rows)?,
            Stage::Functions => c.read_functions(rows)?,
            Stage::Constraints => c.read_constraints(rows)?,
            Stage::Indexes => c.read_indexes(rows)?,
            Stage::Triggers => c.read_triggers(rows)?,
            Stage::Rules => c.read_rules(rows)?,
            Stage::Policies => c.read_policies(rows)?,
            Stage::Extensions => c.read_extensions(rows)?,
            Stage::ExtensionConfig => {
                c.read_extension_config(rows)?;
                let list: Vec<(u32, String)> = c
                    .extension_config
                    .iter()
                    .filter(|r| r.kind == 'S')
                    .map(|r| (r.oid, qualified(&r.schema, &r.name)))
                    .collect();
                if !self.options.schema_only {
                    if let Some(query) = sql::sequence_values(&list) {
                        self.queue
                            .push_front(Planned::Query(Stage::ExtensionSequenceValues, query));
                    }
                }
            }
            Stage::ExtensionSequenceValues => c.read_sequence_values(rows)?,
            Stage::Statistics => c.read_statistics(rows)?,
            Stage::LargeObjects => c.read_large_objects(rows)?,
            Stage::Dependencies => c.read_dependencies(rows)?,
            Stage::Comments => c.read_comments(rows)?,
            Stage::Privileges => c.read_privileges(rows)?,
            Stage::Assembled => c.read_assembled(rows)?,
            Stage::Unsupported => {
                c.read_unsupported(rows)?;
                self.plan_output();
            }
        }
        Ok(())
    }

    /// After the relation list: the locks, then the rest of the catalog.
    fn plan_catalog_queries(&mut self) {
        let tables: Vec<String> = self
            .catalog
            .relations
            .iter()
            .filter(|r| matches!(r.kind, 'r' | 'p'))
            .filter(|r| self.options.selection.relation(&r.schema, &r.name))
            .map(|r| qualified(&r.schema, &r.name))
            .collect();
        let timeout = self
            .options
            .lock_wait_timeout_ms
            .filter(|_| !tables.is_empty());
        if let Some(ms) = timeout {
            self.queue.push_back(Planned::Query(
                Stage::Setup,
                format!("SET lock_timeout = '{ms}ms'"),
            ));
        }
        for batch in tables.chunks(LOCK_BATCH) {
            self.queue.push_back(Planned::Query(
                Stage::Lock,
                format!("LOCK TABLE {} IN ACCESS SHARE MODE", batch.join(", ")),
            ));
        }
        if timeout.is_some() {
            self.queue.push_back(Planned::Query(
                Stage::Setup,
                "SET lock_timeout = 0".to_string(),
            ));
        }
        let v = self.server_version_num;
        for (stage, query) in [
            (Stage::Schemas, sql::schemas()),
            (Stage::Inherits, sql::inherits()),
            (Stage::Columns, sql::columns(v)),
            (Stage::Sequences, sql::sequences()),
            (Stage::Types, sql::types()),
            (Stage::EnumLabels, sql::enum_labels()),
            (Stage::Functions, sql::functions()),
            (Stage::Constraints, sql::constraints()),
            (Stage::Indexes, sql::indexes()),
            (Stage::Triggers, sql::triggers()),
            (Stage::Rules, sql::rules()),
            (Stage::Policies, sql::policies()),
            (Stage::Extensions, sql::extensions()),
            (Stage::ExtensionConfig, sql::extension_config()),
            (Stage::Statistics, sql::statistics(v)),
            (Stage::LargeObjects, sql::large_objects()),
            (Stage::Dependencies, sql::dependencies(v)),
            (Stage::Comments, sql::comments()),
            (Stage::Privileges, sql::privileges()),
            (
                Stage::Assembled,
                super::objects_sql::other_objects(v, self.superuser),
            ),
            (Stage::Unsupported, sql::unsupported(self.superuser)),
        ] {
            self.queue.push_back(Planned::Query(stage, query));
        }
    }

    /// After the last catalog query: the whole output as steps.
    fn plan_output(&mut self) {
        let plan = plan::build(&self.catalog, &self.options);
        self.summary.warnings = plan.warnings.clone();
        self.summary.unsupported = plan.unsupported.clone();
        let header = super::header::header(
            self.server_version_num,
            self.snapshot_time.as_deref(),
            &self.summary.unsupported,
        );
        self.queue.push_back(Planned::Write(header.into_bytes()));
        let write_section = |queue: &mut VecDeque<Planned>, entries: &[plan::Entry]| {
            for entry in entries {
                queue.push_back(Planned::Write(format!("\n{}", entry.sql).into_bytes()));
            }
        };
        if !self.options.data_only {
            write_section(&mut self.queue, &plan.pre_data);
        }
        if !self.options.schema_only {
            // pg_dump's --disable-triggers: each table's triggers are off
            // while its rows go in (all tables' while parallel parts go in,
            // in the order they finish).
            let triggers_off = self.options.disable_triggers && self.options.data_only;
            let toggle = |name: &str, how: &str| {
                Planned::Write(format!("\nALTER TABLE {name} {how} TRIGGER ALL;\n").into_bytes())
            };
            if self.together && !plan.data.is_empty() {
                if triggers_off {
                    for t in &plan.data {
                        let name = qualified(&t.table.schema, &t.table.name);
                        self.queue.push_back(toggle(&name, "DISABLE"));
                    }
                }
                let enable: Vec<Planned> = if triggers_off {
                    plan.data
                        .iter()
                        .map(|t| toggle(&qualified(&t.table.schema, &t.table.name), "ENABLE"))
                        .collect()
                } else {
                    Vec::new()
                };
                let tables = plan.data.into_iter().map(|t| {
                    let relation = qualified(&t.table.schema, &t.table.name);
                    TableCopy {
                        table: t.table,
                        header: format!("\n{}", t.header),
                        sql: t.copy_out,
                        relation,
                        columns: t.columns,
                        after: t.after,
                    }
                });
                self.queue.push_back(Planned::CopyTables(tables.collect()));
                self.queue.extend(enable);
            } else {
                for table in plan.data {
                    let name = qualified(&table.table.schema, &table.table.name);
                    if triggers_off {
                        self.queue.push_back(toggle(&name, "DISABLE"));
                    }
                    self.queue
                        .push_back(Planned::Write(format!("\n{}", table.header).into_bytes()));
                    self.queue
                        .push_back(Planned::Copy(table.table, table.copy_out));
                    self.queue.push_back(Planned::Write(b"\\.\n".to_vec()));
                    if triggers_off {
                        self.queue.push_back(toggle(&name, "ENABLE"));
                    }
                }
            }
            if plan.large_objects && !self.catalog.large_objects.is_empty() {
                self.queue.push_back(Planned::Write(b"\n".to_vec()));
                self.queue.push_back(Planned::Copy(
                    QualifiedName {
                        schema: "pg_catalog".to_string(),
                        name: "pg_largeobject".to_string(),
                    },
                    sql::large_object_data(),
                ));
            }
            if !plan.sequence_values.is_empty() {
                self.queue.push_back(Planned::Write(
                    format!("\n{}", plan.sequence_values.concat()).into_bytes(),
                ));
            }
        }
        if !self.options.data_only {
            write_section(&mut self.queue, &plan.post_data);
        }
        // Materialized views are filled last, as pg_dump does (they may
        // read any table), and only where there is data.
        if !self.options.schema_only {
            write_section(&mut self.queue, &plan.refresh);
        }
        if !self.options.data_only {
            write_section(&mut self.queue, &plan.last);
        }
        self.queue
            .push_back(Planned::Write(b"\n--\n-- end of dump\n--\n".to_vec()));
        self.queue
            .push_back(Planned::Query(Stage::Commit, "COMMIT".to_string()));
    }
}
