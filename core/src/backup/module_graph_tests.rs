//! The backup modules depend on each other in one direction only: a
//! cycle (as `error` <-> `options` once was) means neither can be read,
//! tested or moved without the other.

/// Every module of `backup`, with its source.
const MODULES: &[(&str, &str)] = &[
    ("catalog", include_str!("catalog.rs")),
    ("driver", include_str!("driver.rs")),
    ("error", include_str!("error.rs")),
    ("format", include_str!("format.rs")),
    ("method", include_str!("method.rs")),
    ("names", include_str!("names.rs")),
    ("options", include_str!("options.rs")),
    ("output", include_str!("output.rs")),
    ("pg_dump_plan", include_str!("pg_dump_plan.rs")),
    ("process", include_str!("process.rs")),
    ("progress", include_str!("progress.rs")),
    ("publish", include_str!("publish.rs")),
    ("redact", include_str!("redact.rs")),
    ("step", include_str!("step.rs")),
    ("report", include_str!("report.rs")),
    ("timestamp", include_str!("timestamp.rs")),
    ("version", include_str!("version.rs")),
];

/// The sibling modules `source` names (`super::x`, `crate::backup::x`),
/// outside its tests.
fn dependencies(source: &str) -> Vec<&'static str> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    MODULES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            [
                format!("super::{name}::"),
                format!("crate::backup::{name}::"),
            ]
            .iter()
            .any(|path| code.contains(path.as_str()))
        })
        .collect()
}

#[test]
fn backup_modules_have_no_cycle() {
    fn visit(module: &str, path: &mut Vec<String>) {
        if let Some(at) = path.iter().position(|m| m == module) {
            panic!("module cycle: {} -> {module}", path[at..].join(" -> "));
        }
        path.push(module.to_string());
        let source = MODULES
            .iter()
            .find(|(name, _)| *name == module)
            .map(|(_, s)| *s)
            .unwrap_or_default();
        for dependency in dependencies(source) {
            visit(dependency, path);
        }
        path.pop();
    }
    for (module, _) in MODULES {
        visit(module, &mut Vec::new());
    }
    assert!(dependencies(MODULES[2].1).contains(&"format"));
}
