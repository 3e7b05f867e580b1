//! Loading the spec: YAML syntax, `$ref` targets and the OpenAPI shape are
//! checked here, before anything else looks at it, and every error names the
//! file and the place.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

/// A spec that parsed, whose references all resolve and whose operations
/// all carry a unique `operationId`.
#[derive(Debug)]
pub struct Spec {
    /// The spec as plain JSON, for checks that walk the document.
    pub json: Value,
    /// The same document, typed.
    pub openapi: openapiv3::OpenAPI,
    /// The name it was loaded under (a path, `REV:path`), for messages.
    pub name: String,
}

/// Reads and parses the spec at `path`; `shown` is the name to print for it.
pub fn load(path: &Path, shown: &str) -> Result<Spec> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    parse(&text, shown)
}

/// Parses spec text; `shown` names its origin in error messages.
pub fn parse(text: &str, shown: &str) -> Result<Spec> {
    let json: Value = serde_yaml::from_str(text).map_err(|err| match err.location() {
        Some(at) => anyhow!("{shown}:{}:{}: invalid YAML: {err}", at.line(), at.column()),
        None => anyhow!("{shown}: invalid YAML: {err}"),
    })?;
    if !json.is_object() {
        bail!("{shown}: the document must be a mapping with `openapi`, `info` and `paths`");
    }
    check_version(&json, shown)?;
    check_refs(&json, shown)?;
    check_path_keys(&json, shown)?;
    let openapi: openapiv3::OpenAPI = serde_path_to_error::deserialize(&json).map_err(|err| {
        anyhow!(
            "{shown}: at `{}`: not a valid OpenAPI 3.0 document: {}",
            err.path(),
            err.inner()
        )
    })?;
    check_operation_ids(&openapi, shown)?;
    Ok(Spec {
        json,
        openapi,
        name: shown.to_owned(),
    })
}

/// The document must be OpenAPI 3.0.x, the only version progenitor reads;
/// the two others people have are named with what to do.
fn check_version(json: &Value, shown: &str) -> Result<()> {
    if let Some(swagger) = json.get("swagger") {
        bail!(
            "{shown}: Swagger {} is not supported: convert the spec to OpenAPI 3.0 \
             (for example with swagger2openapi or the Swagger Editor's converter)",
            swagger
                .as_str()
                .map_or_else(|| swagger.to_string(), str::to_owned)
        );
    }
    let version = match json.get("openapi") {
        Some(Value::String(version)) => version.as_str(),
        Some(other) => {
            bail!("{shown}: at `openapi`: `{other}` is not a version string such as \"3.0.3\"")
        }
        None => bail!("{shown}: no `openapi` field: not an OpenAPI 3.0 document"),
    };
    if version.starts_with("3.1") {
        bail!(
            "{shown}: OpenAPI {version} is not supported: the generator (progenitor) reads \
             OpenAPI 3.0.x; write the spec as 3.0.3"
        );
    }
    let patch_ok = version
        .strip_prefix("3.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()));
    if !patch_ok {
        bail!(
            "{shown}: at `openapi`: version `{version}` is not 3.0.x, the only one the generator accepts"
        );
    }
    Ok(())
}

/// Every `$ref` must point at a place inside this document.
fn check_refs(json: &Value, shown: &str) -> Result<()> {
    let mut problems = Vec::new();
    walk(json, &mut String::new(), &mut |at, value| {
        if let Some(Value::String(target)) = value.get("$ref") {
            match target.strip_prefix('#') {
                Some(pointer) if json.pointer(pointer).is_some() => {
                    if let Some(cycle) = ref_cycle(json, pointer) {
                        problems.push(format!(
                            "{shown}: at `{at}`: `$ref: {target}` leads into a reference cycle \
                             ({cycle}): the references never reach a definition"
                        ));
                    }
                }
                Some(_) => problems.push(format!(
                    "{shown}: at `{at}`: `$ref: {target}` points at nothing in this document"
                )),
                None => problems.push(format!(
                    "{shown}: at `{at}`: `$ref: {target}` is not a local reference (`#/...`); \
                     the spec must be self-contained"
                )),
            }
        }
    });
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(problems.join("\n"))
    }
}

