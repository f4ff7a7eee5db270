//! The five tools: names and parameters as the original sequelae-mcp had
//! them (so its users' prompts keep working), each declared once here and
//! turned into the `inputSchema` clients see and the check the server
//! applies to a call's arguments.

use serde_json::{Map, Value, json};

use crate::protocol::Shape;

/// What a parameter takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Text,
    Flag,
    /// An integer in a range.
    Integer {
        min: i64,
        max: i64,
    },
    /// A string or an array of strings (table or schema names).
    Names,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// `true`/`false`, or a gzip level 0-9.
    Compression,
}

/// One parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) description: &'static str,
}

/// One tool.
#[derive(Debug)]
pub(crate) struct Tool {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) description: &'static str,
    pub(crate) params: &'static [Param],
    pub(crate) required: &'static [&'static str],
}

/// The default row cap of sql_exec and sql_file: enough to see what a
/// query returns, small enough for a model's context.
pub(crate) const DEFAULT_MAX_ROWS: u64 = 1000;

const MAX_TIMEOUT_MS: i64 = 24 * 60 * 60 * 1000;

const SCRIPT_PARAMS: [Param; 5] = [
    Param {
        name: "json",
        kind: Kind::Flag,
        description: "Kept for compatibility with sequelae-mcp: results are always JSON \
                      (structuredContent and the same JSON as text).",
    },
    Param {
        name: "transaction",
        kind: Kind::Flag,
        description: "Run all statements in one transaction that commits only if every one \
                      succeeds (default true).",
    },
    Param {
        name: "timeout",
        kind: Kind::Integer {
            min: 1,
            max: MAX_TIMEOUT_MS,
        },
        description: "Cancel a statement that runs longer than this many milliseconds \
                      (this call only).",
    },
    Param {
        name: "maxRows",
        kind: Kind::Integer {
            min: 1,
            max: i64::MAX,
        },
        description: "Rows returned per result set (default 1000); past it the result says \
                      truncated: true and how many rows there were.",
    },
    Param {
        name: "readOnly",
        kind: Kind::Flag,
        description: "Run in a READ ONLY transaction: the database refuses writes.",
    },
];

const EXEC_PARAMS: [Param; 6] = [
    Param {
        name: "query",
        kind: Kind::Text,
        description: "SQL: one statement or several separated by semicolons.",
    },
    SCRIPT_PARAMS[0],
    SCRIPT_PARAMS[1],
    SCRIPT_PARAMS[2],
    SCRIPT_PARAMS[3],
    SCRIPT_PARAMS[4],
];

const FILE_PARAMS: [Param; 6] = [
    Param {
        name: "filepath",
        kind: Kind::Text,
        description: "Path of the SQL file, inside the server's working directory (or \
                      SEQUELAE_SQL_ROOT).",
    },
    SCRIPT_PARAMS[0],
    SCRIPT_PARAMS[1],
    SCRIPT_PARAMS[2],
    SCRIPT_PARAMS[3],
    SCRIPT_PARAMS[4],
];

