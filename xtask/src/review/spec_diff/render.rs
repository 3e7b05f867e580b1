//! The three output formats: markdown (a pull-request comment), json (stable
//! field names: fields are added, never renamed) and text (one line per
//! change).

use serde_json::{Value, json};

use super::rules;
use super::rust_api::ApiDiff;
use super::{Change, Level, Report};

fn counts(count: impl Fn(Level) -> usize) -> String {
    format!(
        "{} breaking, {} warn, {} info",
        count(Level::Breaking),
        count(Level::Warn),
        count(Level::Info)
    )
}

fn summary(report: &Report) -> String {
    counts(|level| report.count(level))
}

/// `text` as a markdown code span, whatever backticks it holds: the fence
/// is one backtick longer than the longest run inside, padded with spaces
/// when the text starts or ends with a backtick or a space (CommonMark
/// strips one of each).
pub fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if pad {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// A table cell: a `|` would end the cell (also inside a code span, in
/// GitHub's tables) and a newline the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// HTML text (inside `<summary>` and `<pre>`).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Why a change of this rule breaks, for breaking and warn rows.
fn why(level: Level, rule: &str) -> String {
    match level {
        Level::Info => String::new(),
        _ => rules::about(rule).unwrap_or_default(),
    }
}

/// One row of the spec table: a change and every place it reaches.
struct Row<'a> {
    first: &'a Change,
    places: Vec<&'a str>,
}

/// Groups changes that are one edit seen in several places: same level,
/// rule, component and message.
fn rows(changes: &[Change]) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = Vec::new();
    for change in changes {
        let same = |row: &&mut Row<'_>| {
            let first = row.first;
            (first.level, &first.rule, &first.component, &first.message)
                == (
                    change.level,
                    &change.rule,
                    &change.component,
                    &change.message,
                )
        };
        match rows.iter_mut().find(same) {
            Some(row) => row.places.push(&change.location),
            None => rows.push(Row {
                first: change,
                places: vec![&change.location],
            }),
        }
    }
    rows
}

/// The places of a row: one in full; several as a count of the operations
/// they are in, with the list folded.
fn places(places: &[&str]) -> String {
    if let [one] = places {
        return code(one);
    }
    let mut operations: Vec<&str> = places
        .iter()
        .map(|place| {
            let mut words = place.splitn(3, ' ');
            let method = words.next().unwrap_or("");
            let path = words.next().unwrap_or("");
            &place[..method.len() + 1 + path.len()]
        })
        .collect();
    operations.dedup();
    let what = if operations.len() == 1 {
        format!("{} places in {}", places.len(), code(operations[0]))
    } else {
        format!("{} places in {} operations", places.len(), operations.len())
    };
    let list: Vec<String> = places
        .iter()
        .map(|p| format!("<code>{}</code>", html(p)))
        .collect();
    format!(
        "<details><summary>{what}</summary>{}</details>",
        list.join("<br>")
    )
}

/// A Rust signature: inline when short, else folded in a `<details>`.
fn signature(label: &str, text: &str) -> String {
    if text.chars().count() <= 60 {
        format!("{label} {}", code(text))
    } else {
        format!("<details><summary>{label}</summary>\n\n```rust\n{text}\n```\n\n</details>")
    }
}

fn rust_api_markdown(api: &ApiDiff, out: &mut String) {
    let line = |level: Level, rule: &str, item: &str, also: &[String], what: String| {
        let also = if also.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = also.iter().map(|a| code(a)).collect();
            format!(" (and {})", names.join(", "))
        };
        let why = why(level, rule);
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" — {why}")
        };
        if what.contains("<details>") {
            format!(
                "- **{level}** {} {}{also}{why}\n\n  {}\n",
                code(rule),
                code(item),
                what.replace('\n', "\n  ")
            )
        } else {
            format!(
                "- **{level}** {} {}{also}: {what}{why}\n",
                code(rule),
                code(item)
            )
        }
    };
    for e in &api.removed {
        out.push_str(&line(
            e.level,
            &e.rule,
            &e.item,
            &e.also,
            signature("removed", &e.signature),
        ));
    }
    for c in &api.changed {
        let what = if c.before.chars().count() + c.after.chars().count() <= 60 {
            format!("{} → {}", code(&c.before), code(&c.after))
        } else {
            format!(
                "<details><summary>signature changed</summary>\n\n```rust\n// before\n{}\n// after\n{}\n```\n\n</details>",
                c.before, c.after
            )
        };
        out.push_str(&line(c.level, &c.rule, &c.item, &c.also, what));
    }
    for e in &api.added {
        out.push_str(&line(
            e.level,
            &e.rule,
            &e.item,
            &e.also,
            signature("added", &e.signature),
        ));
    }
}

