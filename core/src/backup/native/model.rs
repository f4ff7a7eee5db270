//! The catalog as the native dump reads it: one struct per object kind,
//! each read from one row of its query in [`catalog_sql`](super::catalog_sql).

use std::collections::HashMap;

use super::error::NativeError;
use super::row::Row;
use crate::wire::DataRow;

/// A schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Schema {
    pub(crate) oid: u32,
    pub(crate) name: String,
    pub(crate) owner: String,
}

/// A table, view, materialized view, sequence or composite type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Relation {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) kind: char,
    pub(crate) owner: String,
    pub(crate) persistence: char,
    pub(crate) partition_bound: Option<String>,
    pub(crate) partition_key: Option<String>,
    pub(crate) view_definition: Option<String>,
    pub(crate) options: Option<String>,
    pub(crate) row_security: bool,
    pub(crate) force_row_security: bool,
    pub(crate) populated: bool,
    /// The composite type of a typed table (`CREATE TABLE ... OF`).
    pub(crate) of_type: Option<String>,
    /// A foreign table's server (quoted) and options.
    pub(crate) server: Option<String>,
    pub(crate) server_options: Option<String>,
    /// Its tablespace (quoted), when not the database's.
    pub(crate) tablespace: Option<String>,
    /// `relreplident`: `d` default, `n` nothing, `f` full, `i` an index.
    pub(crate) replica_identity: char,
    /// Its access method (quoted), when not heap.
    pub(crate) access_method: Option<String>,
}

/// A column of a table or composite type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Column {
    pub(crate) relation: u32,
    pub(crate) name: String,
    pub(crate) type_name: String,
    pub(crate) not_null: bool,
    /// `a` always, `d` by default, `\0` none.
    pub(crate) identity: char,
    /// `s` stored, `v` virtual, `\0` none.
    pub(crate) generated: char,
    pub(crate) local: bool,
    /// Schema and name, when not the type's default.
    pub(crate) collation: Option<(String, String)>,
    pub(crate) default_oid: u32,
    pub(crate) default: Option<String>,
    /// PostgreSQL 18: the not-null constraint (name, validated, no
    /// inherit, local).
    pub(crate) not_null_constraint: Option<(String, bool, bool, bool)>,
    /// `ALTER COLUMN ... SET STATISTICS`, when not the default.
    pub(crate) statistics: Option<String>,
    /// `p`, `e`, `m` or `x` when not the type's default storage.
    pub(crate) storage: char,
    /// A foreign table column's options, `name 'value', ...`.
    pub(crate) fdw_options: Option<String>,
    /// `p` (pglz) or `l` (lz4) when set on the column (PostgreSQL 14 on).
    pub(crate) compression: char,
    /// `ALTER COLUMN ... SET (...)` options such as `n_distinct=100`.
    pub(crate) options: Option<String>,
}

/// A sequence's options and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Sequence {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) type_name: String,
    pub(crate) start: String,
    pub(crate) increment: String,
    pub(crate) max: String,
    pub(crate) min: String,
    pub(crate) cache: String,
    pub(crate) cycle: bool,
    pub(crate) owner_table: u32,
    pub(crate) owner_column: Option<String>,
    /// `a` OWNED BY, `i` identity, `\0` free-standing.
    pub(crate) dependency: char,
    pub(crate) persistence: char,
}

/// An enum or domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TypeDef {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) kind: char,
    pub(crate) owner: String,
    pub(crate) base: Option<String>,
    pub(crate) not_null: bool,
    pub(crate) default: Option<String>,
    pub(crate) collation: Option<(String, String)>,
    /// The name of its NOT NULL constraint (PostgreSQL 17 on).
    pub(crate) not_null_name: Option<String>,
}

/// A function or procedure with the server's own definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Function {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) kind: char,
    pub(crate) owner: String,
    pub(crate) arguments: String,
    pub(crate) definition: String,
}

