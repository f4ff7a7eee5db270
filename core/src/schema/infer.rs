//! The structure of a `json`/`jsonb` column, inferred from sampled values.
//!
//! Every position in the sampled documents gets a [`JsonShape`]: the union of
//! the kinds seen there (`number`, `string`, `boolean`, `object{...}`,
//! `array<T>`, `null`). An object's fields are merged over every object seen
//! at that position, and a field missing from some of them is optional,
//! written `name?`, at every depth: inside nested objects and inside the
//! objects of arrays alike. The elements of all arrays seen at a position
//! are merged into one element shape; arrays that were always empty give
//! `array<unknown>`.
//!
//! The output is deterministic whatever order the samples came in: fields
//! are sorted by name (byte order), and the kinds of a union always appear
//! in the order `number|string|boolean|object|array|null`.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

/// Nesting below this depth is recorded as `object{…}` / `array<…>`
/// without detail.
pub const MAX_DEPTH: usize = 16;

/// Fields listed per object; the rest are counted (`…+12 more`). Objects
/// used as maps with data-dependent keys would otherwise flood the output.
pub const MAX_FIELDS_SHOWN: usize = 50;

/// The kinds of values seen at one position of the sampled documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonShape {
    /// A number was seen.
    pub number: bool,
    /// A string was seen.
    pub string: bool,
    /// `true` or `false` was seen.
    pub boolean: bool,
    /// `null` was seen.
    pub null: bool,
    /// Objects seen here, fields merged.
    pub object: Option<ObjectShape>,
    /// Arrays seen here: the merged shape of all their elements (no kinds
    /// at all when every array was empty).
    pub array: Option<Box<JsonShape>>,
    /// Values here were nested deeper than [`MAX_DEPTH`] and not examined.
    pub too_deep: bool,
}

/// The merged fields of the objects seen at one position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectShape {
    /// How many objects were seen here.
    pub count: usize,
    /// Fields by name.
    pub fields: BTreeMap<String, FieldShape>,
    /// The objects were deeper than [`MAX_DEPTH`]; their fields were not read.
    pub too_deep: bool,
}

/// One field of an [`ObjectShape`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldShape {
    /// In how many of the objects the field was present.
    pub present: usize,
    /// The values it had.
    pub shape: JsonShape,
}

impl ObjectShape {
    /// True when `field` was missing from some of the objects.
    pub fn is_optional(&self, field: &FieldShape) -> bool {
        field.present < self.count
    }
}

impl JsonShape {
    /// Merges one value into the shape.
    pub fn add(&mut self, value: &Value) {
        self.add_at(value, 0);
    }

    fn add_at(&mut self, value: &Value, depth: usize) {
        match value {
            Value::Null => self.null = true,
            Value::Bool(_) => self.boolean = true,
            Value::Number(_) => self.number = true,
            Value::String(_) => self.string = true,
            Value::Array(items) => {
                let element = self.array.get_or_insert_with(Box::default);
                if depth >= MAX_DEPTH {
                    element.too_deep |= !items.is_empty();
                    return;
                }
                for item in items {
                    element.add_at(item, depth + 1);
                }
            }
            Value::Object(map) => {
                let object = self.object.get_or_insert_with(ObjectShape::default);
                object.count += 1;
                if depth >= MAX_DEPTH {
                    object.too_deep = true;
                    return;
                }
                for (key, value) in map {
                    let field = object.fields.entry(key.clone()).or_default();
                    field.present += 1;
                    field.shape.add_at(value, depth + 1);
                }
            }
        }
    }

    /// True when no value was seen (the element shape of arrays that were
    /// always empty).
    pub fn is_empty(&self) -> bool {
        !(self.number
            || self.string
            || self.boolean
            || self.null
            || self.object.is_some()
            || self.array.is_some())
    }

    /// True when an object occurs here or anywhere inside the arrays here.
    pub fn has_object(&self) -> bool {
        self.object.is_some() || self.array.as_ref().is_some_and(|e| e.has_object())
    }

    /// The whole structure as one type expression:
    /// `object{address?: object{city: string}, tags: array<string>}`,
    /// `number|null`, `array<unknown>`.
    pub fn type_expression(&self) -> String {
        let mut out = String::new();
        self.write_type(&mut out, true);
        out
    }

    /// The type with objects abbreviated: `object|null`, `array<object>`.
    /// Used beside a tree that lists the fields underneath.
    pub fn short_type(&self) -> String {
        let mut out = String::new();
        self.write_type(&mut out, false);
        out
    }

