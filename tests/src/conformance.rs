//! Conformance to the spec, judged from the spec itself (read as JSON, its
//! schemas compiled with the `jsonschema` crate as JSON Schema draft 4, the
//! dialect of OpenAPI 3.0): is a response one the spec declares, is a request
//! one it allows. Independent of the generated code, so that it can judge
//! both the client and the loopback server.

use std::fmt::Write as _;

use mrs_iam_sync_server::{Config, Server};
use serde_json::Value;

use crate::spec::{self, resolve};

/// The spec, with what a conformance check needs.
pub struct Spec {
    doc: Value,
}

/// A request as sent on the wire.
pub struct WireRequest<'a> {
    pub method: &'a str,
    /// The path, still percent-encoded.
    pub path: &'a str,
    /// Header names lower-case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// A response as received.
pub struct WireResponse<'a> {
    pub status: u16,
    /// Header names lower-case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// One operation of the spec, as found by method and path.
struct Found<'a> {
    id: String,
    operation: &'a Value,
    /// (name, raw value) of each path parameter.
    params: Vec<(String, String)>,
    /// The parameter objects of the path item and the operation.
    declared: Vec<&'a Value>,
}

impl Spec {
    /// The project's spec.
    pub fn load() -> Spec {
        Spec { doc: spec::load() }
    }

    /// The `operationId` of every operation, in document order.
    pub fn operation_ids(&self) -> Vec<String> {
        spec::operations(&self.doc)
            .into_iter()
            .map(|op| op.id)
            .collect()
    }

    /// The `operationId` of the operation at `method` `path`, if any.
    pub fn operation_id(&self, method: &str, path: &str) -> Option<String> {
        self.find(method, path).ok().map(|found| found.id)
    }

