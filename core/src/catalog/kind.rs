//! What the catalog says a relation is, read the same way by schema
//! inspection and backup selection.

/// The kind of a relation (`pg_class.relkind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationKind {
    /// `r`: an ordinary table.
    Table,
    /// `p`: a partitioned table (its rows are in its partitions).
    PartitionedTable,
    /// `v`: a view.
    View,
    /// `m`: a materialized view.
    MaterializedView,
    /// `f`: a foreign table (rows are not dumped unless asked for).
    ForeignTable,
    /// `S`: a sequence.
    Sequence,
}

impl RelationKind {
    /// From the relkind letter; `None` for kinds sequelae does not show
    /// (indexes, composite types, TOAST tables).
    pub fn from_relkind(relkind: &str) -> Option<RelationKind> {
        Some(match relkind {
            "r" => RelationKind::Table,
            "p" => RelationKind::PartitionedTable,
            "v" => RelationKind::View,
            "m" => RelationKind::MaterializedView,
            "f" => RelationKind::ForeignTable,
            "S" => RelationKind::Sequence,
            _ => return None,
        })
    }

    /// `table`, `partitioned table`, `view`, `materialized view`,
    /// `foreign table`, `sequence`: the JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::PartitionedTable => "partitioned table",
            RelationKind::View => "view",
            RelationKind::MaterializedView => "materialized view",
            RelationKind::ForeignTable => "foreign table",
            RelationKind::Sequence => "sequence",
        }
    }

    /// The heading psql uses: `Table`, `View`, ...
    pub fn title(self) -> &'static str {
        match self {
            RelationKind::Table => "Table",
            RelationKind::PartitionedTable => "Partitioned table",
            RelationKind::View => "View",
            RelationKind::MaterializedView => "Materialized view",
            RelationKind::ForeignTable => "Foreign table",
            RelationKind::Sequence => "Sequence",
        }
    }

    /// True for relations whose rows are stored here and cheap to sample
    /// (tables, partitioned tables, materialized views); views would run
    /// their query and foreign tables a remote one.
    pub fn is_sampled(self) -> bool {
        matches!(
            self,
            RelationKind::Table | RelationKind::PartitionedTable | RelationKind::MaterializedView
        )
    }

    /// Counts as a table in a backup's result.
    pub fn is_table(self) -> bool {
        matches!(
            self,
            RelationKind::Table | RelationKind::PartitionedTable | RelationKind::ForeignTable
        )
    }
}