    fn write_type(&self, out: &mut String, full: bool) {
        let start = out.len();
        let sep = |out: &mut String| {
            if out.len() > start {
                out.push('|');
            }
        };
        for (seen, name) in [
            (self.number, "number"),
            (self.string, "string"),
            (self.boolean, "boolean"),
        ] {
            if seen {
                sep(out);
                out.push_str(name);
            }
        }
        if let Some(object) = &self.object {
            sep(out);
            out.push_str("object");
            if full {
                object.write_fields(out);
            }
        }
        if let Some(element) = &self.array {
            sep(out);
            out.push_str("array<");
            element.write_type(out, full);
            out.push('>');
        }
        if self.null {
            sep(out);
            out.push_str("null");
        }
        if out.len() == start {
            out.push_str(if self.too_deep { "…" } else { "unknown" });
        }
    }

    /// The shape as JSON, for `--json` and MCP: `{"type": short type,
    /// "fields": [{"name", "optional", ...}], "items": {...}}`, with
    /// `fields` when objects were seen and `items` when the elements of
    /// arrays hold objects (otherwise the type says it all).
    pub fn to_json(&self) -> Value {
        let mut node = serde_json::Map::new();
        node.insert("type".into(), self.short_type().into());
        if let Some(object) = &self.object {
            let fields: Vec<Value> = object
                .fields
                .iter()
                .map(|(name, field)| {
                    let mut value = field.shape.to_json();
                    if let Value::Object(map) = &mut value {
                        map.insert("name".into(), name.as_str().into());
                        map.insert("optional".into(), object.is_optional(field).into());
                    }
                    value
                })
                .collect();
            node.insert("fields".into(), fields.into());
            if object.too_deep {
                node.insert("truncated".into(), true.into());
            }
        }
        if let Some(element) = self.array.as_ref().filter(|e| e.has_object()) {
            node.insert("items".into(), element.to_json());
        }
        Value::Object(node)
    }
}

impl ObjectShape {
    fn write_fields(&self, out: &mut String) {
        out.push('{');
        if self.too_deep {
            out.push('…');
        }
        for (i, (name, field)) in self.fields.iter().take(MAX_FIELDS_SHOWN).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_field_name(out, name);
            if self.is_optional(field) {
                out.push('?');
            }
            out.push_str(": ");
            field.shape.write_type(out, true);
        }
        if self.fields.len() > MAX_FIELDS_SHOWN {
            let _ = write!(out, ", …+{} more", self.fields.len() - MAX_FIELDS_SHOWN);
        }
        out.push('}');
    }
}

/// A field name bare when it is a plain identifier, else as a JSON string.
pub(crate) fn write_field_name(out: &mut String, name: &str) {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        out.push_str(name);
    } else {
        crate::json::write_string(out, name);
    }
}

/// What the samples of one column showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonStructure {
    /// Samples read (non-NULL values that parsed).
    pub samples: usize,
    /// Samples that did not parse (e.g. numbers beyond a double's range,
    /// which `jsonb` accepts and the parser does not); not in `shape`.
    pub unparsed: usize,
    /// The merged shape of the samples.
    pub shape: JsonShape,
}

impl JsonStructure {
    /// `{"samples": n, "unparsed": n, "structure": "<type expression>",
    /// "shape": {...}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "samples": self.samples,
            "unparsed": self.unparsed,
            "structure": self.shape.type_expression(),
            "shape": self.shape.to_json(),
        })
    }
}