    fn find(&self, method: &str, path: &str) -> Result<Found<'_>, String> {
        self.find_by(path, |op_method| op_method.eq_ignore_ascii_case(method))
            .ok_or_else(|| format!("{method} {path} is no operation of the spec"))
    }

    /// The first operation whose method passes `method_matches` and whose
    /// template matches `path`.
    fn find_by(&self, path: &str, method_matches: impl Fn(&str) -> bool) -> Option<Found<'_>> {
        for op in spec::operations(&self.doc) {
            if !method_matches(&op.method) {
                continue;
            }
            let Some(params) = match_template(&op.path, path) else {
                continue;
            };
            let item = &self.doc["paths"][&op.path];
            let declared = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(
                    op.value
                        .get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .map(|p| resolve(&self.doc, p))
                .collect();
            return Some(Found {
                id: op.id,
                operation: op.value,
                params,
                declared,
            });
        }
        None
    }

    /// Checks a request against the spec: an operation of the spec, path
    /// parameters valid against their schemas, a security scheme's header,
    /// and a body (if any) that is `application/json` and valid against the
    /// request body's schema; a required body present.
    pub fn check_request(&self, request: &WireRequest<'_>) -> Result<(), String> {
        let found = self.find(request.method, request.path)?;
        let at = format!("{} ({} {})", found.id, request.method, request.path);
        for (name, raw) in &found.params {
            let param = found
                .declared
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == name.as_str())
                .ok_or_else(|| format!("{at}: `{name}` is not declared"))?;
            let decoded = percent_decode(raw)
                .ok_or_else(|| format!("{at}: `{name}` is not percent-encoded UTF-8"))?;
            self.validate(&param["schema"], &Value::String(decoded))
                .map_err(|problem| format!("{at}: path parameter `{name}`: {problem}"))?;
        }
        self.check_security(request.headers)
            .map_err(|problem| format!("{at}: {problem}"))?;
        let body = found
            .operation
            .get("requestBody")
            .map(|b| resolve(&self.doc, b));
        let empty = request.body.iter().all(u8::is_ascii_whitespace);
        match body {
            None if empty => Ok(()),
            None => Err(format!("{at}: a body where the spec declares none")),
            Some(body) if empty => {
                if body["required"] == true {
                    Err(format!("{at}: the spec requires a body"))
                } else {
                    Ok(())
                }
            }
            Some(body) => {
                let media = header(request.headers, "content-type").unwrap_or_default();
                let essence = media.split(';').next().unwrap_or_default().trim();
                let content = &body["content"][essence.to_ascii_lowercase()];
                if content.is_null() {
                    return Err(format!("{at}: a body sent as `{media}`, not declared"));
                }
                let json: Value = serde_json::from_slice(request.body)
                    .map_err(|err| format!("{at}: the body is not JSON: {err}"))?;
                self.validate(&content["schema"], &json)
                    .map_err(|problem| format!("{at}: request body: {problem}"))
            }
        }
    }

    /// Checks a response of the operation at `method` `path`: its status
    /// declared (exactly or as `4XX`/`5XX`), its declared headers present and
    /// valid, its content type declared, its body valid against the schema
    /// of that status. A 405 for a method the path does not have is held to
    /// the error responses of the path's operations.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        response: &WireResponse<'_>,
    ) -> Result<(), String> {
        let found = match self.find(method, path) {
            Err(_) if response.status == 405 => self
                .find_by(path, |_| true)
                .ok_or_else(|| format!("{path} is no path of the spec"))?,
            found => found?,
        };
        let at = format!("{} ({method} {path}) → {}", found.id, response.status);
        let responses = &found.operation["responses"];
        let class = format!("{}XX", response.status / 100);
        let declared = responses
            .get(response.status.to_string())
            .or_else(|| responses.get(&class))
            .map(|r| resolve(&self.doc, r))
            .ok_or_else(|| format!("{at}: status not declared"))?;
        for (name, spec_header) in declared
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let spec_header = resolve(&self.doc, spec_header);
            match header(response.headers, &name.to_ascii_lowercase()) {
                Some(value) => self
                    .validate(&spec_header["schema"], &Value::String(value.to_owned()))
                    .map_err(|problem| format!("{at}: header {name}: {problem}"))?,
                None if spec_header["required"] == true => {
                    return Err(format!("{at}: the required header {name} is missing"));
                }
                None => {}
            }
        }
        let Some(content) = declared.get("content").and_then(Value::as_object) else {
            return if response.body.is_empty() {
                Ok(())
            } else {
                Err(format!("{at}: a body where the spec declares none"))
            };
        };
        let media = header(response.headers, "content-type").unwrap_or_default();
        let essence = media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let media_type = content
            .get(&essence)
            .ok_or_else(|| format!("{at}: content type `{media}` not declared"))?;
        let json: Value = serde_json::from_slice(response.body).map_err(|err| {
            format!(
                "{at}: the body is not JSON ({err}): {}",
                String::from_utf8_lossy(response.body)
            )
        })?;
        self.validate(&media_type["schema"], &json)
            .map_err(|problem| format!("{at}: body {json}: {problem}"))
    }

    /// A request must carry the header of one of the spec's security
    /// schemes (`Authorization` for the signature, `X-Auth-Token`).
    fn check_security(&self, headers: &[(String, String)]) -> Result<(), String> {
        let schemes = self.doc["components"]["securitySchemes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let names: Vec<String> = self.doc["security"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|requirement| requirement.keys())
            .filter_map(|scheme| schemes.get(scheme))
            .filter(|scheme| scheme["in"] == "header")
            .filter_map(|scheme| scheme["name"].as_str())
            .map(str::to_ascii_lowercase)
            .collect();
        if names.is_empty() || names.iter().any(|name| header(headers, name).is_some()) {
            Ok(())
        } else {
            Err(format!(
                "no header of a security scheme ({})",
                names.join(", ")
            ))
        }
    }

    /// Validates `instance` against `schema`, a schema object of the spec
    /// (its `$ref`s resolve against the whole document).
    fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut root = self.doc.clone();
        let Value::Object(map) = &mut root else {
            return Err("the spec is not an object".into());
        };
        // The schema becomes the root's own: its keywords, with every
        // `#/components/...` reference still resolving in the document.
        for (key, value) in schema.as_object().into_iter().flatten() {
            map.insert(key.clone(), value.clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&root)
            .map_err(|err| format!("the schema does not compile: {err}"))?;
        let mut problems = String::new();
        for err in validator.iter_errors(instance) {
            let _ = write!(problems, "{} at `{}`; ", err, err.instance_path);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.trim_end_matches("; ").to_owned())
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The raw value of each `{parameter}` of `template` in `path`.
fn match_template(template: &str, path: &str) -> Option<Vec<(String, String)>> {
    let expected: Vec<&str> = template.split('/').collect();
    let actual: Vec<&str> = path.split('/').collect();
    if expected.len() != actual.len() {
        return None;
    }
    let mut params = Vec::new();
    for (want, got) in expected.iter().zip(&actual) {
        match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) => params.push((name.to_owned(), (*got).to_owned())),
            None if want == got => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Checks every request `server` received against the spec; panics naming
/// the first one that does not conform. For servers that only our client
/// talks to: every request it sends must be one the spec allows.
pub fn assert_requests_conform(server: &Server) {
    let spec = Spec::load();
    for recorded in server.requests() {
        let request = WireRequest {
            method: &recorded.method,
            path: &recorded.path,
            headers: &recorded.headers,
            body: &recorded.body,
        };
        if let Err(problem) = spec.check_request(&request) {
            panic!("the client sent a request the spec does not allow: {problem}");
        }
    }
}

/// A loopback server that only the client talks to: when it is dropped,
/// every request it received must conform to the spec
/// ([`assert_requests_conform`]).
pub struct ClientOnlyServer(Server);

impl ClientOnlyServer {
    /// Starts a loopback server on a free port.
    pub async fn start(config: Config) -> ClientOnlyServer {
        let server = Server::start(config, "127.0.0.1:0".parse().expect("an address"))
            .await
            .expect("the loopback server starts");
        ClientOnlyServer(server)
    }
}

impl std::ops::Deref for ClientOnlyServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.0
    }
}

impl Drop for ClientOnlyServer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_requests_conform(&self.0);
        }
    }
}