/// Every key of `paths` must be a path (`/...`) or an extension (`x-...`):
/// the typed OpenAPI model drops any other key without a word, so its
/// operations would be linted but never generated.
fn check_path_keys(json: &Value, shown: &str) -> Result<()> {
    let Some(paths) = json.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    let problems: Vec<String> = paths
        .keys()
        .filter(|key| !key.starts_with('/') && !key.starts_with("x-"))
        .map(|key| {
            format!(
                "{shown}: at `paths.{key}`: a path must start with `/` \
                 (the generator would skip its operations)"
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(problems.join("\n"))
    }
}

/// The most `$ref` hops a chain of references may take; [`resolve`] follows
/// at most this many.
const MAX_REF_HOPS: usize = 32;

/// The HTTP methods a path item may hold operations for (OpenAPI 3.0).
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A value after following its `$ref`s, with the last reference followed
/// (`#/components/schemas/ProjectId`), if any.
pub struct Resolved<'a> {
    pub value: &'a Value,
    pub reference: Option<&'a str>,
}

/// Follows local `$ref`s from `value`, at most `MAX_REF_HOPS` (32) hops; a
/// dangling or non-local reference (which [`parse`] rules out) resolves to
/// the reference object itself.
pub fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> Resolved<'a> {
    let mut reference = None;
    for _ in 0..MAX_REF_HOPS {
        let Some(target) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        match target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
        {
            Some(next) => {
                reference = Some(target);
                value = next;
            }
            None => break,
        }
    }
    Resolved { value, reference }
}

/// Follows the chain of objects that are only a reference, from `pointer`:
/// `Some(description)` when it comes back to a place it has been (or is
/// longer than [`MAX_REF_HOPS`]), which no consumer can resolve (the
/// generator and the schema validator would recurse without end).
fn ref_cycle(json: &Value, pointer: &str) -> Option<String> {
    let mut chain = vec![pointer];
    let mut current = json.pointer(pointer)?;
    while let Some(next) = current
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|target| target.strip_prefix('#'))
    {
        let looped = chain.contains(&next);
        chain.push(next);
        if looped || chain.len() > MAX_REF_HOPS {
            let shown: Vec<String> = chain.iter().map(|p| format!("#{p}")).collect();
            return Some(shown.join(" → "));
        }
        current = json.pointer(next)?;
    }
    None
}