/// Infers the structure of sampled JSON texts (NULLs already left out).
pub fn infer_json_structure<'a>(samples: impl IntoIterator<Item = &'a str>) -> JsonStructure {
    let mut structure = JsonStructure::default();
    for text in samples {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => {
                structure.samples += 1;
                structure.shape.add(&value);
            }
            Err(_) => structure.unparsed += 1,
        }
    }
    structure
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rstest::rstest;

    use super::*;

    fn infer(samples: &[&str]) -> JsonStructure {
        infer_json_structure(samples.iter().copied())
    }

    #[rstest]
    #[case(&[r#"{"a": 1}"#], "object{a: number}")]
    #[case(&[r#"{"a": 1}"#, r#"{"a": 2, "b": "x"}"#], "object{a: number, b?: string}")]
    #[case(&[r#"{"a": "x"}"#, r#"{"a": null}"#], "object{a: string|null}")]
    #[case(&[r#"{"a": 1}"#, r#"{"a": "x"}"#, r#"{"a": true}"#, r#"{"a": null}"#], "object{a: number|string|boolean|null}")]
    #[case(&[r#"{"tags": []}"#], "object{tags: array<unknown>}")]
    #[case(&[r#"{"tags": []}"#, r#"{"tags": ["a"]}"#], "object{tags: array<string>}")]
    #[case(&[r#"[1, "a", 2]"#], "array<number|string>")]
    #[case(&["[]"], "array<unknown>")]
    #[case(&["[[1], [], [\"x\", null]]"], "array<array<number|string|null>>")]
    #[case(&["1", "\"s\"", "null"], "number|string|null")]
    #[case(&["{}"], "object{}")]
    #[case(&[], "unknown")]
    // Optional at every depth: inside nested objects...
    #[case(
        &[r#"{"user": {"name": "a", "address": {"city": "x", "zip": "1"}}}"#,
          r#"{"user": {"name": "b", "address": {"city": "y"}}}"#,
          r#"{"user": {"name": "c"}}"#],
        "object{user: object{address?: object{city: string, zip?: string}, name: string}}"
    )]
    // ...and inside the objects of arrays.
    #[case(
        &[r#"{"items": [{"id": 1, "note": "x"}, {"id": 2}]}"#, r#"{"items": [{"id": 3, "qty": 2.5}]}"#],
        "object{items: array<object{id: number, note?: string, qty?: number}>}"
    )]
    // A field that is sometimes an object and sometimes null.
    #[case(
        &[r#"{"meta": {"k": 1}}"#, r#"{"meta": null}"#],
        "object{meta: object{k: number}|null}"
    )]
    // Objects and scalars mixed at the top.
    #[case(&[r#"{"a": 1}"#, "[true]", "7"], "number|object{a: number}|array<boolean>")]
    // Field names that are not plain identifiers are quoted.
    #[case(&[r#"{"with space": 1, "a.b": 2, "q\"": 3}"#], r#"object{"a.b": number, "q\"": number, "with space": number}"#)]
    fn inferred_types(#[case] samples: &[&str], #[case] expected: &str) {
        let structure = infer(samples);
        assert_eq!(structure.shape.type_expression(), expected);
        assert_eq!(structure.samples, samples.len());
    }

    #[test]
    fn sample_order_does_not_matter() {
        let a = [
            r#"{"z": 1, "a": {"y": [1]}}"#,
            r#"{"a": {"x": "s"}, "m": null}"#,
            "[]",
        ];
        let b = [a[2], a[1], a[0]];
        assert_eq!(infer(&a), infer(&b));
        assert_eq!(
            infer(&a).shape.type_expression(),
            "object{a: object{x?: string, y?: array<number>}, m?: null, z?: number}|array<unknown>"
        );
    }

    #[test]
    fn unparsable_samples_are_counted_not_merged() {
        let structure = infer(&[r#"{"a": 1}"#, "1e400", "not json"]);
        assert_eq!(structure.samples, 1);
        assert_eq!(structure.unparsed, 2);
        assert_eq!(structure.shape.type_expression(), "object{a: number}");
    }

    #[test]
    fn deep_nesting_is_cut() {
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let expr = infer(&[&deep]).shape.type_expression();
        assert_eq!(expr, format!("{}…{}", "array<".repeat(17), ">".repeat(17)));
        let deep = format!("{}1{}", r#"{"a":"#.repeat(40), "}".repeat(40));
        let expr = infer(&[&deep]).shape.type_expression();
        assert_eq!(
            expr,
            format!("{}object{{…}}{}", "object{a: ".repeat(16), "}".repeat(16))
        );
    }

    #[test]
    fn many_fields_are_counted() {
        let fields: Vec<String> = (0..60).map(|i| format!("\"k{i:02}\": {i}")).collect();
        let doc = format!("{{{}}}", fields.join(","));
        let expr = infer(&[&doc]).shape.type_expression();
        assert!(
            expr.starts_with("object{k00: number, k01: number"),
            "{expr}"
        );
        assert!(expr.ends_with("k49: number, …+10 more}"), "{expr}");
    }

    #[test]
    fn json_form_lists_fields_and_items() {
        let structure = infer(&[
            r#"{"id": 1, "tags": ["a"], "items": [{"sku": "x"}], "addr": {"city": "c"}}"#,
            r#"{"id": 2, "tags": [], "items": [], "addr": null}"#,
        ]);
        assert_eq!(
            structure.to_json(),
            json!({
                "samples": 2,
                "unparsed": 0,
                "structure": "object{addr: object{city: string}|null, id: number, items: array<object{sku: string}>, tags: array<string>}",
                "shape": {
                    "type": "object",
                    "fields": [
                        {"name": "addr", "optional": false, "type": "object|null",
                         "fields": [{"name": "city", "optional": false, "type": "string"}]},
                        {"name": "id", "optional": false, "type": "number"},
                        {"name": "items", "optional": false, "type": "array<object>",
                         "items": {"type": "object",
                                   "fields": [{"name": "sku", "optional": false, "type": "string"}]}},
                        {"name": "tags", "optional": false, "type": "array<string>"}
                    ]
                }
            })
        );
    }
}
