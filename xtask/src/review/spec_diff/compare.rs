//! The spec-level comparison: operations, parameters, bodies, responses and
//! schemas, with `$ref`s followed on both sides.
//!
//! Policy for references: the walk starts at the operations and follows every
//! `$ref`, so moving a schema behind a `$ref` (or inlining one) is not a
//! change, and a change inside a referenced component is reported at each
//! place that uses it (each operation, parameter, status and media type),
//! which tells the reviewer exactly which calls are affected; within one
//! place, at the first property path that reaches it (a component reached
//! again through another property is not walked again). A `$ref` that
//! now names another component is reported once, as
//! `schema-ref-target-changed`, and the two targets are then compared.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::language::{self, Relation};
use super::rules::{self, BOUNDS, FLAGS};
use super::security;
use super::{Change, Level};
use crate::codegen::spec::{METHODS, Resolved, resolve};

/// How deep schemas are walked before giving up (recursive schemas stop
/// earlier, at the first repeated pair of references).
const MAX_DEPTH: usize = 48;

/// Compares two documents (plain JSON, references unresolved).
pub fn compare(base: &Value, head: &Value) -> Vec<Change> {
    let mut cx = Cx {
        base,
        head,
        out: Vec::new(),
        compared: BTreeSet::new(),
        component: None,
    };
    cx.operations();
    for (rule, location, message) in security::security_schemes(base, head)
        .into_iter()
        .chain(security::servers(base, head))
    {
        cx.push(rule, &location, message);
    }
    cx.out.sort_by(|a, b| {
        (a.level, &a.location, &a.rule, &a.message).cmp(&(
            b.level,
            &b.location,
            &b.rule,
            &b.message,
        ))
    });
    cx.out.dedup();
    cx.out
}

/// Which side of the exchange a schema describes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// A parameter the client sends.
    Parameter,
    /// A request body the client sends.
    Request,
    /// A response body the client reads.
    Response,
    /// A response header the client reads.
    ResponseHeader,
}

impl Dir {
    fn request(self) -> bool {
        matches!(self, Dir::Parameter | Dir::Request)
    }

    /// The rule prefix for a schema at `path` (empty: the root).
    fn prefix(self, path: &str) -> &'static str {
        match (self, path.is_empty()) {
            (Dir::Parameter, _) => "request-parameter",
            (Dir::Request, true) => "request-body",
            (Dir::Request, false) => "request-property",
            (Dir::Response, true) => "response-body",
            (Dir::Response, false) => "response-property",
            (Dir::ResponseHeader, _) => "response-header",
        }
    }
}

struct Cx<'a> {
    base: &'a Value,
    head: &'a Value,
    out: Vec<Change>,
    /// The pairs of referenced schemas already compared at each place
    /// (operation, parameter, status, media type): a component reached
    /// again there through another property is not walked again, so that
    /// shared components (a diamond of references) cost once, not once per
    /// path to them, which grows exponentially with depth.
    compared: BTreeSet<(String, Option<&'a str>, Option<&'a str>)>,
    /// The component (`#/components/schemas/ClusterId`) the schema being
    /// compared was reached through, if any: a change inside it is one
    /// change of that component, shown once for all the places it reaches.
    component: Option<&'a str>,
}

/// One operation, found by method and path template.
struct Op<'a> {
    method: &'a str,
    path: &'a str,
    item: &'a Value,
    op: &'a Value,
}