/// Every operation needs an `operationId`, unique in the document: the
/// generated method is named after it.
fn check_operation_ids(openapi: &openapiv3::OpenAPI, shown: &str) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, method, operation) in openapi.operations() {
        let place = format!("{shown}: at `paths.{path}.{method}`");
        match &operation.operation_id {
            None => problems.push(format!("{place}: the operation has no operationId")),
            Some(id) if id.trim().is_empty() => {
                problems.push(format!("{place}: the operationId is empty"))
            }
            Some(id) if !seen.insert(id.clone()) => problems.push(format!(
                "{place}: operationId `{id}` is used by another operation too"
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(problems.join("\n"))
    }
}

/// Calls `visit` with every object of the document and its dotted location.
pub fn walk(value: &Value, at: &mut String, visit: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            visit(at, value);
            for (key, child) in map {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(key);
                walk(child, at, visit);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{index}]"));
                walk(child, at, visit);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Encodes one key as a JSON-pointer token.
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

    #[test]
    fn accepts_a_minimal_spec() {
        parse(MINIMAL, "min.yaml").unwrap();
    }

    #[test]
    fn yaml_errors_name_file_line_and_column() {
        let err = parse("openapi: 3.0.3\ninfo: [\n", "bad.yaml").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.starts_with("bad.yaml:"), "{msg}");
        assert!(msg.contains("invalid YAML"), "{msg}");
    }

    #[test]
    fn unknown_refs_are_named_with_their_place() {
        let text = format!(
            "{MINIMAL}components:\n  schemas:\n    A:\n      $ref: '#/components/schemas/Missing'\n"
        );
        let msg = format!("{:#}", parse(&text, "s.yaml").unwrap_err());
        assert!(msg.contains("s.yaml: at `components.schemas.A`"), "{msg}");
        assert!(msg.contains("#/components/schemas/Missing"), "{msg}");
    }

    #[test]
    fn paths_must_start_with_a_slash() {
        // Found by the `spec_loading` fuzz target: `a/` was linted (one
        // operation) but dropped by the typed model, so never generated.
        let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  a/:\n    get:\n      operationId: A\n      responses: {'200': {description: ok}}\n  x-note: {}\n";
        let msg = format!("{:#}", parse(text, "s.yaml").unwrap_err());
        assert!(
            msg.contains("at `paths.a/`: a path must start with `/`"),
            "{msg}"
        );
        parse(&text.replace("  a/:", "  /a:"), "s.yaml").unwrap();
    }

    #[test]
    fn reference_cycles_are_refused() {
        // Without this check the lint's example validation grew without
        // bound on such a spec (tens of GB) instead of answering.
        let text = format!(
            "{MINIMAL}components:\n  schemas:\n    A:\n      $ref: '#/components/schemas/B'\n    B:\n      $ref: '#/components/schemas/A'\n    C:\n      $ref: '#/components/schemas/C'\n    D:\n      type: object\n      properties:\n        next: {{$ref: '#/components/schemas/D'}}\n"
        );
        let msg = format!("{:#}", parse(&text, "s.yaml").unwrap_err());
        assert!(
            msg.contains("at `components.schemas.A`")
                && msg.contains(
                    "#/components/schemas/B → #/components/schemas/A → #/components/schemas/B"
                ),
            "{msg}"
        );
        assert!(
            msg.contains("at `components.schemas.C`")
                && msg.contains("#/components/schemas/C → #/components/schemas/C"),
            "{msg}"
        );
        // Recursion through a property is data, not a loop of references.
        assert!(!msg.contains("schemas.D"), "{msg}");
        let without_loops = text
            .replace("$ref: '#/components/schemas/A'", "type: string")
            .replace("$ref: '#/components/schemas/C'", "type: string");
        parse(&without_loops, "s.yaml").unwrap();
    }

    #[test]
    fn missing_and_duplicate_operation_ids_are_named() {
        let text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n    put:\n      operationId: X\n      responses: {'200': {description: ok}}\n  /b:\n    get:\n      operationId: X\n      responses: {'200': {description: ok}}\n";
        let msg = format!("{:#}", parse(text, "s.yaml").unwrap_err());
        assert!(
            msg.contains("`paths./a.get`: the operation has no operationId"),
            "{msg}"
        );
        assert!(
            msg.contains("`paths./b.get`: operationId `X` is used by another"),
            "{msg}"
        );
    }

    #[test]
    fn unsupported_versions_say_what_to_do() {
        let err = |text: &str| format!("{:#}", parse(text, "given.yaml").unwrap_err());
        let msg = err("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n");
        assert!(
            msg.starts_with(
                "given.yaml: Swagger 2.0 is not supported: convert the spec to OpenAPI 3.0"
            ),
            "{msg}"
        );
        let msg = err("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
        assert!(
            msg.starts_with("given.yaml: OpenAPI 3.1.0 is not supported: the generator (progenitor) reads OpenAPI 3.0.x"),
            "{msg}"
        );
        let msg = err("openapi: 2.5.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
        assert!(
            msg.contains("given.yaml: at `openapi`: version `2.5.0` is not 3.0.x"),
            "{msg}"
        );
        let msg = err("info: {title: t, version: '1'}\npaths: {}\n");
        assert!(msg.contains("given.yaml: no `openapi` field"), "{msg}");
    }

    #[test]
    fn shape_errors_name_the_path() {
        let text = "openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n";
        let msg = format!("{:#}", parse(text, "s.yaml").unwrap_err());
        assert!(msg.contains("s.yaml: at `info`"), "{msg}");
    }
}
