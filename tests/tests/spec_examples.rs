//! Every example in the spec is a value the service accepts (#26): a spec
//! whose examples are refused misleads every reader and every tool that
//! sends them (Schemathesis' examples phase does).
//!
//! - Each example passes the generated rules (`mrs_iam_sync_rules`): the
//!   path parameters' examples their parameter's rule; each request body
//!   example (the schema's and the operation's) its body's rules; each
//!   name schema's example (`IamUserName`, `IamGroupName`) the rules of
//!   every request list whose items are of that schema; and the names in
//!   response examples (`SyncedIamPrincipals`) the request rules too, since
//!   callers send back the names they read.
//! - The loopback server with its default directory answers every one of
//!   those requests with the operation's success status.

use mrs_iam_sync_rules::{OPERATIONS, Operation, PATH_PARAMS};
use mrs_iam_sync_server::{Config, DEMO_TOKEN, Server};
use mrs_iam_sync_tests::spec;
use serde_json::{Value, json};

/// A request an example makes: an operation, and the body (if any).
struct Request {
    from: String,
    operation: &'static Operation,
    body: Option<Value>,
}

fn operation(name: &str) -> &'static Operation {
    OPERATIONS
        .iter()
        .find(|op| op.name == name)
        .unwrap_or_else(|| panic!("no operation {name}"))
}

