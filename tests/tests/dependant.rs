//! A dependant compiles unchanged across the changes a minor release may
//! make (#29's "Done when").
//!
//! The scratch dependant `tests/dependant/` is written against the API the
//! way the README teaches it: config through `T::default().with_x(..)`,
//! reports, errors and answers read by field or matched with `..`, a
//! credential provider of its own. It is an example of this crate, so that
//! every `cargo test --workspace` compiles it against the API as it is. This
//! test copies the workspace (the files git knows) to
//! `target/dependant/copy/`, makes there every change below at once, and
//! checks the dependant against the changed crates with its source untouched:
//!
//! - a field added to each config and report struct (`RetryPolicy`,
//!   `Timeouts`, `RateLimit`, `RetryQuota`, `WaitOptions`, `WaitProgress`,
//!   `ThrottleReport`, `ServiceError`, `Provided`, `SourceAttempt`: the
//!   hand-written ones of [`GROWING`]) and to every other `#[non_exhaustive]`
//!   struct and struct variant (the error variants with named fields), found
//!   in `crates/mrs-iam-sync/src` and `crates/hwcloud-auth/src`;
//! - a variant added to every `#[non_exhaustive]` enum (`Error`,
//!   `ConfigError`, `CredentialsError`, `TransportKind`, ...);
//! - an optional property added to every response schema of the spec, and
//!   the client regenerated (`cargo xtask generate`'s own
//!   `xtask::codegen::generate::run`) in the copy; the real generated files are never
//!   touched.
//!
//! The crates' own code that builds or matches those types exhaustively is
//! repaired the way the maintainer making the change would, with the
//! compiler's help (the new field in a struct literal, `..` in a pattern, an
//! arm for the new variant): only the crates, never the dependant.
//!
//! Two probes, written into the copy beside the dependant, keep the check
//! honest:
//! - one reads every added field, so the dependant was checked against the
//!   changed crates and not the old ones;
//! - one builds each type of [`GROWING`] with a struct expression
//!   (`T { ..todo!() }`), which must fail with E0639 ("cannot create
//!   non-exhaustive struct using struct expression") for every one: that is
//!   why no dependant can be broken by a new field. A type that lost its
//!   `#[non_exhaustive]` fails this test, and so does a new non-exhaustive
//!   struct missing from [`GROWING`].
//!
//! Removing `#[non_exhaustive]` from `RetryPolicy` and from the generated
//! response types fails this test: "a dependant can build these with a
//! struct expression, which their next field would break".
//!
//! Cost: the copy is checked (`cargo check`, metadata only) in its own
//! workspace, sharing the target folder, so the dependencies are checked
//! once and later runs only check the three changed crates again (a few
//! rounds while repairing): about 5 s warm.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The public structs a dependant reads but cannot build with a struct
/// expression, so that they can grow: the hand-written config and report
/// structs and the generated response types.
const GROWING: &[&str] = &[
    "mrs_iam_sync::RetryPolicy",
    "mrs_iam_sync::Timeouts",
    "mrs_iam_sync::RateLimit",
    "mrs_iam_sync::RetryQuota",
    "mrs_iam_sync::WaitOptions",
    "mrs_iam_sync::WaitProgress",
    "mrs_iam_sync::ThrottleReport",
    "mrs_iam_sync::ServiceError",
    "mrs_iam_sync::credentials::Provided",
    "mrs_iam_sync::credentials::SourceAttempt",
    "mrs_iam_sync::types::SyncTaskStatus",
    "mrs_iam_sync::types::ClusterSyncStatus",
    "mrs_iam_sync::types::SyncedIamPrincipals",
    "mrs_iam_sync::types::SyncTaskAccepted",
    "mrs_iam_sync::types::ErrorResponse",
];

/// The response schemas of the spec (what `types::` answers are generated
/// from): each gets an optional property.
const RESPONSE_SCHEMAS: &[&str] = &[
    "SyncTaskStatus",
    "ClusterSyncStatus",
    "SyncedIamPrincipals",
    "SyncTaskAccepted",
    "ErrorResponse",
];

/// The hand-written crates whose public types the dependant sees.
const CRATES: &[&str] = &["crates/mrs-iam-sync/src", "crates/hwcloud-auth/src"];

/// The name of every added field (and spec property) and variant.
const ADDED_FIELD: &str = "added_in_a_minor_release";
const ADDED_VARIANT: &str = "AddedInAMinorRelease";

