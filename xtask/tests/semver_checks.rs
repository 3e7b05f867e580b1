//! spec-diff's Rust API verdicts, checked against cargo-semver-checks.
//!
//! Each case edits the project's spec (and sometimes its base too) as a
//! maintainer would. For each, the table records what spec-diff's Rust API
//! section says (breaking or not) and what cargo-semver-checks said about
//! the client regenerated from the two specs (the lints it reported, none
//! when it passed).
//!
//! - `spec_diff_gives_the_recorded_verdicts` (quick, in CI): spec-diff's
//!   verdict of every case is the recorded one.
//! - `cargo_semver_checks_gives_the_recorded_verdicts` (ignored: a desk
//!   check, `cargo test -p xtask --test semver_checks -- --ignored
//!   --nocapture`, with `cargo install cargo-semver-checks --locked`): builds
//!   both sides of every case as a scratch crate named `mrs-iam-sync`
//!   (the generated client and the rules crate, exposed as the client crate
//!   exposes them: `Client`, `builder`, `types`), runs `cargo semver-checks
//!   check-release --release-type patch` (so that every lint, major or
//!   minor, is reported), checks its lints against the table and prints the
//!   table as markdown. About 20 s per case once the dependencies are built
//!   in `target/semver-checks-desk/`.
//!
//! Where the two disagree the table says why: cargo-semver-checks (0.51)
//! does not compare the types of fields (an enum replacing a `String`,
//! `bool` becoming `Option<bool>`) and does not report a lost
//! `#[derive(Default)]`, which spec-diff reads from the generated code.
//! In every disagreement spec-diff is the stricter one.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::review::spec_diff::{self, load};
use xtask::{codegen::generate, codegen::spec, paths, workspace_root};

/// One spec change.
struct Case {
    name: &'static str,
    /// Edits of the project's spec that make the base (usually none).
    base: &'static [(&'static str, &'static str)],
    /// Edits of the base that make the head.
    head: &'static [(&'static str, &'static str)],
    /// spec-diff's Rust API section: breaking or not.
    breaking: bool,
    /// The lints cargo-semver-checks reported (none: it passed).
    semver_checks: &'static [&'static str],
    /// Why the two verdicts differ, where they do.
    disagreement: Option<&'static str>,
}

const STATE: &str = "        state:
          description: The task state, for example `synchronizing`.
          type: string
";
const STATE_ENUM: &str = "        state:
          description: The task state, for example `synchronizing`.
          type: string
          enum: [synchronizing]
";
const IS_SYNCHRONIZING: &str = "      required: [is_synchronizing]
      properties:
        is_synchronizing:";
const PRINCIPALS_GROUPS: &str = "        group_names:
          description: Names of the synchronized IAM user groups.
          type: array
          items:
            $ref: '#/components/schemas/IamGroupName'
";
const PRINCIPALS: &str = "      type: object
      properties:
        user_names:
          description: Names of the synchronized IAM users.";
const UPDATE_REQUEST: &str = "        user_names:
          description: IAM users to copy; their groups come along.";
const IS_ALL_SYNC: &str = "            named users and groups.
          type: boolean
          default: false
";
const MODE: &str = "        mode:
          description: How to copy.
          type: string
          enum: [merge, replace]
";
const SHOW_OPERATION: &str = "      operationId: ShowSyncIamUser";
const CANCEL_OPERATION_START: &str = "    delete:
      operationId: CancelSyncIamUser";
const NEW_PATH: &str = "  /v2/{project_id}/clusters/{cluster_id}/iam-sync-user:
    parameters:";
const NEW_OPERATION: &str = "  /v2/{project_id}/clusters/{cluster_id}/iam-sync/task:
    parameters:
      - $ref: '#/components/parameters/ProjectIdPath'
      - $ref: '#/components/parameters/ClusterIdPath'
    get:
      operationId: ShowSyncTask
      summary: Show the running task
      responses:
        '200':
          description: The task.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/SyncTaskAccepted'
        4XX:
          $ref: '#/components/responses/ClientError'
        5XX:
          $ref: '#/components/responses/ServerError'
  /v2/{project_id}/clusters/{cluster_id}/iam-sync-user:
    parameters:";