/// A table or domain constraint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Constraint {
    pub(crate) oid: u32,
    pub(crate) name: String,
    pub(crate) kind: char,
    pub(crate) table: u32,
    pub(crate) domain: u32,
    pub(crate) definition: String,
    pub(crate) validated: bool,
    pub(crate) local: bool,
    pub(crate) parent: u32,
    /// The table a foreign key references (0 for other kinds).
    pub(crate) references: u32,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Index {
    pub(crate) oid: u32,
    pub(crate) table: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) definition: String,
    pub(crate) parent: u32,
    pub(crate) backs_constraint: bool,
    pub(crate) clustered: bool,
    /// Its tablespace (quoted), when not the database's.
    pub(crate) tablespace: Option<String>,
    /// The table's replica identity.
    pub(crate) replica_identity: bool,
    /// Statistics targets of its (expression) columns: number and target.
    pub(crate) statistics: Vec<(String, String)>,
    /// Storage parameters (a key's are not in its constraint's definition).
    pub(crate) options: Option<String>,
}

/// A trigger or rule: the server's definition and its enabled state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TableRule {
    pub(crate) oid: u32,
    pub(crate) table: u32,
    pub(crate) name: String,
    pub(crate) definition: String,
    pub(crate) enabled: char,
    /// A partition's clone of its parent's trigger, listed only for an
    /// enabled state of its own.
    pub(crate) clone: bool,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Policy {
    pub(crate) oid: u32,
    pub(crate) table: u32,
    pub(crate) name: String,
    pub(crate) command: char,
    pub(crate) permissive: bool,
    pub(crate) using: Option<String>,
    pub(crate) check: Option<String>,
    /// Role names; `None` is PUBLIC.
    pub(crate) roles: Vec<Option<String>>,
}

/// A table or sequence an extension marked as configuration: its rows
/// (or value) are dumped though the object comes with the extension.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ConfigRelation {
    pub(crate) extension: u32,
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) kind: char,
    /// `WHERE ...` chosen by the extension; empty for every row.
    pub(crate) condition: String,
    /// The copied columns, quoted and comma-separated.
    pub(crate) columns: String,
}

/// An extension, created in its schema.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Extension {
    pub(crate) oid: u32,
    pub(crate) name: String,
    pub(crate) schema: String,
}

/// An extended statistics object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Statistics {
    pub(crate) oid: u32,
    pub(crate) table: u32,
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) definition: String,
    pub(crate) target: Option<String>,
    pub(crate) owner: String,
}

/// A comment on an object or one of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    pub(crate) key: String,
    pub(crate) column: Option<String>,
    pub(crate) text: String,
}

/// One privilege of one grantee on an object or one of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Privilege {
    pub(crate) key: String,
    pub(crate) column: Option<String>,
    pub(crate) grantor: String,
    pub(crate) grantee: Option<String>,
    pub(crate) privilege: String,
    pub(crate) grantable: bool,
    /// An extension member's: its extension's OID, the object as GRANT
    /// names it, and its owner.
    pub(crate) member_of: Option<(u32, String, String)>,
}

/// An object the native dump cannot write yet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnsupportedObject {
    /// What it is: `extension`, `aggregate`, `large object`, ...
    pub kind: String,
    /// Its name as SQL would write it.
    pub name: String,
}

/// An object whose statements the server assembled
/// ([`objects_sql`](super::objects_sql)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Assembled {
    pub(crate) key: String,
    /// `None` outside schemas.
    pub(crate) schema: Option<String>,
    /// After the data (event triggers, publications, default privileges).
    pub(crate) post_data: bool,
    /// A base type: a shell type first, for its functions.
    pub(crate) shell_first: bool,
    pub(crate) priority: u8,
    pub(crate) sql: String,
    pub(crate) comment: Option<String>,
    pub(crate) grant: Option<String>,
    pub(crate) owner_target: Option<String>,
    pub(crate) owner: Option<String>,
    /// The table of a publication's membership, in `schema`.
    pub(crate) relation: Option<String>,
}

/// Where an object lives, for the selection: its schema (`None` outside
/// schemas) and, for a relation, its name.
pub(crate) type Scope = (Option<String>, Option<String>);