/// The component schema a request body of `op` refers to.
fn body_schema(op: &spec::Operation<'_>) -> Option<String> {
    op.value["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}

/// Every request the spec's examples make.
fn example_requests(doc: &Value) -> Vec<Request> {
    let schemas = &doc["components"]["schemas"];
    let mut requests = Vec::new();
    for op in spec::operations(doc) {
        let operation = operation(&op.id);
        requests.push(Request {
            from: format!("{}'s path parameter examples", op.id),
            operation,
            body: None,
        });
        let Some(schema_name) = body_schema(&op) else {
            continue;
        };
        let media = &op.value["requestBody"]["content"]["application/json"];
        for (name, example) in spec::media_examples(doc, media) {
            requests.push(Request {
                from: format!("{}'s request example {name}", op.id),
                operation,
                body: Some(example),
            });
        }
        let schema = &schemas[&schema_name];
        if let Some(example) = schema.get("example") {
            requests.push(Request {
                from: format!("{schema_name}'s example"),
                operation,
                body: Some(example.clone()),
            });
        }
        // Each property's items: their schema's example, as a list of one.
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let items = spec::resolve(doc, &value["items"]);
            if let Some(example) = items.get("example") {
                requests.push(Request {
                    from: format!(
                        "the example of {schema_name}.{property}'s items ({})",
                        value["items"]["$ref"].as_str().unwrap_or("inline")
                    ),
                    operation,
                    body: Some(json!({ property: [example] })),
                });
            }
        }
        // Names that responses show, sent back as this request's lists
        // (only for the bodies that take such lists).
        if op.id == "UpdateSyncIamUser" {
            for (name, schema) in schemas.as_object().unwrap() {
                let Some(example) = schema.get("example").and_then(Value::as_object) else {
                    continue;
                };
                let names: serde_json::Map<String, Value> = example
                    .iter()
                    .filter(|(key, _)| key.ends_with("_names"))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                if !names.is_empty() && *name != schema_name {
                    requests.push(Request {
                        from: format!("the names in {name}'s example"),
                        operation,
                        body: Some(Value::Object(names)),
                    });
                }
            }
        }
    }
    requests
}

/// The path with every parameter replaced by its example.
fn example_path(doc: &Value, operation: &Operation) -> String {
    let mut path = operation.path.to_owned();
    for param in PATH_PARAMS {
        let example = doc["components"]["parameters"]
            .as_object()
            .unwrap()
            .values()
            .find(|p| p["name"] == param.name)
            .and_then(|p| p["example"].as_str())
            .unwrap_or_else(|| panic!("{} has no example", param.name));
        path = path.replace(&format!("{{{}}}", param.name), example);
    }
    path
}

#[test]
fn every_example_passes_the_generated_rules() {
    let doc = spec::load();
    // Path parameters: the parameter's example and its schema's.
    let mut checked = 0;
    for param in PATH_PARAMS {
        for parameter in doc["components"]["parameters"]
            .as_object()
            .unwrap()
            .values()
        {
            if parameter["name"] != param.name {
                continue;
            }
            let schema = spec::resolve(&doc, &parameter["schema"]);
            for example in [&parameter["example"], &schema["example"]] {
                let example = example.as_str().expect("a string example");
                param
                    .check(example)
                    .unwrap_or_else(|err| panic!("{}'s example {example}: {err}", param.name));
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * PATH_PARAMS.len());
    let requests = example_requests(&doc);
    let bodies = requests.iter().filter(|r| r.body.is_some()).count();
    // The spec's 2 + 1 media examples, 2 body schema examples, 4 item
    // examples and the names of 1 response example, at the least.
    assert!(bodies >= 10, "only {bodies} example bodies found");
    for request in &requests {
        let (Some(body), Some(rules)) = (&request.body, request.operation.body_rules) else {
            continue;
        };
        rules
            .check_value(body)
            .unwrap_or_else(|err| panic!("{}: {body} breaks a rule: {err}", request.from));
    }
}

#[tokio::test]
async fn every_example_is_accepted_by_the_loopback_server() {
    let doc = spec::load();
    let server = Server::start(
        Config {
            // A sync ends at once: the next example's request finds none
            // running.
            sync_duration: std::time::Duration::ZERO,
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    // reqwest's TLS has no default crypto provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for request in example_requests(&doc) {
        let url = format!(
            "{}{}",
            server.base_url(),
            example_path(&doc, request.operation)
        );
        let mut builder = http
            .request(request.operation.method.parse().unwrap(), url)
            .header("X-Auth-Token", DEMO_TOKEN);
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(
            status, request.operation.success_status,
            "{} ({} {}, body {:?}): {text}",
            request.from, request.operation.method, request.operation.path, request.body
        );
    }
}

/// The `values` of `[dictionaries.NAME]` in CI's Schemathesis configuration.
fn schemathesis_dictionary(config: &str, name: &str) -> Vec<String> {
    let section = format!("[dictionaries.{name}]");
    let after = config
        .split_once(&section)
        .unwrap_or_else(|| panic!("no {section} in .ci/schemathesis.toml"))
        .1;
    let values = after
        .lines()
        .find_map(|line| line.trim().strip_prefix("values = "))
        .unwrap_or_else(|| panic!("{section} has no values"));
    serde_json::from_str(values).unwrap_or_else(|err| panic!("{section}: {values}: {err}"))
}

/// CI's Schemathesis run draws UpdateSyncIamUser's names from dictionaries
/// (so that a valid request must be accepted): they are the loopback
/// server's default directory, every user and every group.
#[test]
fn the_schemathesis_dictionaries_are_the_servers_directory() {
    let path = spec::workspace_root().join(".ci/schemathesis.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let directory = Config::default();
    let mut users: Vec<String> = directory.iam_users.iter().map(|u| u.name.clone()).collect();
    let mut groups: Vec<String> = directory
        .iam_users
        .iter()
        .flat_map(|u| u.groups.iter().cloned())
        .chain(directory.iam_groups.iter().cloned())
        .collect();
    for names in [&mut users, &mut groups] {
        names.sort();
        names.dedup();
    }
    let sorted = |mut names: Vec<String>| {
        names.sort();
        names
    };
    assert_eq!(sorted(schemathesis_dictionary(&config, "iam-users")), users);
    assert_eq!(
        sorted(schemathesis_dictionary(&config, "iam-groups")),
        groups
    );
}
