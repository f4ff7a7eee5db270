//! The human form of a schema, modelled on psql's `\d`: a header, an
//! aligned column table, then footers for indexes, constraints, references,
//! triggers, and the inferred structure of JSON columns.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use super::infer::{JsonShape, JsonStructure, MAX_FIELDS_SHOWN, write_field_name};
use super::inspect::SchemaReport;
use super::model::{ColumnInfo, Identity, IndexInfo, TableSchema};

const INDENT: &str = "    ";

/// Every table of the report, separated by blank lines, followed by the
/// unknown-table messages and warnings (one per line, `warning: ` before
/// each warning). With nothing found and nothing missing: `Did not find
/// any relations.` (psql's words). A CLI that keeps stdout for results can
/// print [`render_tables`] there and the rest on stderr instead.
pub fn render_report(report: &SchemaReport) -> String {
    let mut out = render_tables(&report.tables);
    if report.tables.is_empty() && report.missing.is_empty() {
        out.push_str("Did not find any relations.\n");
    }
    if !report.tables.is_empty() && (!report.missing.is_empty() || !report.warnings.is_empty()) {
        out.push('\n');
    }
    for missing in &report.missing {
        let _ = writeln!(out, "{missing}");
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The tables, each as [`render_table`], separated by blank lines.
pub fn render_tables(tables: &[TableSchema]) -> String {
    let mut out = String::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_table(table));
    }
    out
}

/// One table, psql `\d` style. Every line ends with `\n`; no line has
/// trailing spaces.
pub fn render_table(table: &TableSchema) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} \"{}.{}\"",
        table.kind.title(),
        table.schema,
        table.name
    );
    if let Some(comment) = &table.comment {
        let _ = writeln!(out, "Comment: {comment}");
    }
    write_columns(&mut out, &table.columns);

    if let Some(parent) = &table.partition_of {
        let _ = writeln!(
            out,
            "Partition of: {}.{} {}",
            parent.schema, parent.table, parent.bound
        );
    }
    if let Some(key) = &table.partition_key {
        let _ = writeln!(out, "Partition key: {key}");
    }
    section(&mut out, "Indexes:", table.indexes.iter().map(index_line));
    section(
        &mut out,
        "Check constraints:",
        table
            .checks
            .iter()
            .map(|c| format!("\"{}\" {}", c.name, c.definition)),
    );
    section(
        &mut out,
        "Foreign-key constraints:",
        table
            .foreign_keys
            .iter()
            .map(|f| format!("\"{}\" {}", f.name, f.definition)),
    );
    section(
        &mut out,
        "Referenced by:",
        table.referenced_by.iter().map(|r| {
            format!(
                "TABLE \"{}.{}\" CONSTRAINT \"{}\" {}",
                r.schema, r.table, r.name, r.definition
            )
        }),
    );
    section(
        &mut out,
        "Triggers:",
        table.triggers.iter().map(|t| {
            t.definition
                .strip_prefix("CREATE TRIGGER ")
                .unwrap_or(&t.definition)
                .to_owned()
        }),
    );
    if let Some(definition) = &table.view_definition {
        out.push_str("View definition:\n");
        for line in definition.lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    if !table.json_structure.is_empty() {
        out.push_str("JSON structure (sampled):\n");
        for (column, structure) in &table.json_structure {
            write_json_structure(&mut out, column, structure);
        }
    }
    out
}

fn section(out: &mut String, title: &str, lines: impl Iterator<Item = String>) {
    let mut lines = lines.peekable();
    if lines.peek().is_none() {
        return;
    }
    out.push_str(title);
    out.push('\n');
    for line in lines {
        let _ = writeln!(out, "{INDENT}{line}");
    }
}

/// `"users_pkey" PRIMARY KEY, btree (id)`, as psql words it: the index
/// definition from its access method on.
fn index_line(index: &IndexInfo) -> String {
    let kind = if index.primary {
        "PRIMARY KEY, "
    } else {
        match index.constraint.as_deref() {
            Some("u") => "UNIQUE CONSTRAINT, ",
            Some("x") => "EXCLUDE CONSTRAINT, ",
            _ if index.unique => "UNIQUE, ",
            _ => "",
        }
    };
    let method = index
        .definition
        .split_once(" USING ")
        .map_or(index.definition.as_str(), |(_, rest)| rest);
    let invalid = if index.valid { "" } else { " INVALID" };
    format!("\"{}\" {kind}{method}{invalid}", index.name)
}