/// Every tool, in the order `tools/list` gives them.
pub(crate) const TOOLS: [Tool; 5] = [
    Tool {
        name: "sql_exec",
        title: "Run SQL",
        description: "Run SQL against the PostgreSQL database and return typed rows as JSON. \
                      Several statements run in one transaction by default. Rows are capped \
                      (maxRows, default 1000): aggregate or page larger results.",
        params: &EXEC_PARAMS,
        required: &["query"],
    },
    Tool {
        name: "sql_file",
        title: "Run a SQL file",
        description: "Run a SQL file from the server's working directory (or SEQUELAE_SQL_ROOT), \
                      statement by statement, and return every result as JSON.",
        params: &FILE_PARAMS,
        required: &["filepath"],
    },
    Tool {
        name: "sql_schema",
        title: "Describe tables",
        description: "Describe tables: columns, types, keys, indexes, constraints, and the \
                      structure found in json/jsonb columns. Without tables: every table in the \
                      search path.",
        params: &[
            Param {
                name: "tables",
                kind: Kind::Names,
                description: "Tables to describe: names as in SQL (users, app.users, \
                              \"MixedCase\"), as an array or comma-separated.",
            },
            Param {
                name: "allSchemas",
                kind: Kind::Flag,
                description: "Without tables: every non-system schema, not only the search path.",
            },
        ],
        required: &[],
    },
    Tool {
        name: "sql_health",
        title: "Check the database",
        description: "Check the server: reachable, version, latency, size, uptime, connections, \
                      and whether anything is wrong.",
        params: &[
            Param {
                name: "includeVersion",
                kind: Kind::Flag,
                description: "Include the server version (default true).",
            },
            Param {
                name: "includeConnectionInfo",
                kind: Kind::Flag,
                description: "Include database, user and connection counts (default true).",
            },
        ],
        required: &[],
    },
    Tool {
        name: "sql_backup",
        title: "Back up the database",
        description: "Take a consistent backup with pg_dump, or natively when pg_dump is missing \
                      or cannot dump this server, written atomically inside the backup folder \
                      (SEQUELAE_BACKUP_DIR, default ./backups). Sends progress per table.",
        params: &[
            Param {
                name: "format",
                kind: Kind::OneOf(&["plain", "custom", "directory", "tar"]),
                description: "plain SQL (default), or custom, directory, tar for pg_restore.",
            },
            Param {
                name: "tables",
                kind: Kind::Names,
                description: "Only these tables: [schema.]name, exact, as an array or \
                              comma-separated.",
            },
            Param {
                name: "schemas",
                kind: Kind::Names,
                description: "Only these schemas, as an array or comma-separated.",
            },
            Param {
                name: "dataOnly",
                kind: Kind::Flag,
                description: "Rows only, no definitions.",
            },
            Param {
                name: "schemaOnly",
                kind: Kind::Flag,
                description: "Definitions only, no rows.",
            },
            Param {
                name: "compress",
                kind: Kind::Compression,
                description: "Compress with gzip: true (level 6), false, or a level 0-9.",
            },
            Param {
                name: "outputPath",
                kind: Kind::Text,
                description: "File (or directory) name relative to the backup folder; default \
                              backup_<UTC time>.<ext>.",
            },
            Param {
                name: "usePgDump",
                kind: Kind::Flag,
                description: "true: pg_dump only; false: the native method only; absent: \
                              pg_dump, falling back to native.",
            },
            Param {
                name: "jobs",
                kind: Kind::Integer { min: 1, max: 64 },
                description: "Tables dumped at once (directory format only).",
            },
            Param {
                name: "overwrite",
                kind: Kind::Flag,
                description: "Replace an existing file of that name (default false: refused).",
            },
        ],
        required: &[],
    },
];

/// The tool named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

fn param_schema(param: &Param) -> Value {
    let mut schema = match param.kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Flag => json!({"type": "boolean"}),
        Kind::Integer { min, max } => {
            let mut s = json!({"type": "integer", "minimum": min});
            if max != i64::MAX {
                s["maximum"] = json!(max);
            }
            s
        }
        Kind::Names => json!({"anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}}
        ]}),
        Kind::OneOf(values) => json!({"type": "string", "enum": values}),
        Kind::Compression => json!({"anyOf": [
            {"type": "boolean"},
            {"type": "integer", "minimum": 0, "maximum": 9}
        ]}),
    };
    schema["description"] = json!(param.description);
    schema
}

