//! The three output formats: markdown (a pull-request comment), json (stable
//! field names) and text (one line per change).

use serde_json::{Value, json};

use super::{Level, Report};

fn summary(report: &Report) -> String {
    format!(
        "{} breaking, {} warn, {} info",
        report.count(Level::Breaking),
        report.count(Level::Warn),
        report.count(Level::Info)
    )
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a pull-request comment.
pub fn markdown(report: &Report) -> String {
    let mut out = format!("### Spec diff: `{}` → `{}`\n\n", report.base, report.head);
    out.push_str(&format!("**{}**\n\n", summary(report)));
    if report.changes.is_empty() {
        out.push_str("No change to the operations, parameters, bodies or responses.\n");
    } else {
        out.push_str("| level | rule | location | change |\n| --- | --- | --- | --- |\n");
        for c in &report.changes {
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} |\n",
                c.level,
                c.rule,
                cell(&c.location).replace('`', "'"),
                cell(&c.message)
            ));
        }
    }
    out.push_str("\n#### Rust API\n\n");
    let api = &report.rust_api;
    if api.is_empty() {
        out.push_str("No change to the public surface of the generated client.\n");
    } else {
        out.push_str(&format!(
            "{} removed, {} changed, {} added (members of added or removed types are not repeated).\n\n",
            api.removed.len(),
            api.changed.len(),
            api.added.len()
        ));
        for e in &api.removed {
            out.push_str(&format!(
                "- {} `{}`: removed `{}`: `{}`\n",
                e.level, e.rule, e.item, e.signature
            ));
        }
        for c in &api.changed {
            out.push_str(&format!(
                "- {} `{}`: changed `{}`: `{}` → `{}`\n",
                c.level, c.rule, c.item, c.before, c.after
            ));
        }
        for e in &api.added {
            out.push_str(&format!(
                "- {} `{}`: added `{}`: `{}`\n",
                e.level, e.rule, e.item, e.signature
            ));
        }
    }
    if let Some(gate) = &report.version {
        out.push_str("\n#### Version\n\n");
        let mark = if gate.ok { "ok" } else { "**fails**" };
        out.push_str(&format!("{mark}: {}\n", gate.message));
    }
    out
}

/// Plain text, one line per change.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.changes {
        out.push_str(&format!(
            "{} {} {}: {}\n",
            c.level, c.rule, c.location, c.message
        ));
    }
    let api = &report.rust_api;
    for e in &api.removed {
        out.push_str(&format!(
            "{} {} {}: removed: {}\n",
            e.level, e.rule, e.item, e.signature
        ));
    }
    for c in &api.changed {
        out.push_str(&format!(
            "{} {} {}: changed: {} -> {}\n",
            c.level, c.rule, c.item, c.before, c.after
        ));
    }
    for e in &api.added {
        out.push_str(&format!(
            "{} {} {}: added: {}\n",
            e.level, e.rule, e.item, e.signature
        ));
    }
    if let Some(gate) = &report.version {
        let verdict = if gate.ok { "ok" } else { "fails" };
        out.push_str(&format!("version {verdict}: {}\n", gate.message));
    }
    out.push_str(&format!(
        "summary: {} ({} → {})\n",
        summary(report),
        report.base,
        report.head
    ));
    out
}

/// The report as a JSON value with stable field names.
pub fn json_value(report: &Report) -> Value {
    let api = &report.rust_api;
    json!({
        "base": report.base,
        "head": report.head,
        "summary": {
            "breaking": report.count(Level::Breaking),
            "warn": report.count(Level::Warn),
            "info": report.count(Level::Info),
            "spec": {
                "breaking": report.count_spec(Level::Breaking),
                "warn": report.count_spec(Level::Warn),
                "info": report.count_spec(Level::Info),
            },
            "rust_api": {
                "breaking": report.count_rust_api(Level::Breaking),
                "warn": report.count_rust_api(Level::Warn),
                "info": report.count_rust_api(Level::Info),
            },
        },
        "changes": report.changes.iter().map(|c| json!({
            "level": c.level.to_string(),
            "rule": c.rule,
            "location": c.location,
            "message": c.message,
        })).collect::<Vec<_>>(),
        "rust_api": {
            "added": api.added.iter().map(|e| json!({"item": e.item, "signature": e.signature, "level": e.level.to_string(), "rule": e.rule})).collect::<Vec<_>>(),
            "removed": api.removed.iter().map(|e| json!({"item": e.item, "signature": e.signature, "level": e.level.to_string(), "rule": e.rule})).collect::<Vec<_>>(),
            "changed": api.changed.iter().map(|c| json!({"item": c.item, "before": c.before, "after": c.after, "level": c.level.to_string(), "rule": c.rule})).collect::<Vec<_>>(),
        },
        "version": report.version.as_ref().map(|g| json!({
            "ok": g.ok,
            "crate": g.crate_name,
            "base_version": g.base_version,
            "head_version": g.head_version,
            "required": g.required,
            "message": g.message,
        })),
    })
}

/// The report as pretty JSON, with a final newline.
pub fn json(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(&json_value(report)).unwrap_or_default();
    out.push('\n');
    out
}