const CASES: &[Case] = &[
    Case {
        name: "optional property added to a response schema",
        base: &[],
        head: &[(
            STATE,
            "        state:
          description: The task state, for example `synchronizing`.
          type: string
        task_id:
          description: The task's id.
          type: string
",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "optional property added to a request schema",
        base: &[],
        head: &[(
            UPDATE_REQUEST,
            "        dry_run:
          description: Only check the names.
          type: boolean
        user_names:
          description: IAM users to copy; their groups come along.",
        )],
        breaking: true,
        semver_checks: &["constructible_struct_adds_field"],
        disagreement: None,
    },
    Case {
        name: "required property added to a response schema that had `Default`",
        base: &[],
        head: &[(
            PRINCIPALS,
            "      type: object
      required: [cluster_name]
      properties:
        cluster_name:
          description: The cluster's name.
          type: string
        user_names:
          description: Names of the synchronized IAM users.",
        )],
        breaking: true,
        semver_checks: &[],
        disagreement: Some(
            "typify drops `#[derive(Default)]` (`T::default()` and `..Default::default()` stop \
             compiling); cargo-semver-checks 0.51 does not report a lost `Default` derive (a toy \
             crate confirms it: a lost `Clone` is reported, a lost `Default` is not)",
        ),
    },
    Case {
        name: "required property added to a response schema",
        base: &[],
        head: &[(
            IS_SYNCHRONIZING,
            "      required: [is_synchronizing, task_id]
      properties:
        task_id:
          description: The running task.
          type: string
        is_synchronizing:",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "optional property removed from a response schema",
        base: &[],
        head: &[(PRINCIPALS_GROUPS, "")],
        breaking: true,
        // The field and its type builder's setter.
        semver_checks: &["inherent_method_missing", "struct_pub_field_missing"],
        disagreement: None,
    },
    Case {
        name: "operation added",
        base: &[],
        head: &[(NEW_PATH, NEW_OPERATION)],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "operation removed",
        base: &[],
        head: &[(
            CANCEL_OPERATION_START,
            "    x-removed:
      operationId: CancelSyncIamUser",
        )],
        breaking: true,
        // The method, the operation's builder, and its request type, which
        // no request reaches any more and so becomes `#[non_exhaustive]`.
        semver_checks: &[
            "inherent_method_missing",
            "struct_marked_non_exhaustive",
            "struct_missing",
        ],
        disagreement: None,
    },
    Case {
        name: "operationId renamed",
        base: &[],
        head: &[(SHOW_OPERATION, "      operationId: GetSyncIamUser")],
        breaking: true,
        semver_checks: &["inherent_method_missing", "struct_missing"],
        disagreement: None,
    },
    Case {
        name: "response string property became an enum",
        base: &[],
        head: &[(STATE, STATE_ENUM)],
        breaking: true,
        semver_checks: &[],
        disagreement: Some(
            "cargo-semver-checks does not compare field types: `state: String` became \
             `state: SyncTaskAcceptedState`",
        ),
    },
    Case {
        name: "enum value added to a response enum",
        base: &[(STATE, STATE_ENUM)],
        head: &[(
            "          enum: [synchronizing]\n",
            "          enum: [synchronizing, finished]\n",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "enum value added to a request enum",
        base: &[(
            UPDATE_REQUEST,
            "        mode:
          description: How to copy.
          type: string
          enum: [merge, replace]
        user_names:
          description: IAM users to copy; their groups come along.",
        )],
        head: &[(
            MODE,
            "        mode:
          description: How to copy.
          type: string
          enum: [merge, replace, mirror]
",
        )],
        breaking: true,
        semver_checks: &["enum_variant_added"],
        disagreement: None,
    },
    Case {
        name: "request property became required",
        base: &[],
        head: &[(
            "        otherwise only the named ones are.
      type: object
      properties:",
            "        otherwise only the named ones are.
      type: object
      required: [is_all_sync]
      properties:",
        )],
        breaking: true,
        semver_checks: &[],
        disagreement: Some(
            "typify drops `#[derive(Default)]` (`T::default()` and `..Default::default()` stop \
             compiling); cargo-semver-checks 0.51 does not report a lost `Default` derive (a toy \
             crate confirms it: a lost `Clone` is reported, a lost `Default` is not)",
        ),
    },
    Case {
        name: "response property became optional",
        base: &[],
        head: &[(
            IS_SYNCHRONIZING,
            "      properties:
        is_synchronizing:",
        )],
        breaking: true,
        semver_checks: &[],
        disagreement: Some(
            "cargo-semver-checks does not compare field types: `is_synchronizing: bool` became \
             `Option<bool>`",
        ),
    },
    Case {
        name: "default of a request property removed",
        base: &[],
        head: &[(
            IS_ALL_SYNC,
            "            named users and groups.
          type: boolean
",
        )],
        breaking: true,
        semver_checks: &[],
        disagreement: Some(
            "cargo-semver-checks does not compare field types: `is_all_sync: bool` became \
             `Option<bool>`",
        ),
    },
    Case {
        name: "inline object added to a response schema",
        base: &[],
        head: &[(
            PRINCIPALS_GROUPS,
            "        group_names:
          description: Names of the synchronized IAM user groups.
          type: array
          items:
            $ref: '#/components/schemas/IamGroupName'
        counts:
          description: How many of each.
          type: object
          properties:
            users:
              type: integer
            groups:
              type: integer
",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "path parameter rule tightened (maxLength 64 to 36)",
        base: &[],
        head: &[(
            "      maxLength: 64
      pattern: ^[A-Za-z0-9_-]{1,64}$",
            "      maxLength: 36
      pattern: ^[A-Za-z0-9_-]{1,36}$",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
    Case {
        name: "descriptions only",
        base: &[],
        head: &[(
            "The task state, for example `synchronizing`.",
            "The state of the task, for example `synchronizing`.",
        )],
        breaking: false,
        semver_checks: &[],
        disagreement: None,
    },
];

fn project_spec() -> String {
    std::fs::read_to_string(workspace_root().unwrap().join(paths::SPEC)).unwrap()
}

fn edited(text: &str, edits: &[(&str, &str)], case: &str) -> String {
    let mut text = text.to_owned();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "{case}: the spec changed, {from:?} is not found once"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// The base and head spec texts of a case.
fn sides(case: &Case) -> (String, String) {
    let base = edited(&project_spec(), case.base, case.name);
    let head = edited(&base, case.head, case.name);
    (base, head)
}

/// spec-diff's Rust API section of a case.
fn rust_api(case: &Case) -> spec_diff::rust_api::ApiDiff {
    let (base, head) = sides(case);
    let side = |which, text: &str| load::from_text(which, case.name, text).unwrap();
    let report = spec_diff::diff(
        &side(load::Which::Base, &base),
        &side(load::Which::Head, &head),
    )
    .unwrap();
    report.rust_api
}

#[test]
fn spec_diff_gives_the_recorded_verdicts() {
    assert!(CASES.len() >= 10);
    for case in CASES {
        let api = rust_api(case);
        assert_eq!(
            api.is_breaking(),
            case.breaking,
            "{}: spec-diff's Rust API verdict changed: {api:#?}",
            case.name
        );
        // Agreement is recorded, not assumed: a case without lints is
        // non-breaking for cargo-semver-checks.
        let semver_checks_breaking = !case.semver_checks.is_empty();
        assert_eq!(
            case.disagreement.is_some(),
            semver_checks_breaking != case.breaking,
            "{}: say why the verdicts differ, or stop saying it",
            case.name
        );
    }
}

/// The root manifest of a scratch workspace: the client's generated part
/// and the rules crate, with the workspace's versions of their dependencies.
const SCRATCH_ROOT: &str = r#"[workspace]
members = ["client", "rules"]
resolver = "3"

[workspace.package]
edition = "2024"
rust-version = "1.88"
license = "Apache-2.0"
repository = "https://example.com/scratch"
authors = ["scratch"]

[workspace.dependencies]
schemars = "0.8"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

const SCRATCH_CLIENT: &str = r#"[package]
name = "mrs-iam-sync"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
mrs-iam-sync-rules = { path = "../rules" }
progenitor-client = "0.15.1"
reqwest = { version = "0.13.5", default-features = false, features = ["json", "query", "stream"] }
serde.workspace = true
serde_json.workspace = true
"#;

/// What the client crate exposes of the generated code, and the hooks impl
/// the generated client requires.
const SCRATCH_LIB: &str = r#"//! The generated part of mrs-iam-sync, exposed as the client crate does.
pub struct Runtime;
#[rustfmt::skip]
mod generated;
pub use generated::{ByteStream, Client, ClientInfo, ResponseValue, builder};
pub mod types {
    pub use crate::generated::types::*;
    pub use mrs_iam_sync_rules::types::*;
}
impl progenitor_client::ClientHooks<Runtime> for Client {}
"#;

/// Writes a scratch workspace generated from `spec_text` into `dir`.
fn scratch(dir: &Path, spec_text: &str) {
    let root = workspace_root().unwrap();
    let rules = root.join("crates/mrs-iam-sync-rules");
    for folder in ["client/src", "rules/src"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    std::fs::write(dir.join("Cargo.toml"), SCRATCH_ROOT).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("client/Cargo.toml"), SCRATCH_CLIENT).unwrap();
    std::fs::write(dir.join("client/src/lib.rs"), SCRATCH_LIB).unwrap();
    for file in ["Cargo.toml", "README.md", "src/lib.rs", "src/constraint.rs"] {
        std::fs::copy(rules.join(file), dir.join("rules").join(file)).unwrap();
    }
    let spec = spec::parse(spec_text, "scratch").unwrap();
    for (path, code) in generate::render_all(&spec).unwrap() {
        let target = if path == paths::GENERATED {
            dir.join("client/src/generated.rs")
        } else {
            dir.join("rules/src")
                .join(Path::new(path).file_name().unwrap())
        };
        std::fs::write(target, code).unwrap();
    }
}

/// cargo-semver-checks' lints between two scratch workspaces, and whether it
/// passed.
fn semver_checks(base: &Path, head: &Path, target: &Path) -> (Vec<String>, bool) {
    let output = Command::new("cargo")
        .args(["semver-checks", "check-release", "--release-type", "patch"])
        .arg("--manifest-path")
        .arg(head.join("client/Cargo.toml"))
        .arg("--baseline-root")
        .arg(base)
        .args(["--package", "mrs-iam-sync"])
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo-semver-checks is installed (cargo install cargo-semver-checks --locked)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Summary"),
        "cargo-semver-checks did not run to its summary:\n{text}"
    );
    let mut lints: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("--- failure "))
        .filter_map(|rest| rest.split(':').next())
        .map(str::to_owned)
        .collect();
    lints.sort_unstable();
    lints.dedup();
    (lints, output.status.success())
}

#[test]
#[ignore = "desk check: needs cargo-semver-checks, ~20 s per case"]
fn cargo_semver_checks_gives_the_recorded_verdicts() {
    // SEMVER_CHECKS_ONLY=<part of a case name> runs the matching cases;
    // SEMVER_CHECKS_KEEP=1 keeps the scratch workspaces (their folder is
    // printed) to look into a verdict.
    let only = std::env::var("SEMVER_CHECKS_ONLY").unwrap_or_default();
    let temp = tempfile::tempdir().unwrap();
    let target: PathBuf = workspace_root().unwrap().join("target/semver-checks-desk");
    let mut table = String::from(
        "| spec change | spec-diff (Rust API) | cargo-semver-checks | agree |\n| --- | --- | --- | --- |\n",
    );
    let mut wrong = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        if !case.name.contains(&only) {
            continue;
        }
        let (base_text, head_text) = sides(case);
        let base = temp.path().join(format!("{index}/base"));
        let head = temp.path().join(format!("{index}/head"));
        scratch(&base, &base_text);
        scratch(&head, &head_text);
        let (lints, passed) = semver_checks(&base, &head, &target);
        let mut expected: Vec<&str> = case.semver_checks.to_vec();
        expected.sort_unstable();
        if lints != expected || passed != expected.is_empty() {
            wrong.push(format!(
                "{}: cargo-semver-checks reported {lints:?} (passed: {passed}), the table says {expected:?}",
                case.name
            ));
        }
        let verdict = |breaking: bool| if breaking { "breaking" } else { "not breaking" };
        let checks = if lints.is_empty() {
            "passes".to_owned()
        } else {
            lints
                .iter()
                .map(|lint| format!("`{lint}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let agree = match case.disagreement {
            None => "yes".to_owned(),
            Some(why) => format!("no: {why}"),
        };
        table.push_str(&format!(
            "| {} | {} | {checks} | {agree} |\n",
            case.name,
            verdict(case.breaking)
        ));
    }
    println!("{table}");
    if std::env::var_os("SEMVER_CHECKS_KEEP").is_some() {
        println!("scratch workspaces kept in {}", temp.keep().display());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