/// Everything the catalog queries returned.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub(crate) schemas: Vec<Schema>,
    pub(crate) relations: Vec<Relation>,
    pub(crate) inherits: Vec<(u32, u32)>,
    pub(crate) columns: Vec<Column>,
    pub(crate) sequences: Vec<Sequence>,
    pub(crate) sequence_values: HashMap<u32, (String, bool)>,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) enum_labels: HashMap<u32, Vec<String>>,
    pub(crate) functions: Vec<Function>,
    pub(crate) constraints: Vec<Constraint>,
    pub(crate) indexes: Vec<Index>,
    pub(crate) triggers: Vec<TableRule>,
    pub(crate) rules: Vec<TableRule>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) extensions: Vec<Extension>,
    pub(crate) extension_config: Vec<ConfigRelation>,
    /// Large objects: oid and owner.
    pub(crate) large_objects: Vec<(u32, String)>,
    pub(crate) statistics: Vec<Statistics>,
    pub(crate) dependencies: Vec<(String, String)>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) privileges: Vec<Privilege>,
    /// Each with where it lives, for the selection: its schema (`None`
    /// outside schemas) and, for a relation, its name.
    pub(crate) unsupported: Vec<(UnsupportedObject, Scope)>,
    pub(crate) assembled: Vec<Assembled>,
}

fn collation(
    row: &Row<'_>,
    schema: usize,
    name: usize,
) -> Result<Option<(String, String)>, NativeError> {
    Ok(match (row.opt(schema)?, row.opt(name)?) {
        (Some(s), Some(n)) => Some((s.to_string(), n.to_string())),
        _ => None,
    })
}