/// Markdown for a pull-request comment.
pub fn markdown(report: &Report) -> String {
    let mut out = format!(
        "### Spec diff: {} → {}\n\n",
        code(&report.base),
        code(&report.head)
    );
    // Counted as shown: one per row (a change, wherever it reaches) and one
    // per Rust API entry.
    let rows = rows(&report.changes);
    let spec = |level: Level| rows.iter().filter(|r| r.first.level == level).count();
    out.push_str(&format!(
        "**{}** (spec: {}; Rust API: {})\n\n",
        counts(|level| spec(level) + report.count_rust_api(level)),
        counts(spec),
        counts(|level| report.count_rust_api(level))
    ));
    if report.changes.is_empty() {
        out.push_str(
            "No change to the operations, parameters, bodies, responses, security or servers.\n",
        );
    } else {
        out.push_str(
            "| level | change | where | rule | why it breaks |\n| --- | --- | --- | --- | --- |\n",
        );
        for row in rows {
            let c = row.first;
            let change = match &c.component {
                Some(component) => format!("{}: {}", code(component), c.message),
                None => c.message.clone(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                c.level,
                cell(&change),
                cell(&places(&row.places)),
                code(&c.rule),
                cell(&why(c.level, &c.rule))
            ));
        }
    }
    out.push_str("\n#### Rust API\n\n");
    let api = &report.rust_api;
    if api.is_empty() {
        out.push_str("No change to the public surface of the generated client.\n");
    } else {
        out.push_str(&format!(
            "{} removed, {} changed, {} added (members of added or removed types, and builder methods that mirror a field, are not repeated).\n\n",
            api.removed.len(),
            api.changed.len(),
            api.added.len()
        ));
        rust_api_markdown(api, &mut out);
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

fn level_counts(count: impl Fn(Level) -> usize) -> Value {
    json!({
        "breaking": count(Level::Breaking),
        "warn": count(Level::Warn),
        "info": count(Level::Info),
    })
}

/// The report as a JSON value with stable field names (new fields are
/// added; none is renamed). `summary` counts spec and Rust API changes
/// together, as the exit code does; `summary.spec` and `summary.rust_api`
/// split them.
pub fn json_value(report: &Report) -> Value {
    let api = &report.rust_api;
    let entry = |e: &super::rust_api::Entry| json!({"item": e.item, "signature": e.signature, "level": e.level.to_string(), "rule": e.rule, "also": e.also});
    let mut summary = level_counts(|level| report.count(level));
    summary["spec"] = level_counts(|level| report.count_spec(level));
    summary["rust_api"] = level_counts(|level| report.count_rust_api(level));
    json!({
        "base": report.base,
        "head": report.head,
        "summary": summary,
        "changes": report.changes.iter().map(|c| json!({
            "level": c.level.to_string(),
            "rule": c.rule,
            "location": c.location,
            "message": c.message,
            "component": c.component,
        })).collect::<Vec<_>>(),
        "rust_api": {
            "added": api.added.iter().map(entry).collect::<Vec<_>>(),
            "removed": api.removed.iter().map(entry).collect::<Vec<_>>(),
            "changed": api.changed.iter().map(|c| json!({"item": c.item, "before": c.before, "after": c.after, "level": c.level.to_string(), "rule": c.rule, "also": c.also})).collect::<Vec<_>>(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code(" a "), "`  a  `");
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(html("Vec<&T>"), "Vec&lt;&amp;T&gt;");
    }
}