fn column_default(column: &ColumnInfo) -> String {
    match (column.identity, &column.generated, &column.default) {
        (Some(Identity::Always), _, _) => "generated always as identity".into(),
        (Some(Identity::ByDefault), _, _) => "generated by default as identity".into(),
        (None, Some(expression), _) => format!("generated always as ({expression}) stored"),
        (None, None, Some(default)) => default.clone(),
        (None, None, None) => String::new(),
    }
}

/// The aligned column table (widths in terminal columns, so CJK and emoji
/// names line up): centred headings, left-aligned cells, one
/// space of padding, `|` between cells, like psql's aligned format. A
/// Comment column appears when any column has a comment.
fn write_columns(out: &mut String, columns: &[ColumnInfo]) {
    let with_comments = columns.iter().any(|c| c.comment.is_some());
    let mut headings = vec!["Column", "Type", "Nullable", "Default"];
    if with_comments {
        headings.push("Comment");
    }
    let rows: Vec<Vec<String>> = columns
        .iter()
        .map(|c| {
            let mut row = vec![
                c.name.clone(),
                c.type_name.clone(),
                if c.not_null { "not null" } else { "" }.to_owned(),
                column_default(c),
            ];
            if with_comments {
                row.push(c.comment.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    let widths: Vec<usize> = headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].width())
                .chain([h.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();

    let mut line = String::new();
    for (i, heading) in headings.iter().enumerate() {
        let free = widths[i].saturating_sub(heading.width());
        let left = free / 2;
        line.push_str(if i == 0 { " " } else { " | " });
        line.extend(std::iter::repeat_n(' ', left));
        line.push_str(heading);
        line.extend(std::iter::repeat_n(' ', free - left));
    }
    let _ = writeln!(out, "{}", line.trim_end());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    let _ = writeln!(out, "{}", rule.join("+"));
    for row in rows {
        line.clear();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(if i == 0 { " " } else { " | " });
            line.push_str(cell);
            line.extend(std::iter::repeat_n(
                ' ',
                widths[i].saturating_sub(cell.width()),
            ));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn write_json_structure(out: &mut String, column: &str, structure: &JsonStructure) {
    if structure.samples == 0 {
        let _ = writeln!(out, "{INDENT}{column}: no non-null values to sample");
        return;
    }
    let plural = if structure.samples == 1 { "" } else { "s" };
    let unparsed = if structure.unparsed > 0 {
        format!(", {} unreadable", structure.unparsed)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{INDENT}{column} ({} sample{plural}{unparsed}): {}",
        structure.samples,
        structure.shape.short_type()
    );
    write_shape_children(out, &structure.shape, 2);
}

/// The fields under a shape, one per line, `name?: type`, nested objects
/// indented below their field. The fields of objects inside arrays are
/// listed under the array's field; when a position holds both an object and
/// an array of objects, the array's element fields come under a `[]` line.
fn write_shape_children(out: &mut String, shape: &JsonShape, depth: usize) {
    if let Some(object) = &shape.object {
        for (name, field) in object.fields.iter().take(MAX_FIELDS_SHOWN) {
            let mut line = INDENT.repeat(depth);
            write_field_name(&mut line, name);
            if object.is_optional(field) {
                line.push('?');
            }
            let _ = writeln!(out, "{line}: {}", field.shape.short_type());
            write_shape_children(out, &field.shape, depth + 1);
        }
        if object.fields.len() > MAX_FIELDS_SHOWN {
            let _ = writeln!(
                out,
                "{}… {} more fields",
                INDENT.repeat(depth),
                object.fields.len() - MAX_FIELDS_SHOWN
            );
        }
        if object.too_deep {
            let _ = writeln!(out, "{}… (nested too deep to show)", INDENT.repeat(depth));
        }
    }
    if let Some(element) = shape.array.as_ref().filter(|e| e.has_object()) {
        if shape.object.is_some() {
            let _ = writeln!(out, "{}[]: {}", INDENT.repeat(depth), element.short_type());
            write_shape_children(out, element, depth + 1);
        } else {
            write_shape_children(out, element, depth);
        }
    }
}
