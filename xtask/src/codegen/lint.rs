//! The soundness rules of the spec, beyond what loading already enforces.
//!
//! Each problem names its place in the document (a dotted path) and the rule
//! it breaks.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::codegen::spec::{self, METHODS, Spec, pointer_token, walk};

/// What the lint found, and what it looked at.
pub struct Report {
    pub problems: Vec<String>,
    pub operations: usize,
    pub path_parameters: usize,
    pub examples: usize,
}

pub fn lint(spec: &Spec) -> Report {
    let mut report = Report {
        problems: Vec::new(),
        operations: 0,
        path_parameters: 0,
        examples: 0,
    };
    check_operations(spec, &mut report);
    check_examples(&spec.json, &mut report);
    report
}

fn check_operations(spec: &Spec, report: &mut Report) {
    let doc = &spec.json;
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (template, item) in paths {
        let item = spec::resolve(doc, item).value;
        let placeholders = placeholders(template);
        let shared = item.get("parameters").and_then(Value::as_array);
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            report.operations += 1;
            let at = format!("paths.{template}.{method}");
            // Operation parameters override path-item ones of the same name.
            let mut declared = BTreeSet::new();
            let own = operation.get("parameters").and_then(Value::as_array);
            for param in own
                .into_iter()
                .flatten()
                .chain(shared.into_iter().flatten())
            {
                let param = spec::resolve(doc, param).value;
                if param.get("in").and_then(Value::as_str) != Some("path") {
                    continue;
                }
                let Some(name) = param.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if !declared.insert(name.to_owned()) {
                    continue;
                }
                report.path_parameters += 1;
                check_path_parameter(doc, &at, name, param, &placeholders, report);
            }
            for name in placeholders.difference(&declared) {
                report.problems.push(format!(
                    "at `{at}`: `{{{name}}}` appears in the path but is not declared as a path parameter"
                ));
            }
            if let Some(responses) = operation.get("responses")
                && responses.get("default").is_some()
            {
                report.problems.push(format!(
                    "at `{at}.responses.default`: `default` responses are not allowed \
                     (the generator cannot handle them); use `4XX` and `5XX`"
                ));
            }
        }
    }
}

fn check_path_parameter(
    doc: &Value,
    at: &str,
    name: &str,
    param: &Value,
    placeholders: &BTreeSet<String>,
    report: &mut Report,
) {
    if !placeholders.contains(name) {
        report.problems.push(format!(
            "at `{at}`: path parameter `{name}` is declared but `{{{name}}}` is not in the path"
        ));
    }
    if param.get("required").and_then(Value::as_bool) != Some(true) {
        report.problems.push(format!(
            "at `{at}`: path parameter `{name}` must be `required: true`"
        ));
    }
    let schema = param.get("schema").map(|s| spec::resolve(doc, s).value);
    let Some(schema) = schema else {
        report
            .problems
            .push(format!("at `{at}`: path parameter `{name}` has no schema"));
        return;
    };
    if schema.get("type").and_then(Value::as_str) != Some("string") || schema.get("enum").is_some()
    {
        return;
    }
    let missing: Vec<&str> = ["pattern", "minLength", "maxLength"]
        .into_iter()
        .filter(|rule| schema.get(rule).is_none())
        .collect();
    if !missing.is_empty() {
        report.problems.push(format!(
            "at `{at}`: string path parameter `{name}` is unconstrained: its schema lacks {} \
             (an id that reaches the URL must be checked before a request is sent)",
            missing.join(", ")
        ));
    }
}

/// The `{name}` placeholders of a path template.
fn placeholders(template: &str) -> BTreeSet<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Checks every example against its schema: media-type and parameter
/// `example`/`examples` against their `schema`, and schema `example`s
/// against the schema that holds them.
fn check_examples(doc: &Value, report: &mut Report) {
    let mut found: Vec<(String, String, Value)> = Vec::new();
    walk(doc, &mut String::new(), &mut |at, value| {
        let Some(object) = value.as_object() else {
            return;
        };
        if object.contains_key("schema") {
            let schema_at = format!("{at}.schema");
            if let Some(example) = object.get("example") {
                found.push((format!("{at}.example"), schema_at.clone(), example.clone()));
            }
            if let Some(Value::Object(examples)) = object.get("examples") {
                for (name, example) in examples {
                    if let Some(example) = spec::resolve(doc, example).value.get("value") {
                        found.push((
                            format!("{at}.examples.{name}"),
                            schema_at.clone(),
                            example.clone(),
                        ));
                    }
                }
            }
        } else if let Some(example) = object.get("example")
            && is_schema(object)
        {
            found.push((format!("{at}.example"), at.to_owned(), example.clone()));
        }
    });
    for (example_at, schema_at, example) in found {
        report.examples += 1;
        if let Err(problem) = validate(doc, &schema_at, &example) {
            report.problems.push(format!(
                "at `{example_at}`: the example does not match its schema (`{schema_at}`): {problem}"
            ));
        }
    }
}