/// The probe's file, beside the dependant in the copy.
const PROBE: &str = "tests/dependant/src/bin/probe.rs";

#[test]
fn a_dependant_compiles_unchanged_after_the_changes_a_minor_release_may_make() {
    let copy = fresh_copy(&target_dir().join("dependant").join("copy"));
    let dependant_before = std::fs::read(copy.join("tests/dependant/src/main.rs")).unwrap();

    let (non_exhaustive, grown) = add_fields(&copy);
    let listed: BTreeSet<&str> = GROWING
        .iter()
        .map(|path| path.rsplit("::").next().unwrap())
        .collect();
    let unlisted: Vec<&String> = non_exhaustive
        .iter()
        .filter(|name| !listed.contains(name.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "non-exhaustive structs missing from GROWING (add them, with their public path): {unlisted:?}"
    );
    let generated = RESPONSE_SCHEMAS.len();
    assert_eq!(
        grown.len() + generated,
        GROWING.len(),
        "the hand-written structs of GROWING found: {grown:?}"
    );
    add_variants(&copy);
    add_response_properties(&copy);
    let repairs = repair_crates(&copy);

    let probe = copy.join(PROBE);
    std::fs::create_dir_all(probe.parent().unwrap()).unwrap();
    std::fs::write(&probe, probe_source()).unwrap();
    let checked = cargo_check(&copy, &["--bins", "--keep-going"]);
    let errors = |target: &str| -> Vec<&Value> {
        checked
            .diagnostics
            .iter()
            .filter(|(name, d)| name == target && d["level"] == "error")
            .map(|(_, d)| d)
            .collect()
    };
    let rendered = |errors: &[&Value]| -> String {
        errors
            .iter()
            .filter_map(|d| d["rendered"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };

    let dependant = errors("dependant");
    assert!(
        dependant.is_empty(),
        "after the changes ({repairs} repairs in the crates), the dependant does not compile:\n{}",
        rendered(&dependant)
    );
    assert!(
        checked.built.iter().any(|target| target == "dependant"),
        "the dependant was not compiled: {:?}",
        checked.built
    );
    assert_eq!(
        std::fs::read(copy.join("tests/dependant/src/main.rs")).unwrap(),
        dependant_before,
        "the dependant's source was changed"
    );

    // The probe: every error is an E0639 on a struct expression, one per
    // GROWING type; the reads of the added fields compiled.
    let probe = errors("probe");
    let mut refused = BTreeSet::new();
    let mut other = Vec::new();
    for error in &probe {
        let line = error["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|s| s["is_primary"] == true))
            .and_then(|span| span["line_start"].as_u64())
            .unwrap_or(0) as usize;
        match (error["code"]["code"].as_str(), built_on_line(line)) {
            (Some("E0639"), Some(path)) => {
                refused.insert(path);
            }
            _ => other.push(*error),
        }
    }
    assert!(
        other.is_empty(),
        "the probe failed otherwise than by refusing struct expressions (an added field not read, a \
         type not found?):\n{}",
        rendered(&other)
    );
    let buildable: Vec<&&str> = GROWING
        .iter()
        .filter(|path| !refused.contains(*path))
        .collect();
    assert!(
        buildable.is_empty(),
        "a dependant can build these with a struct expression, which their next field would break \
         (mark them #[non_exhaustive]): {buildable:?}"
    );
    eprintln!(
        "ok: {} structs grew a field, the dependant compiled unchanged ({repairs} repairs in the \
         crates); {} types refuse struct expressions",
        grown.len() + generated,
        refused.len()
    );
}

/// The probe's source: a function per `GROWING` type that reads the added
/// field, then one per type, on line `FIRST_BUILD_LINE + i`, that builds
/// it with a struct expression.
fn probe_source() -> String {
    let mut source = String::from("#![allow(unreachable_code, dead_code)]\nfn main() {}\n");
    for (i, path) in GROWING.iter().enumerate() {
        source.push_str(&format!(
            "fn read_{i}(value: &{path}) {{ let _ = &value.{ADDED_FIELD}; }}\n"
        ));
    }
    for (i, path) in GROWING.iter().enumerate() {
        source.push_str(&format!(
            "fn build_{i}() -> {path} {{ {path} {{ ..todo!() }} }}\n"
        ));
    }
    source
}

/// The `GROWING` type that the probe builds on `line` (1-based), if any.
fn built_on_line(line: usize) -> Option<&'static str> {
    let first = 2 + GROWING.len() + 1;
    line.checked_sub(first)
        .and_then(|i| GROWING.get(i).copied())
}

/// The workspace this test belongs to.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_owned()
}

/// The shared target folder.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The files git knows (tracked, and new ones not ignored, with their
/// uncommitted edits) copied into `to`, emptied first; the workspace's lock
/// file becomes the dependant's too.
fn fresh_copy(to: &Path) -> PathBuf {
    if to.exists() {
        std::fs::remove_dir_all(to).unwrap();
    }
    let from = root();
    xtask::copy_checkout(&from, to).expect("the workspace is copied");
    std::fs::copy(
        from.join("Cargo.lock"),
        to.join("tests/dependant/Cargo.lock"),
    )
    .unwrap();
    to.to_owned()
}

/// What `cargo check` of the dependant said.
struct Checked {
    ok: bool,
    /// Each compiler message, with the name of the target it is about.
    diagnostics: Vec<(String, Value)>,
    /// The targets that compiled.
    built: Vec<String>,
}

/// Runs `cargo check` on the dependant in `copy`, with `extra` arguments.
fn cargo_check(copy: &Path, extra: &[&str]) -> Checked {
    let mut check = Command::new(env!("CARGO"));
    check
        .args(["check", "--offline", "--quiet", "--message-format=json"])
        .args(extra)
        .arg("--manifest-path")
        .arg(copy.join("tests/dependant/Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir());
    xtask::without_test_cargo_env(&mut check);
    let output = check.output().expect("cargo runs");
    if !output.status.success() && output.stdout.is_empty() {
        panic!(
            "cargo check did not run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut checked = Checked {
        ok: output.status.success(),
        diagnostics: Vec::new(),
        built: Vec::new(),
    };
    let messages = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect::<Vec<_>>();
    for message in messages {
        let target = message["target"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match message["reason"].as_str() {
            Some("compiler-message") => checked
                .diagnostics
                .push((target, message["message"].clone())),
            Some("compiler-artifact") => checked.built.push(target),
            _ => {}
        }
    }
    checked
}

/// The hand-written `.rs` files of the crates, in `copy`.
fn crate_sources(copy: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("generated.rs")
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for dir in CRATES {
        walk(&copy.join(dir), &mut found);
    }
    found.sort();
    found
}

/// What a `#[non_exhaustive]` attribute stands on.
enum Marked {
    /// `pub struct Name {`: its line and name.
    Struct(usize, String),
    /// `Name {` inside an enum, at this line.
    Variant(usize),
    /// `pub enum Name {`, at this line.
    Enum(usize),
}

/// Every brace-bodied item marked `#[non_exhaustive]` in `lines` (a tuple
/// struct's fields are private already).
fn marked(lines: &[&str]) -> Vec<Marked> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "#[non_exhaustive]" {
            continue;
        }
        let Some(item) = (i + 1..lines.len()).find(|&j| {
            let next = lines[j].trim();
            !(next.starts_with("#[") || next.starts_with("//"))
        }) else {
            continue;
        };
        let text = lines[item].trim();
        let Some(head) = text.strip_suffix(" {") else {
            continue;
        };
        if let Some(name) = head.strip_prefix("pub struct ") {
            found.push(Marked::Struct(item, name.to_owned()));
        } else if head.starts_with("pub enum ") {
            found.push(Marked::Enum(item));
        } else if head.starts_with(char::is_uppercase) && head.chars().all(char::is_alphanumeric) {
            found.push(Marked::Variant(item));
        }
    }
    found
}

/// Writes `lines` back to `path` with `added[i]` after line `i`, indented
/// one level deeper than it.
fn insert_after(path: &Path, lines: &[&str], added: &BTreeMap<usize, String>) {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        if let Some(text) = added.get(&i) {
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            for added_line in text.lines() {
                out.push_str(&format!("{indent}    {added_line}\n"));
            }
        }
    }
    std::fs::write(path, out).unwrap();
}

/// Adds a field to every hand-written struct of [`GROWING`] (marked
/// `#[non_exhaustive]` or not: the change is the same) and to every other
/// non-exhaustive struct and struct variant. Returns the names of the
/// non-exhaustive structs, and of the `GROWING` ones found.
fn add_fields(copy: &Path) -> (Vec<String>, BTreeSet<String>) {
    let listed: BTreeSet<&str> = GROWING
        .iter()
        .map(|path| path.rsplit("::").next().unwrap())
        .collect();
    let mut non_exhaustive = Vec::new();
    let mut grown = BTreeSet::new();
    let mut variants = 0;
    // A struct's new field is public; a variant's fields have no visibility
    // of their own.
    let public_field = format!("#[doc(hidden)]\npub {ADDED_FIELD}: (),");
    for path in crate_sources(copy) {
        let source = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = source.lines().collect();
        let mut fields = BTreeMap::new();
        for (i, line) in lines.iter().enumerate() {
            let name = line
                .trim()
                .strip_prefix("pub struct ")
                .and_then(|rest| rest.strip_suffix(" {"));
            if let Some(name) = name.filter(|name| listed.contains(name)) {
                fields.insert(i, public_field.clone());
                grown.insert(name.to_owned());
            }
        }
        for item in marked(&lines) {
            match item {
                Marked::Struct(line, name) => {
                    fields.insert(line, public_field.clone());
                    non_exhaustive.push(name);
                }
                Marked::Variant(line) => {
                    fields.insert(line, format!("#[doc(hidden)]\n{ADDED_FIELD}: (),"));
                    variants += 1;
                }
                Marked::Enum(_) => {}
            }
        }
        insert_after(&path, &lines, &fields);
    }
    assert!(
        variants >= 10,
        "only {variants} non-exhaustive struct variants found"
    );
    (non_exhaustive, grown)
}

/// Adds a variant to every non-exhaustive enum.
fn add_variants(copy: &Path) {
    let mut added = 0;
    for path in crate_sources(copy) {
        let source = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = source.lines().collect();
        let variants: BTreeMap<usize, String> = marked(&lines)
            .into_iter()
            .filter_map(|item| match item {
                Marked::Enum(line) => Some((line, format!("#[doc(hidden)]\n{ADDED_VARIANT},"))),
                _ => None,
            })
            .collect();
        added += variants.len();
        insert_after(&path, &lines, &variants);
    }
    assert!(added >= 5, "only {added} non-exhaustive enums found");
}

/// Adds an optional string property to each of [`RESPONSE_SCHEMAS`] in the
/// copy's spec and regenerates the client there.
fn add_response_properties(copy: &Path) {
    let spec_path = copy.join(xtask::paths::SPEC);
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let mut lines: Vec<String> = spec.lines().map(str::to_owned).collect();
    for schema in RESPONSE_SCHEMAS {
        let start = lines
            .iter()
            .position(|line| *line == format!("    {schema}:"))
            .unwrap_or_else(|| panic!("no schema {schema} in the spec"));
        let properties = (start + 1..lines.len())
            .take_while(|&i| lines[i].starts_with("     ") || lines[i].is_empty())
            .find(|&i| lines[i] == "      properties:")
            .unwrap_or_else(|| panic!("schema {schema} has no properties"));
        for (offset, line) in [
            format!("        {ADDED_FIELD}:"),
            "          description: A property the service added later.".to_owned(),
            "          type: string".to_owned(),
        ]
        .into_iter()
        .enumerate()
        {
            lines.insert(properties + 1 + offset, line);
        }
    }
    std::fs::write(&spec_path, lines.join("\n") + "\n").unwrap();
    let generated = copy.join(xtask::paths::GENERATED);
    let before = std::fs::read_to_string(&generated).unwrap();
    xtask::codegen::generate::run(copy, xtask::codegen::generate::Mode::Write)
        .expect("the changed spec generates");
    let after = std::fs::read_to_string(&generated).unwrap();
    let added = after.matches(&format!("pub {ADDED_FIELD}:")).count()
        - before.matches(&format!("pub {ADDED_FIELD}:")).count();
    assert!(
        added >= RESPONSE_SCHEMAS.len(),
        "the regenerated client has {added} new public fields, not one per response schema"
    );
}

/// Repairs what the changes broke inside the crates, as the maintainer
/// would: struct literals that name every field get the new one, patterns
/// get `..`, matches over every variant get an arm for the new one (where
/// rustc suggests it). Returns the number of repairs; fails if an error
/// outside the crates remains or nothing more can be repaired.
fn repair_crates(copy: &Path) -> usize {
    let crates: Vec<PathBuf> = CRATES.iter().map(|dir| copy.join(dir)).collect();
    let mut repairs = 0;
    for _round in 0..20 {
        let checked = cargo_check(copy, &[]);
        if checked.ok {
            return repairs;
        }
        let errors: Vec<&Value> = checked
            .diagnostics
            .iter()
            .map(|(_, d)| d)
            .filter(|d| d["level"] == "error")
            .collect();
        let mut edits: Vec<Edit> = Vec::new();
        for error in &errors {
            let Some(span) = error["spans"]
                .as_array()
                .and_then(|spans| spans.iter().find(|s| s["is_primary"] == true))
            else {
                continue;
            };
            let named = span["file_name"].as_str().unwrap_or_default();
            let file = if Path::new(named).is_absolute() {
                PathBuf::from(named)
            } else {
                copy.join(named)
            };
            if !crates.iter().any(|dir| file.starts_with(dir)) {
                // An error in the dependant itself: that is the finding.
                continue;
            }
            let start = span["byte_start"].as_u64().unwrap() as usize;
            let end = span["byte_end"].as_u64().unwrap() as usize;
            let source = std::fs::read_to_string(&file).unwrap();
            match error["code"]["code"].as_str().unwrap_or_default() {
                // A struct literal without the new field.
                "E0063" => {
                    let open = start + source[start..].find('{').expect("a struct literal");
                    edits.push(Edit::insert(file, open + 1, format!(" {ADDED_FIELD}: (),")));
                }
                // A pattern that names every field but the new one.
                "E0027" => {
                    let close = start + source[start..end].rfind('}').expect("a struct pattern");
                    let before = source[..close].trim_end();
                    let text = if before.ends_with(',') || before.ends_with('{') {
                        " .. "
                    } else {
                        ", .. "
                    };
                    edits.push(Edit::insert(file, close, text.to_owned()));
                }
                // A match without the new variant: rustc suggests the arm.
                "E0004" => edits.extend(suggestion(error, &file, copy)),
                _ => {}
            }
        }
        if edits.is_empty() {
            let rendered: Vec<&str> = errors
                .iter()
                .filter_map(|d| d["rendered"].as_str())
                .collect();
            panic!(
                "the changes left errors that cannot be repaired in the crates (or errors in the \
                 dependant):\n{}",
                rendered.join("\n")
            );
        }
        // Later edits first, so that earlier offsets stay valid; one edit per
        // place (rustc reports a literal once per missing field).
        edits.sort_by(|a, b| (&b.file, b.start).cmp(&(&a.file, a.start)));
        edits.dedup_by(|a, b| a.file == b.file && a.start == b.start);
        for edit in edits {
            let mut source = std::fs::read_to_string(&edit.file).unwrap();
            source.replace_range(edit.start..edit.end, &edit.text);
            std::fs::write(&edit.file, source).unwrap();
            repairs += 1;
        }
    }
    panic!("the crates still do not compile after 20 rounds of repairs");
}

/// A replacement of `start..end` in `file` by `text`.
struct Edit {
    file: PathBuf,
    start: usize,
    end: usize,
    text: String,
}

impl Edit {
    fn insert(file: PathBuf, at: usize, text: String) -> Self {
        Edit {
            file,
            start: at,
            end: at,
            text,
        }
    }
}

/// rustc's suggested match arm (`,\n    path::To::Variant => todo!()`) as a
/// wildcard arm: the path rustc writes is not always in scope.
fn wildcard_arm(suggested: &str) -> String {
    let pattern_start = suggested
        .find(|c: char| !(c.is_whitespace() || c == ','))
        .unwrap_or(suggested.len());
    format!("{}_ => unreachable!()", &suggested[..pattern_start])
}

/// rustc's first suggested edit for an error, in `file`.
fn suggestion(error: &Value, file: &Path, copy: &Path) -> Option<Edit> {
    let children = error["children"].as_array()?;
    children.iter().find_map(|child| {
        child["spans"].as_array()?.iter().find_map(|span| {
            let replacement = span["suggested_replacement"].as_str()?;
            let named = span["file_name"].as_str()?;
            if copy.join(named) != file && Path::new(named) != file {
                return None;
            }
            Some(Edit {
                file: file.to_owned(),
                start: span["byte_start"].as_u64()? as usize,
                end: span["byte_end"].as_u64()? as usize,
                text: wildcard_arm(replacement),
            })
        })
    })
}
