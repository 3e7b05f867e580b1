//! Patterns of the shapes real specs write, end to end (issue #26): a test
//! spec (the project's, with a UUID pattern on `cluster_id`, IAM's user-name
//! rule on `user_names` and an alternation on `group_names`) is generated
//! with `generate::render_all` into a scratch workspace holding copies of
//! the client, its rules, hwcloud-auth and the loopback server, which is
//! built and runs `pattern_specs/check.rs` against the server. That program
//! checks, for each pattern, that the client refuses a value before sending
//! and that the server refuses it with 400 `12000002`, both naming the
//! pattern of the one generated table, and that a value the pattern accepts
//! passes both.
//!
//! The scratch workspace builds in this workspace's target directory (cargo
//! does not hold its lock while tests run), with its crates under
//! `patterns/` instead of `crates/`: cargo hashes a workspace member by its
//! path inside the workspace, so the scratch crates get artifacts of their
//! own and overwrite nothing of the real ones, while every dependency
//! already built is reused.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::{codegen::generate, codegen::spec, paths};

/// RFC 4122's textual form, lower-case.
const UUID: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
/// IAM's rule for user names: letters, digits, spaces, `-`, `_` and `.`,
/// not starting with a digit; 1 to 64 characters.
const IAM_USER_NAME: &str = "^[A-Za-z _.-][A-Za-z0-9 _.-]{0,63}$";
/// Alternatives, as region ids are written.
const ALTERNATION: &str = "^(cn|ap|eu)-[a-z]+-[0-9]$";

/// The crates the check needs, copied from `crates/` to `patterns/`.
const CRATES: [&str; 4] = [
    "hwcloud-auth",
    "mrs-iam-sync",
    "mrs-iam-sync-rules",
    "mrs-iam-sync-server",
];

/// The project's spec with the three patterns (and examples that keep
/// them, which `spec::parse` checks).
fn test_spec(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join(paths::SPEC)).unwrap();
    let mut doc: Value = serde_yaml::from_str(&text).unwrap();
    let schemas = &mut doc["components"]["schemas"];
    schemas["ClusterId"]["pattern"] = json!(UUID);
    // Components, as a spec names its rules (the client types them as
    // `String`, the generated rules check them).
    schemas["TestUserName"] = json!({"type": "string", "pattern": IAM_USER_NAME});
    schemas["TestGroupName"] = json!({"type": "string", "minLength": 1, "pattern": ALTERNATION});
    let request = &mut schemas["UpdateSyncIamUserRequest"];
    request["properties"]["user_names"]["items"] =
        json!({"$ref": "#/components/schemas/TestUserName"});
    request["properties"]["group_names"]["items"] =
        json!({"$ref": "#/components/schemas/TestGroupName"});
    request["example"] = json!({"user_names": ["user.one"], "group_names": ["cn-north-4"]});
    // Examples of the request body written at the operation.
    let sync = "/v2/{project_id}/clusters/{cluster_id}/iam-sync-user";
    if let Some(examples) = doc["paths"][sync]["post"]["requestBody"]["content"]["application/json"]
        ["examples"]
        .as_object_mut()
    {
        for value in examples.values_mut().map(|example| &mut example["value"]) {
            if value.get("user_names").is_some() {
                value["user_names"] = json!(["user.one"]);
            }
            if value.get("group_names").is_some() {
                value["group_names"] = json!(["cn-north-4"]);
            }
        }
    }
    serde_yaml::to_string(&doc).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// The root manifest with the scratch members instead of the real ones.
fn scratch_manifest(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members: Vec<String> = CRATES
        .iter()
        .map(|name| format!("\"patterns/{name}\""))
        .chain(["\"patterns/check\"".to_owned()])
        .collect();
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("members = [") {
            out.push_str(&format!("members = [{}]\n", members.join(", ")));
            skipping = !line.ends_with(']');
            continue;
        }
        if line.starts_with("default-members = [") {
            skipping = !line.ends_with(']');
            continue;
        }
        if skipping {
            skipping = line.trim() != "]";
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

const CHECK_MANIFEST: &str = r#"[package]
name = "pattern-check"
version = "0.0.0"
edition.workspace = true
publish = false

[dependencies]
mrs-iam-sync = { path = "../mrs-iam-sync", default-features = false, features = ["ring"] }
mrs-iam-sync-rules = { path = "../mrs-iam-sync-rules" }
mrs-iam-sync-server = { path = "../mrs-iam-sync-server" }
serde_json.workspace = true
tokio = { workspace = true, features = ["rt", "macros"] }
"#;

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

#[test]
fn uuid_user_name_and_alternation_patterns_are_checked_by_client_and_server() {
    let root = xtask::workspace_root().unwrap();
    let text = test_spec(&root);
    let spec = spec::parse(&text, "patterns.yaml").expect("the test spec is sound");
    let files = generate::render_all(&spec).expect("the test spec generates");

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for name in CRATES {
        copy_dir(
            &root.join("crates").join(name),
            &dir.join("patterns").join(name),
        );
    }
    for (path, code) in &files {
        let path = path.strip_prefix("crates/").unwrap();
        std::fs::write(dir.join("patterns").join(path), code).unwrap();
    }
    std::fs::create_dir_all(dir.join("patterns/check/src")).unwrap();
    std::fs::write(dir.join("patterns/check/Cargo.toml"), CHECK_MANIFEST).unwrap();
    std::fs::write(
        dir.join("patterns/check/src/main.rs"),
        include_str!("pattern_specs/check.rs"),
    )
    .unwrap();
    std::fs::write(dir.join("Cargo.toml"), scratch_manifest(&root)).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    std::fs::write(dir.join(paths::SPEC), &text).unwrap();

    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["run", "--offline", "--quiet", "-p", "pattern-check"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir(&root))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.trim(),
        format!("ok: {UUID} | {IAM_USER_NAME} | {ALTERNATION}"),
        "{stderr}"
    );
}