fn is_schema(object: &serde_json::Map<String, Value>) -> bool {
    [
        "type",
        "properties",
        "items",
        "allOf",
        "oneOf",
        "anyOf",
        "$ref",
        "enum",
    ]
    .iter()
    .any(|key| object.contains_key(*key))
}

/// Validates `instance` against the schema at the dotted location `at`.
///
/// The validator's root is the whole document with a `$ref` to the schema,
/// so that `#/components/...` references inside it resolve as they do in
/// the spec. OpenAPI 3.0 schemas are a JSON Schema draft 4 dialect.
fn validate(doc: &Value, at: &str, instance: &Value) -> Result<(), String> {
    let pointer = dotted_to_pointer(doc, at).ok_or_else(|| format!("no schema at `{at}`"))?;
    let mut root = doc.clone();
    if let Value::Object(map) = &mut root {
        map.insert(
            "$ref".into(),
            Value::String(format!("#{}", fragment(&pointer))),
        );
    }
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&root)
        .map_err(|err| format!("the schema does not compile: {err}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|err| {
            let place = err.instance_path.to_string();
            let place = if place.is_empty() {
                "/".to_owned()
            } else {
                place
            };
            format!("{place}: {err}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Percent-encodes a JSON pointer for a URI fragment: `{` and `}` of path
/// templates (and anything else outside RFC 3986's fragment characters) are
/// not valid in a `$ref` as they are.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Turns a dotted location from `walk` back into a JSON pointer by walking
/// the document (keys may contain dots, so the path is matched, not split).
fn dotted_to_pointer(doc: &Value, at: &str) -> Option<String> {
    let mut pointer = String::new();
    let mut value = doc;
    let mut rest = at;
    while !rest.is_empty() {
        let step = match value {
            Value::Object(map) => map
                .keys()
                .filter(|key| {
                    rest == key.as_str()
                        || rest
                            .strip_prefix(key.as_str())
                            .is_some_and(|r| r.starts_with(['.', '[']))
                })
                .max_by_key(|key| key.len())?
                .clone(),
            Value::Array(_) => {
                let close = rest.find(']')?;
                rest[1..close].to_owned()
            }
            _ => return None,
        };
        let consumed = if value.is_array() {
            step.len() + 2
        } else {
            step.len()
        };
        pointer.push('/');
        pointer.push_str(&pointer_token(&step));
        value = match value {
            Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => value.get(&step)?,
        };
        rest = rest[consumed..]
            .strip_prefix('.')
            .unwrap_or(&rest[consumed..]);
    }
    Some(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::spec::parse;

    fn problems(text: &str) -> Vec<String> {
        lint(&parse(text, "t.yaml").unwrap()).problems
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";

    #[test]
    fn the_project_spec_is_sound() {
        let root = crate::workspace_root().unwrap();
        let spec = crate::codegen::spec::load(&root.join(crate::paths::SPEC), "spec").unwrap();
        let report = lint(&spec);
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert_eq!(report.operations, 5);
        assert_eq!(report.path_parameters, 10);
        assert!(
            report.examples >= 15,
            "only {} examples seen",
            report.examples
        );
    }

    #[test]
    fn placeholders_and_declarations_must_match() {
        let text = format!(
            "{HEAD}paths:\n  /a/{{x}}:\n    get:\n      operationId: A\n      parameters:\n        - {{name: y, in: path, required: true, schema: {{type: integer}}}}\n      responses: {{'200': {{description: ok}}}}\n"
        );
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.contains("`{x}` appears in the path but is not declared")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.contains("`y` is declared but `{y}` is not in the path")),
            "{found:?}"
        );
    }

    #[test]
    fn string_path_parameters_must_be_constrained() {
        let text = format!(
            "{HEAD}paths:\n  /a/{{x}}:\n    get:\n      operationId: A\n      parameters:\n        - {{name: x, in: path, required: true, schema: {{type: string, maxLength: 3}}}}\n      responses: {{'200': {{description: ok}}}}\n"
        );
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.contains("`x` is unconstrained: its schema lacks pattern, minLength")),
            "{found:?}"
        );
    }

    #[test]
    fn default_responses_are_refused() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      operationId: A\n      responses: {{default: {{description: any}}}}\n"
        );
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.contains("paths./a.get.responses.default")),
            "{found:?}"
        );
    }

    #[test]
    fn examples_are_validated_through_refs() {
        let text = format!(
            "{HEAD}paths:\n  /a:\n    get:\n      operationId: A\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/S'}}\n              examples:\n                bad: {{value: {{flag: 'yes'}}}}\ncomponents:\n  schemas:\n    S:\n      type: object\n      required: [flag]\n      properties: {{flag: {{type: boolean}}}}\n      example: {{}}\n"
        );
        let found = problems(&text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .any(|p| p.contains("examples.bad") && p.contains("/flag")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.contains("components.schemas.S.example") && p.contains("flag")),
            "{found:?}"
        );
    }
}
