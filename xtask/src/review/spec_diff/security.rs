//! Document-level comparisons: security schemes, the security requirements
//! of each operation, and the servers.
//!
//! progenitor generates nothing from `securitySchemes` or `servers` (the
//! runtime signs and routes), so these are wire rules only: a scheme a
//! client authenticates with that changes name, place or kind breaks its
//! requests; a new alternative does not. Servers are information: the
//! client takes its endpoint from the region, not from the spec.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::codegen::spec::resolve;

/// A change found here: rule id, location, message.
pub type Found = (&'static str, String, String);

/// The security schemes of `components`, by name, `$ref`s followed.
fn schemes(doc: &Value) -> BTreeMap<&str, &Value> {
    doc.pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, scheme)| (name.as_str(), resolve(doc, scheme).value))
        .collect()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Compares `components.securitySchemes`.
pub fn security_schemes(base: &Value, head: &Value) -> Vec<Found> {
    let (b, h) = (schemes(base), schemes(head));
    let mut out = Vec::new();
    for (name, bs) in &b {
        let at = format!("security scheme {name}");
        let Some(hs) = h.get(name) else {
            out.push((
                "api-security-component-removed",
                at,
                format!("removed the security scheme `{name}`"),
            ));
            continue;
        };
        let (bt, ht) = (text(bs, "type"), text(hs, "type"));
        if bt != ht {
            out.push((
                "api-security-component-type-changed",
                at,
                format!("the type of `{name}` changed from `{bt}` to `{ht}`"),
            ));
            continue;
        }
        for (key, rule) in [
            ("name", "api-security-component-api-key-changed"),
            ("in", "api-security-component-api-key-changed"),
            ("scheme", "api-security-component-scheme-changed"),
            ("bearerFormat", "api-security-component-scheme-changed"),
        ] {
            let (bv, hv) = (text(bs, key), text(hs, key));
            if bv != hv {
                out.push((
                    rule,
                    at.clone(),
                    format!("`{key}` of `{name}` changed from `{bv}` to `{hv}`"),
                ));
            }
        }
    }
    for name in h.keys().filter(|name| !b.contains_key(*name)) {
        out.push((
            "api-security-component-added",
            format!("security scheme {name}"),
            format!("added the security scheme `{name}`"),
        ));
    }
    out
}

/// One alternative of a security requirement list: the schemes that are
/// used together, sorted (`AkSk + Token`).
fn alternatives(requirements: Option<&Value>) -> Option<BTreeSet<String>> {
    let list = requirements?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_object)
            .map(|together| together.keys().cloned().collect::<Vec<_>>().join(" + "))
            .collect(),
    )
}

/// Compares the security requirements in force for one operation (its own,
/// else the document's): an alternative removed breaks the clients that use
/// it, an alternative added is a new option.
pub fn operation_security(
    location: &str,
    (base, base_op): (&Value, &Value),
    (head, head_op): (&Value, &Value),
) -> Vec<Found> {
    let effective = |doc: &Value, op: &Value| {
        alternatives(op.get("security"))
            .or_else(|| alternatives(doc.get("security")))
            .unwrap_or_default()
    };
    let (b, h) = (effective(base, base_op), effective(head, head_op));
    let show = |alternative: &str| {
        if alternative.is_empty() {
            "no authentication".to_string()
        } else {
            format!("`{alternative}`")
        }
    };
    let mut out = Vec::new();
    for removed in b.difference(&h) {
        out.push((
            "api-security-removed",
            format!("{location} security"),
            format!("the operation no longer accepts {}", show(removed)),
        ));
    }
    for added in h.difference(&b) {
        let rule = if b.is_empty() {
            // Nothing was required before: every existing call lacks it.
            "api-security-required"
        } else {
            "api-security-added"
        };
        out.push((
            rule,
            format!("{location} security"),
            format!("the operation accepts {}", show(added)),
        ));
    }
    out
}

/// Compares the document's `servers`: one URL changed, or URLs added and
/// removed.
pub fn servers(base: &Value, head: &Value) -> Vec<Found> {
    let urls = |doc: &Value| -> BTreeSet<String> {
        doc.get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|server| server.get("url").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    };
    let (b, h) = (urls(base), urls(head));
    let removed: Vec<&String> = b.difference(&h).collect();
    let added: Vec<&String> = h.difference(&b).collect();
    match (removed.as_slice(), added.as_slice()) {
        ([from], [to]) => vec![(
            "api-server-url-changed",
            "servers".to_string(),
            format!("the server URL changed from `{from}` to `{to}`"),
        )],
        _ => removed
            .iter()
            .map(|url| {
                (
                    "api-server-removed",
                    "servers".to_string(),
                    format!("removed the server `{url}`"),
                )
            })
            .chain(added.iter().map(|url| {
                (
                    "api-server-added",
                    "servers".to_string(),
                    format!("added the server `{url}`"),
                )
            }))
            .collect(),
    }
}