impl Op<'_> {
    fn id(&self) -> &str {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn deprecated(&self) -> bool {
        self.op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn location(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// `/a/{x}/b` and `/a/{y}/b` are the same path: parameter names do not count.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

fn operations(doc: &Value) -> BTreeMap<(String, String), Op<'_>> {
    let mut ops = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths {
        let item = resolve(doc, item).value;
        for method in METHODS {
            if let Some(op) = item.get(method).filter(|op| op.is_object()) {
                ops.insert(
                    (normalize(path), method.to_string()),
                    Op {
                        method,
                        path,
                        item,
                        op,
                    },
                );
            }
        }
    }
    ops
}

/// An empty JSON object, for absent maps.
fn empty() -> &'static serde_json::Map<String, Value> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(serde_json::Map::new)
}

/// The object `value` is, or an empty one.
fn object(value: Option<&Value>) -> &serde_json::Map<String, Value> {
    match value.and_then(Value::as_object) {
        Some(map) => map,
        None => empty(),
    }
}

/// A place plus a property path.
fn join(at: &str, path: &str) -> String {
    if path.is_empty() {
        at.to_string()
    } else {
        format!("{at} {path}")
    }
}

/// A pattern's witness as the review shows it: quoted with escapes (a
/// space or a control character stays visible), or named when empty.
fn witness(value: &str) -> String {
    if value.is_empty() {
        "the empty value".to_owned()
    } else {
        format!("{value:?}")
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => super::render::code(s),
        other => super::render::code(&other.to_string()),
    }
}

/// The schema inside a single-schema `allOf` that only annotates it
/// (`allOf: [$ref]` plus a description, the usual way to describe a
/// reference): both mean the same type.
fn single_all_of(value: &Value) -> Option<&Value> {
    const ANNOTATIONS: [&str; 8] = [
        "allOf",
        "description",
        "title",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
    ];
    let map = value.as_object()?;
    let [only] = map.get("allOf")?.as_array()?.as_slice() else {
        return None;
    };
    map.keys()
        .all(|key| ANNOTATIONS.contains(&key.as_str()) || key.starts_with("x-"))
        .then_some(only)
}

/// Follows `$ref`s and single-schema `allOf` wrappers to the schema meant.
fn schema_target<'v>(doc: &'v Value, value: &'v Value) -> Resolved<'v> {
    let mut target = resolve(doc, value);
    for _ in 0..MAX_DEPTH {
        let Some(inner) = single_all_of(target.value) else {
            break;
        };
        let next = resolve(doc, inner);
        target = Resolved {
            value: next.value,
            reference: next.reference.or(target.reference),
        };
    }
    target
}

/// The `$ref` a schema is, directly or through a single-schema `allOf`.
fn direct_ref(value: &Value) -> Option<&str> {
    let value = single_all_of(value).unwrap_or(value);
    value.get("$ref").and_then(Value::as_str)
}

/// The last segment of a reference: `#/components/schemas/ClusterId` →
/// `ClusterId`.
fn short(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Pairs the alternatives of two `allOf`/`oneOf`/`anyOf` lists by content,
/// not by position: first the identical ones, then those that name the same
/// component, then those of the same kind (same `type`, and for objects at
/// least one property in common). Returns the pairs and the indices left on
/// each side.
fn match_alternatives(
    (bdoc, bl): (&Value, &[Value]),
    (hdoc, hl): (&Value, &[Value]),
) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let target = |doc, v| schema_target(doc, v).value;
    let same_content = |i: usize, j: usize| target(bdoc, &bl[i]) == target(hdoc, &hl[j]);
    let same_component = |i: usize, j: usize| {
        direct_ref(&bl[i]).is_some_and(|r| Some(short(r)) == direct_ref(&hl[j]).map(short))
    };
    let same_kind = |i: usize, j: usize| {
        let (b, h) = (target(bdoc, &bl[i]), target(hdoc, &hl[j]));
        let props = |v: &Value| -> BTreeSet<String> {
            object(v.get("properties")).keys().cloned().collect()
        };
        let (bp, hp) = (props(b), props(h));
        b.get("type") == h.get("type") && (bp.is_empty() && hp.is_empty() || !bp.is_disjoint(&hp))
    };
    let passes: [&dyn Fn(usize, usize) -> bool; 3] = [&same_content, &same_component, &same_kind];
    let mut left_b: Vec<usize> = (0..bl.len()).collect();
    let mut left_h: Vec<usize> = (0..hl.len()).collect();
    let mut pairs = Vec::new();
    for pass in passes {
        left_b.retain(|&i| match left_h.iter().position(|&j| pass(i, j)) {
            Some(at) => {
                pairs.push((i, left_h.remove(at)));
                false
            }
            None => true,
        });
    }
    (pairs, left_b, left_h)
}

fn show_opt(value: Option<&Value>) -> String {
    value.map_or_else(|| "none".to_string(), show)
}

impl<'a> Cx<'a> {
    fn push(&mut self, rule: &str, location: &str, message: String) {
        // Every rule is in the table (a test checks it); an unknown one would
        // be a bug here, reported as a warning rather than a panic.
        let level = rules::level(rule).unwrap_or(Level::Warn);
        self.out.push(Change {
            level,
            rule: rule.to_string(),
            location: location.to_string(),
            message,
            component: self.component.map(|c| short(c).to_string()),
        });
    }

    fn operations(&mut self) {
        let base_ops = operations(self.base);
        let head_ops = operations(self.head);
        for (key, b) in &base_ops {
            match head_ops.get(key) {
                None => {
                    let rule = if b.deprecated() {
                        "api-removed-with-deprecation"
                    } else {
                        "api-removed-without-deprecation"
                    };
                    self.push(
                        rule,
                        &b.location(),
                        format!("removed the operation `{}`", b.id()),
                    );
                }
                Some(h) => self.operation(b, h),
            }
        }
        for (key, h) in &head_ops {
            if !base_ops.contains_key(key) {
                self.push(
                    "endpoint-added",
                    &h.location(),
                    format!("added the operation `{}`", h.id()),
                );
            }
        }
    }

    fn operation(&mut self, b: &Op<'a>, h: &Op<'a>) {
        let loc = h.location();
        if b.id() != h.id() {
            self.push(
                "api-operation-id-updated",
                &loc,
                format!(
                    "operationId changed from `{}` to `{}`: the Rust method is renamed",
                    b.id(),
                    h.id()
                ),
            );
        }
        match (b.deprecated(), h.deprecated()) {
            (false, true) => self.push(
                "endpoint-deprecated",
                &loc,
                format!("`{}` became deprecated", h.id()),
            ),
            (true, false) => self.push(
                "endpoint-reactivated",
                &loc,
                format!("`{}` is no longer deprecated", h.id()),
            ),
            _ => {}
        }
        for (rule, at, message) in
            security::operation_security(&loc, (self.base, b.op), (self.head, h.op))
        {
            self.push(rule, &at, message);
        }
        self.parameters(&loc, b, h);
        self.request_body(&loc, b.op.get("requestBody"), h.op.get("requestBody"));
        self.responses(&loc, b.op.get("responses"), h.op.get("responses"));
    }

    /// The parameters of an operation by (in, name): the operation's own
    /// override the path item's. Header names are matched without regard to
    /// case, as HTTP does.
    fn params(doc: &'a Value, op: &Op<'a>) -> BTreeMap<(String, String), &'a Value> {
        let mut out = BTreeMap::new();
        let shared = op.item.get("parameters").and_then(Value::as_array);
        let own = op.op.get("parameters").and_then(Value::as_array);
        for param in shared
            .into_iter()
            .flatten()
            .chain(own.into_iter().flatten())
        {
            let param = resolve(doc, param).value;
            let name = param.get("name").and_then(Value::as_str).unwrap_or("");
            let place = param.get("in").and_then(Value::as_str).unwrap_or("");
            let name = if place == "header" {
                name.to_ascii_lowercase()
            } else {
                name.to_string()
            };
            out.insert((place.to_string(), name), param);
        }
        out
    }

    fn parameters(&mut self, loc: &str, b: &Op<'a>, h: &Op<'a>) {
        let base = Self::params(self.base, b);
        let head = Self::params(self.head, h);
        let required = |p: &Value| p.get("required").and_then(Value::as_bool).unwrap_or(false);
        // Shown as the head (else the base) spells it; matched by the key.
        let shown = |p: &Value| {
            p.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        for ((place, key), bp) in &base {
            let name = head
                .get(&(place.clone(), key.clone()))
                .map_or_else(|| shown(bp), |hp| shown(hp));
            let at = format!("{loc} parameter {place} {name}");
            match head.get(&(place.clone(), key.clone())) {
                None => self.push(
                    "request-parameter-removed",
                    &at,
                    format!("removed the {place} parameter `{name}`"),
                ),
                Some(hp) => {
                    match (required(bp), required(hp)) {
                        (false, true) => self.push(
                            "request-parameter-became-required",
                            &at,
                            format!("the {place} parameter `{name}` became required"),
                        ),
                        (true, false) => self.push(
                            "request-parameter-became-optional",
                            &at,
                            format!("the {place} parameter `{name}` became optional"),
                        ),
                        _ => {}
                    }
                    if let (Some(bs), Some(hs)) = (bp.get("schema"), hp.get("schema")) {
                        self.schema(Dir::Parameter, &at, "", bs, hs, &mut Vec::new());
                    }
                }
            }
        }
        for ((place, key), hp) in &head {
            if !base.contains_key(&(place.clone(), key.clone())) {
                let name = shown(hp);
                let at = format!("{loc} parameter {place} {name}");
                if required(hp) {
                    self.push(
                        "new-required-request-parameter",
                        &at,
                        format!("added the required {place} parameter `{name}`"),
                    );
                } else {
                    self.push(
                        "new-optional-request-parameter",
                        &at,
                        format!("added the optional {place} parameter `{name}`"),
                    );
                }
            }
        }
    }

    fn request_body(&mut self, loc: &str, b: Option<&'a Value>, h: Option<&'a Value>) {
        let at = format!("{loc} request");
        let b = b.map(|v| resolve(self.base, v).value);
        let h = h.map(|v| resolve(self.head, v).value);
        let required = |v: &Value| v.get("required").and_then(Value::as_bool).unwrap_or(false);
        match (b, h) {
            (None, None) => {}
            (None, Some(h)) => {
                if required(h) {
                    self.push(
                        "request-body-added-required",
                        &at,
                        "added a required request body".into(),
                    );
                } else {
                    self.push(
                        "request-body-added-optional",
                        &at,
                        "added an optional request body".into(),
                    );
                }
            }
            (Some(_), None) => self.push(
                "request-body-removed",
                &at,
                "removed the request body".into(),
            ),
            (Some(b), Some(h)) => {
                match (required(b), required(h)) {
                    (false, true) => self.push(
                        "request-body-became-required",
                        &at,
                        "the request body became required".into(),
                    ),
                    (true, false) => self.push(
                        "request-body-became-optional",
                        &at,
                        "the request body became optional".into(),
                    ),
                    _ => {}
                }
                self.content(Dir::Request, &at, b.get("content"), h.get("content"));
            }
        }
    }

    fn responses(&mut self, loc: &str, b: Option<&'a Value>, h: Option<&'a Value>) {
        let b = object(b);
        let h = object(h);
        let success = |status: &str| status.starts_with('2');
        for (status, bv) in b {
            let at = format!("{loc} response {status}");
            match h.get(status) {
                None if success(status) => self.push(
                    "response-success-status-removed",
                    &at,
                    format!("removed the success response with the status {status}"),
                ),
                None => self.push(
                    "response-non-success-status-removed",
                    &at,
                    format!("removed the non-success response with the status {status}"),
                ),
                Some(hv) => {
                    let bv = resolve(self.base, bv).value;
                    let hv = resolve(self.head, hv).value;
                    self.headers(&at, bv.get("headers"), hv.get("headers"));
                    self.content(Dir::Response, &at, bv.get("content"), hv.get("content"));
                }
            }
        }
        for status in h.keys() {
            if !b.contains_key(status) {
                let at = format!("{loc} response {status}");
                if success(status) {
                    self.push(
                        "response-success-status-added",
                        &at,
                        format!("added the success response with the status {status}"),
                    );
                } else {
                    self.push(
                        "response-non-success-status-added",
                        &at,
                        format!("added the non-success response with the status {status}"),
                    );
                }
            }
        }
    }

    /// Compares the headers of one response (names without regard to case;
    /// `Content-Type` is the media type's business, as OpenAPI says).
    fn headers(&mut self, at: &str, b: Option<&'a Value>, h: Option<&'a Value>) {
        let by_name = |doc: &'a Value, headers: Option<&'a Value>| {
            object(headers)
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                .map(|(name, header)| {
                    (
                        name.to_ascii_lowercase(),
                        (name.as_str(), resolve(doc, header).value),
                    )
                })
                .collect::<BTreeMap<String, (&str, &Value)>>()
        };
        let (bh, hh) = (by_name(self.base, b), by_name(self.head, h));
        let required = |v: &Value| v.get("required").and_then(Value::as_bool).unwrap_or(false);
        for (key, (name, bv)) in &bh {
            let hat = format!("{at} header {name}");
            let Some((_, hv)) = hh.get(key) else {
                let (rule, kind) = if required(bv) {
                    ("required-response-header-removed", "required")
                } else {
                    ("optional-response-header-removed", "optional")
                };
                self.push(rule, &hat, format!("removed the {kind} header `{name}`"));
                continue;
            };
            match (required(bv), required(hv)) {
                (true, false) => self.push(
                    "response-header-became-optional",
                    &hat,
                    format!("the header `{name}` became optional"),
                ),
                (false, true) => self.push(
                    "response-header-became-required",
                    &hat,
                    format!("the header `{name}` became required"),
                ),
                _ => {}
            }
            if let (Some(bs), Some(hs)) = (bv.get("schema"), hv.get("schema")) {
                self.schema(Dir::ResponseHeader, &hat, "", bs, hs, &mut Vec::new());
            }
        }
        for (key, (name, hv)) in &hh {
            if !bh.contains_key(key) {
                let kind = if required(hv) { "required" } else { "optional" };
                self.push(
                    "response-header-added",
                    &format!("{at} header {name}"),
                    format!("added the {kind} header `{name}`"),
                );
            }
        }
    }

    fn content(&mut self, dir: Dir, at: &str, b: Option<&'a Value>, h: Option<&'a Value>) {
        let b = object(b);
        let h = object(h);
        let (removed, added) = match dir {
            Dir::Response => ("response-media-type-removed", "response-media-type-added"),
            _ => (
                "request-body-media-type-removed",
                "request-body-media-type-added",
            ),
        };
        for (media, bm) in b {
            match h.get(media) {
                None => self.push(
                    removed,
                    &format!("{at} {media}"),
                    format!("removed the media type `{media}`"),
                ),
                Some(hm) => {
                    if let (Some(bs), Some(hs)) = (bm.get("schema"), hm.get("schema")) {
                        self.schema(dir, &format!("{at} {media}"), "", bs, hs, &mut Vec::new());
                    }
                }
            }
        }
        for media in h.keys() {
            if !b.contains_key(media) {
                self.push(
                    added,
                    &format!("{at} {media}"),
                    format!("added the media type `{media}`"),
                );
            }
        }
    }

    /// Compares two schemas at `path` (dotted property path; empty: the
    /// root of a body or a parameter). `seen` holds the reference pairs on the
    /// way here, so that recursive schemas end.
    fn schema(
        &mut self,
        dir: Dir,
        at: &str,
        path: &str,
        b: &'a Value,
        h: &'a Value,
        seen: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let br = schema_target(self.base, b);
        let hr = schema_target(self.head, h);
        let pair = (br.reference, hr.reference);
        if seen.len() >= MAX_DEPTH || (pair != (None, None) && seen.contains(&pair)) {
            return;
        }
        let loc = join(at, path);
        // A direct `$ref` on both sides that names another component.
        if let (Some(from), Some(to)) = (direct_ref(b), direct_ref(h))
            && from != to
        {
            self.push(
                "schema-ref-target-changed",
                &loc,
                format!("the schema now refers to `{to}` instead of `{from}`"),
            );
        }
        if pair != (None, None) && !self.compared.insert((at.to_owned(), pair.0, pair.1)) {
            return;
        }
        seen.push(pair);
        let outer = self.component;
        self.component = hr.reference.or(br.reference).or(outer);
        self.schema_values(dir, at, path, br.value, hr.value, seen);
        self.component = outer;
        seen.pop();
    }

    fn schema_values(
        &mut self,
        dir: Dir,
        at: &str,
        path: &str,
        b: &'a Value,
        h: &'a Value,
        seen: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let loc = &join(at, path);
        let prefix = dir.prefix(path);
        let what = if path.is_empty() {
            String::new()
        } else {
            format!(" of `{path}`")
        };
        // Type and format.
        for key in ["type", "format"] {
            let (bt, ht) = (b.get(key), h.get(key));
            if bt != ht {
                self.push(
                    &format!("{prefix}-type-changed"),
                    loc,
                    format!(
                        "the {key}{what} changed from {} to {}",
                        show_opt(bt),
                        show_opt(ht)
                    ),
                );
            }
        }
        self.enums(prefix, loc, &what, b.get("enum"), h.get("enum"));
        self.patterns(prefix, loc, &what, b.get("pattern"), h.get("pattern"));
        // Numeric bounds.
        for (keyword, name, _) in BOUNDS {
            let (bv, hv) = (b.get(*keyword), h.get(*keyword));
            let change = match (bv.and_then(Value::as_f64), hv.and_then(Value::as_f64)) {
                (None, Some(_)) => "set",
                (Some(_), None) => "unset",
                (Some(x), Some(y)) if y < x => "decreased",
                (Some(x), Some(y)) if y > x => "increased",
                _ => continue,
            };
            self.push(
                &format!("{prefix}-{name}-{change}"),
                loc,
                format!(
                    "`{keyword}`{what} changed from {} to {}",
                    show_opt(bv),
                    show_opt(hv)
                ),
            );
        }
        for (keyword, name) in FLAGS {
            let flag = |v: &Value| v.get(*keyword).and_then(Value::as_bool).unwrap_or(false);
            match (flag(b), flag(h)) {
                (false, true) => self.push(
                    &format!("{prefix}-{name}-set"),
                    loc,
                    format!("`{keyword}`{what} became true"),
                ),
                (true, false) => self.push(
                    &format!("{prefix}-{name}-unset"),
                    loc,
                    format!("`{keyword}`{what} became false"),
                ),
                _ => {}
            }
        }
        // Nullable.
        let nullable = |v: &Value| v.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        match (nullable(b), nullable(h)) {
            (false, true) => self.push(
                &format!("{prefix}-became-nullable"),
                loc,
                format!("the value{what} became nullable"),
            ),
            (true, false) => self.push(
                &format!("{prefix}-became-not-nullable"),
                loc,
                format!("the value{what} is no longer nullable"),
            ),
            _ => {}
        }
        // Default.
        match (b.get("default"), h.get("default")) {
            (None, Some(d)) => self.push(
                &format!("{prefix}-default-value-added"),
                loc,
                format!("added the default value {}{what}", show(d)),
            ),
            (Some(d), None) => self.push(
                &format!("{prefix}-default-value-removed"),
                loc,
                format!("removed the default value {}{what}", show(d)),
            ),
            (Some(x), Some(y)) if x != y => self.push(
                &format!("{prefix}-default-value-changed"),
                loc,
                format!(
                    "the default value{what} changed from {} to {}",
                    show(x),
                    show(y)
                ),
            ),
            _ => {}
        }
        self.properties(dir, at, path, b, h, seen);
        // Array items (also when one side has none: `Vec<T>` and
        // `Vec<Value>` are different types) and map values.
        let array = |v: &Value| v.get("type").and_then(Value::as_str) == Some("array");
        match (b.get("items"), h.get("items")) {
            (Some(bi), Some(hi)) => self.schema(dir, at, &format!("{path}[]"), bi, hi, seen),
            (Some(_), None) if array(h) => self.push(
                &format!("{prefix}-items-removed"),
                loc,
                format!("the items{what} are no longer described: any value is allowed"),
            ),
            (None, Some(_)) if array(b) => self.push(
                &format!("{prefix}-items-added"),
                loc,
                format!("the items{what} are now described by a schema"),
            ),
            _ => {}
        }
        if let (Some(ba), Some(ha)) = (b.get("additionalProperties"), h.get("additionalProperties"))
            && ba.is_object()
            && ha.is_object()
        {
            self.schema(dir, at, &format!("{path}{{*}}"), ba, ha, seen);
        }
        // Compositions, alternatives matched by content.
        for keyword in ["allOf", "oneOf", "anyOf"] {
            let list = |v: &'a Value| v.get(keyword).and_then(Value::as_array);
            match (list(b), list(h)) {
                (None, None) => {}
                (Some(bl), Some(hl)) => self.alternatives(dir, at, path, keyword, bl, hl, seen),
                (bl, hl) => self.push(
                    &format!("{prefix}-type-changed"),
                    loc,
                    format!(
                        "`{keyword}`{what} changed from {} to {} schemas",
                        bl.map_or(0, Vec::len),
                        hl.map_or(0, Vec::len)
                    ),
                ),
            }
        }
    }

    /// Compares two lists of alternatives, paired by content.
    #[allow(clippy::too_many_arguments)]
    fn alternatives(
        &mut self,
        dir: Dir,
        at: &str,
        path: &str,
        keyword: &str,
        bl: &'a [Value],
        hl: &'a [Value],
        seen: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let loc = join(at, path);
        let prefix = dir.prefix(path);
        let what = if path.is_empty() {
            String::new()
        } else {
            format!(" of `{path}`")
        };
        let suffix = match keyword {
            "allOf" => "all-of",
            "oneOf" => "one-of",
            _ => "any-of",
        };
        let label = |v: &Value, index: usize| match direct_ref(v) {
            Some(reference) => format!("`{}`", short(reference)),
            None => format!("#{}", index + 1),
        };
        let (pairs, removed, added) = match_alternatives((self.base, bl), (self.head, hl));
        for i in removed {
            self.push(
                &format!("{prefix}-{suffix}-removed"),
                &loc,
                format!(
                    "removed the `{keyword}` alternative {}{what}",
                    label(&bl[i], i)
                ),
            );
        }
        for j in added {
            self.push(
                &format!("{prefix}-{suffix}-added"),
                &loc,
                format!(
                    "added the `{keyword}` alternative {}{what}",
                    label(&hl[j], j)
                ),
            );
        }
        for (i, j) in pairs {
            let place = format!("{path}({keyword} {})", label(&hl[j], j).replace('`', ""));
            self.schema(dir, at, &place, &bl[i], &hl[j], seen);
        }
    }

    /// A pattern added, removed or changed, decided by language inclusion
    /// ([`language`]): the rule says narrower, wider, neither or the same,
    /// and the message shows a value on which the two disagree.
    fn patterns(
        &mut self,
        prefix: &str,
        loc: &str,
        what: &str,
        b: Option<&Value>,
        h: Option<&Value>,
    ) {
        let (old, new) = (b.and_then(Value::as_str), h.and_then(Value::as_str));
        if old == new {
            return;
        }
        let shown = |p: Option<&str>| p.map_or("none".to_owned(), |p| format!("`{p}`"));
        let change = match (old, new) {
            (None, Some(p)) => format!("added the pattern `{p}`{what}"),
            (Some(p), None) => format!("removed the pattern `{p}`{what}"),
            _ => format!(
                "changed the pattern{what} from {} to {}",
                shown(old),
                shown(new)
            ),
        };
        let (suffix, verdict) = match language::compare(old, new) {
            Err(reason) => (
                "pattern-changed",
                format!("whether it is narrower or wider cannot be decided: {reason}"),
            ),
            Ok(Relation::Equal) => ("pattern-rewritten", "the same values as before".to_owned()),
            Ok(Relation::Narrower { refused }) => (
                if old.is_none() {
                    "pattern-added"
                } else {
                    "pattern-narrowed"
                },
                format!(
                    "narrower: {} was accepted and is now refused",
                    witness(&refused)
                ),
            ),
            Ok(Relation::Wider { accepted }) => (
                if new.is_none() {
                    "pattern-removed"
                } else {
                    "pattern-widened"
                },
                format!(
                    "wider: {} was refused and is now accepted",
                    witness(&accepted)
                ),
            ),
            Ok(Relation::Incomparable { refused, accepted }) => (
                "pattern-incomparable",
                format!(
                    "neither narrower nor wider: {} is now refused, {} is now accepted",
                    witness(&refused),
                    witness(&accepted)
                ),
            ),
        };
        self.push(
            &format!("{prefix}-{suffix}"),
            loc,
            format!("{change}: {verdict}"),
        );
    }

    fn enums(&mut self, prefix: &str, loc: &str, what: &str, b: Option<&Value>, h: Option<&Value>) {
        let values = |v: Option<&Value>| {
            v.and_then(Value::as_array)
                .map(|a| a.iter().map(show).collect::<BTreeSet<_>>())
        };
        match (values(b), values(h)) {
            (None, None) => {}
            (None, Some(_)) => self.push(
                &format!("{prefix}-became-enum"),
                loc,
                format!(
                    "the value{what} was restricted to the enum values {}",
                    show_opt(h)
                ),
            ),
            (Some(_), None) => self.push(
                &format!("{prefix}-became-not-enum"),
                loc,
                format!(
                    "the value{what} is no longer restricted to the enum values {}",
                    show_opt(b)
                ),
            ),
            (Some(bs), Some(hs)) => {
                for removed in bs.difference(&hs) {
                    self.push(
                        &format!("{prefix}-enum-value-removed"),
                        loc,
                        format!("removed the enum value {removed}{what}"),
                    );
                }
                for added in hs.difference(&bs) {
                    self.push(
                        &format!("{prefix}-enum-value-added"),
                        loc,
                        format!("added the enum value {added}{what}"),
                    );
                }
            }
        }
    }

    fn properties(
        &mut self,
        dir: Dir,
        at: &str,
        path: &str,
        b: &'a Value,
        h: &'a Value,
        seen: &mut Vec<(Option<&'a str>, Option<&'a str>)>,
    ) {
        let bp = object(b.get("properties"));
        let hp = object(h.get("properties"));
        let required = |v: &Value| -> BTreeSet<String> {
            v.get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (breq, hreq) = (required(b), required(h));
        let child = |name: &str| {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            }
        };
        for (name, bs) in bp {
            let prop = child(name);
            let ploc = join(at, &prop);
            let (was, is) = (breq.contains(name), hreq.contains(name));
            match hp.get(name) {
                None => {
                    let rule = match (dir.request(), was) {
                        (true, _) => "request-property-removed",
                        (false, true) => "response-required-property-removed",
                        (false, false) => "response-optional-property-removed",
                    };
                    let kind = if was { "required" } else { "optional" };
                    self.push(rule, &ploc, format!("removed the {kind} property `{prop}`"));
                }
                Some(hs) => {
                    match (was, is, dir.request()) {
                        (false, true, true) => self.push(
                            "request-property-became-required",
                            &ploc,
                            format!("`{prop}` became required"),
                        ),
                        (true, false, true) => self.push(
                            "request-property-became-optional",
                            &ploc,
                            format!("`{prop}` became optional"),
                        ),
                        (false, true, false) => self.push(
                            "response-property-became-required",
                            &ploc,
                            format!("`{prop}` became required"),
                        ),
                        (true, false, false) => self.push(
                            "response-property-became-optional",
                            &ploc,
                            format!("`{prop}` became optional"),
                        ),
                        _ => {}
                    }
                    self.schema(dir, at, &prop, bs, hs, seen);
                }
            }
        }
        for name in hp.keys() {
            if bp.contains_key(name) {
                continue;
            }
            let prop = child(name);
            let ploc = join(at, &prop);
            let is = hreq.contains(name);
            let rule = match (dir.request(), is) {
                (true, true) => "new-required-request-property",
                (true, false) => "new-optional-request-property",
                (false, true) => "response-required-property-added",
                (false, false) => "response-optional-property-added",
            };
            let kind = if is { "required" } else { "optional" };
            self.push(rule, &ploc, format!("added the {kind} property `{prop}`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn path_parameter_names_do_not_count() {
        assert_eq!(
            normalize("/v2/{project_id}/x/{id}"),
            normalize("/v2/{p}/x/{cluster}")
        );
        assert_ne!(normalize("/v2/{p}/x"), normalize("/v2/{p}/y"));
    }
}
