//! The project's OpenAPI spec, read as plain JSON, for tests that take their
//! inputs and expectations from it.

use std::path::PathBuf;

use serde_json::Value;

/// The workspace root: the workspace that encloses this crate. Not
/// `xtask::workspace_root`, which insists that `CARGO_MANIFEST_DIR` names the
/// xtask package: these helpers also run in other crates' tests (the CLI's).
pub fn workspace_root() -> PathBuf {
    xtask::enclosing_workspace(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|err| panic!("{err:#}"))
}

/// The spec, parsed.
pub fn load() -> Value {
    let path = workspace_root().join("spec/mrs-iam-sync.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Follows local `$ref`s (`xtask::codegen::spec::resolve`; the spec is checked by
/// `cargo xtask check`, so every reference resolves).
pub fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    xtask::codegen::spec::resolve(spec, value).value
}

/// One operation of the spec.
pub struct Operation<'a> {
    pub id: String,
    pub method: String,
    pub path: String,
    pub value: &'a Value,
}

/// Every operation, in document order.
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                found.push(Operation {
                    id: id.to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    value: op,
                });
            }
        }
    }
    found
}

/// The examples of a media-type object: `(name, value)` pairs.
pub fn media_examples(spec: &Value, media: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = media.get("example") {
        found.push(("example".to_owned(), example.clone()));
    }
    for (name, example) in media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(value) = resolve(spec, example).get("value") {
            found.push((name.clone(), value.clone()));
        }
    }
    found
}

/// The example value of a component parameter, e.g. `ProjectIdPath`.
pub fn parameter_example(spec: &Value, name: &str) -> String {
    spec["components"]["parameters"][name]["example"]
        .as_str()
        .unwrap_or_else(|| panic!("parameter {name} has no string example"))
        .to_owned()
}