impl Tool {
    /// The `inputSchema`: every parameter, the required ones, nothing else.
    pub(crate) fn input_schema(&self) -> Value {
        let properties: Map<String, Value> = self
            .params
            .iter()
            .map(|p| (p.name.to_string(), param_schema(p)))
            .collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": self.required,
            "additionalProperties": false,
        })
    }

    /// The `outputSchema`: the CLI's JSON document for the command.
    pub(crate) fn output_schema(&self) -> Value {
        match self.name {
            "sql_exec" | "sql_file" => script_output_schema(),
            "sql_schema" => json!({
                "type": "object",
                "properties": {
                    "success": {"type": "boolean"},
                    "tables": {"type": "array", "items": {"type": "object"}},
                    "missing": {"type": "array", "items": {"type": "object"}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["success", "tables"],
            }),
            "sql_health" => json!({
                "type": "object",
                "properties": {
                    "success": {"type": "boolean"},
                    "healthy": {"type": "boolean"},
                    "problems": {"type": "array", "items": {"type": "string"}},
                    "version": {"type": "string"},
                    "versionNum": {"type": "integer"},
                    "database": {"type": "string"},
                    "user": {"type": "string"},
                    "sizeBytes": {"type": "integer"},
                    "size": {"type": "string"},
                    "uptimeSeconds": {"type": "integer"},
                    "inRecovery": {"type": "boolean"},
                    "activeConnections": {"type": "integer"},
                    "totalConnections": {"type": "integer"},
                    "maxConnections": {"type": "integer"},
                    "connectLatencyMs": {"type": "number"},
                    "queryLatencyMs": {"type": "number"},
                },
                "required": ["success", "healthy", "problems"],
            }),
            _ => json!({
                "type": "object",
                "properties": {
                    "success": {"type": "boolean"},
                    "method": {"type": ["string", "null"], "enum": ["pg_dump", "native", null]},
                    "pgDumpVersion": {"type": ["string", "null"]},
                    "format": {"type": "string"},
                    "outputPath": {"type": ["string", "null"]},
                    "size": {"type": ["integer", "null"]},
                    "tables": {"type": ["integer", "null"]},
                    "rows": {"type": ["integer", "null"]},
                    "duration": {"type": "integer"},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "fallbackReasons": {"type": "array", "items": {"type": "string"}},
                    "error": {"type": ["string", "null"]},
                    "errorKind": {"type": ["string", "null"]},
                },
                "required": ["success", "method", "format", "outputPath", "duration"],
            }),
        }
    }

    /// What the tool does to the world, truthfully for this server's mode.
    pub(crate) fn annotations(&self, read_only: bool) -> Value {
        let (read, destructive, idempotent) = match self.name {
            // Any SQL may write, unless the server holds every call read-only.
            "sql_exec" | "sql_file" => (read_only, !read_only, read_only),
            "sql_schema" | "sql_health" => (true, false, true),
            // Writes a new file; with overwrite it replaces one.
            _ => (false, true, false),
        };
        json!({
            "title": self.title,
            "readOnlyHint": read,
            "destructiveHint": destructive,
            "idempotentHint": idempotent,
            "openWorldHint": false,
        })
    }

    /// The `tools/list` entry.
    pub(crate) fn definition(&self, read_only: bool, shape: Shape) -> Value {
        let mut description = self.description.to_string();
        if read_only && matches!(self.name, "sql_exec" | "sql_file") {
            description.push_str(" This server is read-only: the database refuses writes.");
        }
        let mut definition = json!({
            "name": self.name,
            "description": description,
            "inputSchema": self.input_schema(),
        });
        if shape.annotations {
            definition["annotations"] = self.annotations(read_only);
        }
        if shape.structured {
            definition["title"] = json!(self.title);
            definition["outputSchema"] = self.output_schema();
        }
        definition
    }

    /// Checks `arguments` against the input schema; the message names the
    /// argument and says what it takes. An integer written with a zero
    /// fraction (`5.0`) is an integer to JSON Schema 2020-12, so it is
    /// accepted and rewritten as one for the work that reads it.
    pub(crate) fn check(&self, arguments: &mut Map<String, Value>) -> Result<(), String> {
        for name in self.required {
            if !arguments.contains_key(*name) {
                return Err(format!("missing required argument \"{name}\""));
            }
        }
        for (name, value) in arguments.iter_mut() {
            let Some(param) = self.params.iter().find(|p| p.name == name) else {
                let known: Vec<&str> = self.params.iter().map(|p| p.name).collect();
                return Err(format!(
                    "unknown argument \"{name}\"; {} takes {}",
                    self.name,
                    known.join(", ")
                ));
            };
            let in_range = |min: i64, max: i64| {
                // i64::MAX stands for "no maximum" (the schema has none).
                let max = if max == i64::MAX {
                    i128::from(u64::MAX)
                } else {
                    i128::from(max)
                };
                integer(value).filter(|n| (i128::from(min)..=max).contains(n))
            };
            let ok = match param.kind {
                Kind::Text => value.is_string(),
                Kind::Flag => value.is_boolean(),
                Kind::Integer { min, max } => match in_range(min, max) {
                    Some(n) => {
                        *value = integer_value(n);
                        true
                    }
                    None => false,
                },
                Kind::Names => {
                    value.is_string()
                        || value
                            .as_array()
                            .is_some_and(|a| a.iter().all(Value::is_string))
                }
                Kind::OneOf(values) => value.as_str().is_some_and(|s| values.contains(&s)),
                Kind::Compression => {
                    if value.is_boolean() {
                        true
                    } else if let Some(n) = in_range(0, 9) {
                        *value = integer_value(n);
                        true
                    } else {
                        false
                    }
                }
            };
            if !ok {
                return Err(format!(
                    "argument \"{name}\" must be {}; got {value}",
                    expected(param.kind)
                ));
            }
        }
        Ok(())
    }
}

/// The integer a JSON number stands for, as JSON Schema 2020-12 counts
/// integers: any number with a zero fractional part.
fn integer(value: &Value) -> Option<i128> {
    if let Some(n) = value.as_i64() {
        return Some(i128::from(n));
    }
    if let Some(n) = value.as_u64() {
        return Some(i128::from(n));
    }
    let f = value.as_f64()?;
    // Beyond 2^64 no parameter's range reaches, and the cast would saturate.
    (f.fract() == 0.0 && f.abs() < 18_446_744_073_709_551_616.0).then_some(f as i128)
}

fn integer_value(n: i128) -> Value {
    match (i64::try_from(n), u64::try_from(n)) {
        (Ok(n), _) => Value::from(n),
        (_, Ok(n)) => Value::from(n),
        // Out of both ranges: refused by every parameter's range before this.
        _ => Value::Null,
    }
}

fn expected(kind: Kind) -> String {
    match kind {
        Kind::Text => "a string".into(),
        Kind::Flag => "true or false".into(),
        Kind::Integer { min, max } if max == i64::MAX => format!("an integer, {min} or more"),
        Kind::Integer { min, max } => format!("an integer from {min} to {max}"),
        Kind::Names => "a string or an array of strings".into(),
        Kind::OneOf(values) => format!("one of {}", values.join(", ")),
        Kind::Compression => "true, false or an integer from 0 to 9".into(),
    }
}

fn script_output_schema() -> Value {
    let columns = json!({"type": "array", "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "type": {"type": "string"}},
        "required": ["name", "type"],
    }});
    let statement = json!({
        "type": "object",
        "properties": {
            "columns": columns,
            "rows": {"type": "array", "items": {"type": "object"}},
            "command": {"type": ["string", "null"]},
            "rowCount": {"type": "integer"},
            "duration": {"type": "number"},
            "truncated": {"type": "boolean"},
            "rowsReturned": {"type": "integer"},
            "success": {"type": "boolean"},
        },
    });
    json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "columns": columns,
            "rows": {"type": "array", "items": {"type": "object"}},
            "command": {"type": ["string", "null"]},
            "rowCount": {"type": "integer"},
            "duration": {"type": "number"},
            "truncated": {"type": "boolean"},
            "rowsReturned": {"type": "integer"},
            "additionalResults": {"type": "array", "items": statement.clone()},
            "results": {"type": "array", "items": statement},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "hint": {"type": "string"},
            "error": {"type": "string"},
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "position": {"type": "integer"},
        },
        "required": ["success"],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_listed_in_a_fixed_order() {
        let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "sql_exec",
                "sql_file",
                "sql_schema",
                "sql_health",
                "sql_backup"
            ]
        );
    }

    #[test]
    fn argument_checks_name_the_argument() {
        let exec = find("sql_exec").expect("exists");
        let args = |v: Value| v.as_object().cloned().expect("object");
        assert!(exec.check(&mut args(json!({"query": "SELECT 1"}))).is_ok());
        let e = exec.check(&mut args(json!({}))).expect_err("missing");
        assert!(e.contains("\"query\""), "{e}");
        let e = exec
            .check(&mut args(json!({"query": "x", "maxRows": 0})))
            .expect_err("range");
        assert!(e.contains("\"maxRows\""), "{e}");
        let e = exec
            .check(&mut args(json!({"query": "x", "limit": 1})))
            .expect_err("unknown");
        assert!(e.contains("\"limit\""), "{e}");
        let backup = find("sql_backup").expect("exists");
        assert!(backup.check(&mut args(json!({"format": "zip"}))).is_err());
        assert!(
            backup
                .check(&mut args(json!({"compress": 9, "tables": ["a"]})))
                .is_ok()
        );
    }

    #[test]
    fn integers_are_what_json_schema_counts_as_integers() {
        let exec = find("sql_exec").expect("exists");
        let backup = find("sql_backup").expect("exists");
        let args = |v: Value| v.as_object().cloned().expect("object");
        let mut given = args(json!({"query": "x", "maxRows": 5.0, "timeout": 1e3}));
        assert!(exec.check(&mut given).is_ok());
        assert_eq!(given["maxRows"], json!(5), "rewritten as an integer");
        assert_eq!(given["timeout"], json!(1000));
        // No maximum in the schema: any unsigned 64-bit count is accepted.
        assert!(
            exec.check(&mut args(json!({"query": "x", "maxRows": u64::MAX})))
                .is_ok()
        );
        assert!(
            exec.check(&mut args(json!({"query": "x", "maxRows": 5.5})))
                .is_err()
        );
        let mut level = args(json!({"compress": 9.0}));
        assert!(backup.check(&mut level).is_ok());
        assert_eq!(level["compress"], json!(9));
        assert!(backup.check(&mut args(json!({"compress": 10.0}))).is_err());
    }
}