/// Reads every row with `read`, naming `step` in errors.
fn read_all<T>(
    rows: &[DataRow],
    step: &'static str,
    read: impl Fn(Row<'_>) -> Result<T, NativeError>,
) -> Result<Vec<T>, NativeError> {
    rows.iter().map(|r| read(Row::new(r, step))).collect()
}

impl Catalog {
    pub(crate) fn read_schemas(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.schemas = read_all(rows, "reading schemas", |r| {
            Ok(Schema {
                oid: r.oid(0)?,
                name: r.string(1)?,
                owner: r.string(2)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_relations(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.relations = read_all(rows, "reading relations", |r| {
            Ok(Relation {
                oid: r.oid(0)?,
                schema: r.string(1)?,
                name: r.string(2)?,
                kind: r.code(3)?,
                owner: r.string(4)?,
                persistence: r.code(5)?,
                partition_bound: r.opt_string(6)?,
                partition_key: r.opt_string(7)?,
                view_definition: r.opt_string(8)?,
                options: r.opt_string(9)?.filter(|o| !o.is_empty()),
                row_security: r.flag(10)?,
                force_row_security: r.flag(11)?,
                populated: r.flag(12)?,
                of_type: r.opt_string(13)?,
                server: r.opt_string(14)?,
                server_options: r.opt_string(15)?,
                tablespace: r.opt_string(16)?,
                replica_identity: r.code(17)?,
                access_method: r.opt_string(18)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_inherits(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.inherits = read_all(rows, "reading inheritance", |r| Ok((r.oid(0)?, r.oid(1)?)))?;
        Ok(())
    }

    pub(crate) fn read_columns(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.columns = read_all(rows, "reading columns", |r| {
            let not_null_constraint = match r.opt(12)? {
                Some(name) => Some((name.to_string(), r.flag(13)?, r.flag(14)?, r.flag(15)?)),
                None => None,
            };
            Ok(Column {
                relation: r.oid(0)?,
                name: r.string(2)?,
                type_name: r.string(3)?,
                not_null: r.flag(4)?,
                identity: r.code(5)?,
                generated: r.code(6)?,
                local: r.flag(7)?,
                collation: collation(&r, 8, 9)?,
                default_oid: r.oid(10)?,
                default: r.opt_string(11)?,
                not_null_constraint,
                statistics: r.opt_string(16)?,
                storage: r.code(17)?,
                fdw_options: r.opt_string(18)?,
                compression: r.code(19)?,
                options: r.opt_string(20)?.filter(|o| !o.is_empty()),
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_sequences(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.sequences = read_all(rows, "reading sequences", |r| {
            Ok(Sequence {
                oid: r.oid(0)?,
                schema: r.string(1)?,
                name: r.string(2)?,
                type_name: r.string(3)?,
                start: r.string(4)?,
                increment: r.string(5)?,
                max: r.string(6)?,
                min: r.string(7)?,
                cache: r.string(8)?,
                cycle: r.flag(9)?,
                owner_table: r.oid(10)?,
                owner_column: r.opt_string(11)?,
                dependency: r.code(12)?,
                persistence: r.code(13)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_sequence_values(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        for (oid, value, called) in read_all(rows, "reading sequence values", |r| {
            Ok((r.oid(0)?, r.string(1)?, r.flag(2)?))
        })? {
            self.sequence_values.insert(oid, (value, called));
        }
        Ok(())
    }

    pub(crate) fn read_types(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.types = read_all(rows, "reading types", |r| {
            Ok(TypeDef {
                oid: r.oid(0)?,
                schema: r.string(1)?,
                name: r.string(2)?,
                kind: r.code(3)?,
                owner: r.string(4)?,
                base: r.opt_string(5)?,
                not_null: r.flag(6)?,
                default: r.opt_string(7)?,
                collation: collation(&r, 8, 9)?,
                not_null_name: r.opt_string(10)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_enum_labels(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        for (oid, label) in read_all(rows, "reading enum labels", |r| {
            Ok((r.oid(0)?, r.string(1)?))
        })? {
            self.enum_labels.entry(oid).or_default().push(label);
        }
        Ok(())
    }

    pub(crate) fn read_functions(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.functions = read_all(rows, "reading functions", |r| {
            Ok(Function {
                oid: r.oid(0)?,
                schema: r.string(1)?,
                name: r.string(2)?,
                kind: r.code(3)?,
                owner: r.string(4)?,
                arguments: r.string(5)?,
                definition: r.string(6)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_constraints(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.constraints = read_all(rows, "reading constraints", |r| {
            Ok(Constraint {
                oid: r.oid(0)?,
                name: r.string(1)?,
                kind: r.code(2)?,
                table: r.oid(3)?,
                domain: r.oid(4)?,
                definition: r.string(5)?,
                validated: r.flag(6)?,
                local: r.flag(7)?,
                parent: r.oid(8)?,
                references: r.oid(9)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_indexes(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.indexes = read_all(rows, "reading indexes", |r| {
            Ok(Index {
                oid: r.oid(0)?,
                table: r.oid(1)?,
                schema: r.string(2)?,
                name: r.string(3)?,
                definition: r.string(4)?,
                parent: r.oid(5)?,
                backs_constraint: r.flag(6)?,
                clustered: r.flag(7)?,
                tablespace: r.opt_string(8)?,
                replica_identity: r.flag(9)?,
                statistics: r
                    .opt(10)?
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|pair| pair.split_once(' '))
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect(),
                options: r.opt_string(11)?.filter(|o| !o.is_empty()),
            })
        })?;
        Ok(())
    }

    fn read_table_rules(
        rows: &[DataRow],
        step: &'static str,
    ) -> Result<Vec<TableRule>, NativeError> {
        read_all(rows, step, |r| {
            Ok(TableRule {
                oid: r.oid(0)?,
                table: r.oid(1)?,
                name: r.string(2)?,
                definition: r.string(3)?,
                enabled: r.code(4)?,
                clone: r.flag(5)?,
            })
        })
    }

    pub(crate) fn read_triggers(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.triggers = Catalog::read_table_rules(rows, "reading triggers")?;
        Ok(())
    }

    pub(crate) fn read_rules(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.rules = Catalog::read_table_rules(rows, "reading rules")?;
        Ok(())
    }

    pub(crate) fn read_policies(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.policies.clear();
        for row in rows {
            let r = Row::new(row, "reading policies");
            let oid = r.oid(0)?;
            let role = r.opt_string(7)?;
            if let Some(last) = self.policies.last_mut().filter(|p| p.oid == oid) {
                last.roles.push(role);
                continue;
            }
            self.policies.push(Policy {
                oid,
                table: r.oid(1)?,
                name: r.string(2)?,
                command: r.code(3)?,
                permissive: r.flag(4)?,
                using: r.opt_string(5)?,
                check: r.opt_string(6)?,
                roles: vec![role],
            });
        }
        Ok(())
    }

    pub(crate) fn read_extensions(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.extensions = read_all(rows, "reading extensions", |r| {
            Ok(Extension {
                oid: r.oid(0)?,
                name: r.string(1)?,
                schema: r.string(2)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_extension_config(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.extension_config = read_all(rows, "reading extension configuration tables", |r| {
            Ok(ConfigRelation {
                extension: r.oid(0)?,
                oid: r.oid(1)?,
                schema: r.string(2)?,
                name: r.string(3)?,
                kind: r.code(4)?,
                condition: r.string(5)?,
                columns: r.opt_string(6)?.unwrap_or_default(),
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_large_objects(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.large_objects = read_all(rows, "reading large objects", |r| {
            Ok((r.oid(0)?, r.string(1)?))
        })?;
        Ok(())
    }

    pub(crate) fn read_statistics(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.statistics = read_all(rows, "reading statistics objects", |r| {
            Ok(Statistics {
                oid: r.oid(0)?,
                table: r.oid(1)?,
                schema: r.string(2)?,
                name: r.string(3)?,
                definition: r.string(4)?,
                target: r.opt_string(5)?,
                owner: r.string(6)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_dependencies(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.dependencies = rows
            .iter()
            .filter_map(|row| {
                let r = Row::new(row, "reading dependencies");
                match (r.opt(0), r.opt(1)) {
                    (Ok(Some(a)), Ok(Some(b))) if a != b => {
                        Some(Ok((a.to_string(), b.to_string())))
                    }
                    (Err(e), _) | (_, Err(e)) => Some(Err(e)),
                    _ => None,
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    pub(crate) fn read_comments(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.comments = read_all(rows, "reading comments", |r| {
            Ok(Comment {
                key: r.opt_string(0)?.unwrap_or_default(),
                column: if r.oid(1)? == 0 {
                    None
                } else {
                    r.opt_string(2)?
                },
                text: r.string(3)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_privileges(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.privileges = read_all(rows, "reading privileges", |r| {
            Ok(Privilege {
                key: r.opt_string(0)?.unwrap_or_default(),
                column: r.opt_string(1)?,
                grantor: r.string(2)?,
                grantee: r.opt_string(3)?,
                privilege: r.string(4)?,
                grantable: r.flag(5)?,
                member_of: match (r.opt_string(7)?, r.opt_string(8)?) {
                    (Some(target), Some(owner)) => Some((r.oid(6)?, target, owner)),
                    _ => None,
                },
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_assembled(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.assembled = read_all(rows, "reading other objects", |r| {
            Ok(Assembled {
                key: r.string(0)?,
                schema: r.opt_string(1)?,
                post_data: r.string(2)? == "post",
                shell_first: r.string(2)? == "split",
                priority: r.string(3)?.parse().unwrap_or(9),
                sql: r.string(4)?,
                comment: r.opt_string(5)?,
                grant: r.opt_string(6)?,
                owner_target: r.opt_string(7)?,
                owner: r.opt_string(8)?,
                relation: r.opt_string(9)?,
            })
        })?;
        Ok(())
    }

    pub(crate) fn read_unsupported(&mut self, rows: &[DataRow]) -> Result<(), NativeError> {
        self.unsupported
            .extend(read_all(rows, "finding unsupported objects", |r| {
                Ok((
                    UnsupportedObject {
                        kind: r.string(0)?,
                        name: r.string(1)?,
                    },
                    (r.opt_string(2)?, r.opt_string(3)?),
                ))
            })?);
        Ok(())
    }
}
