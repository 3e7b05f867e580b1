//! `cargo xtask spec-review` (the pull-request workflow's logic) on a
//! temporary git repository, with a `pull_request` event payload in
//! GitHub's format (`tests/spec_review/pull_request.json`; the two commit
//! ids are filled in here), and the workflow file itself.

mod common;

use std::path::{Path, PathBuf};

use common::git;
use xtask::spec_review;

fn workspace() -> PathBuf {
    xtask::workspace_root().unwrap()
}

/// Writes the spec and the client generated from it, as a contributor does.
fn write_spec(root: &Path, text: &str) {
    std::fs::write(root.join(xtask::paths::SPEC), text).unwrap();
    let spec = xtask::spec::parse(text, "spec").unwrap();
    for (path, code) in xtask::generate::render_all(&spec).unwrap() {
        std::fs::write(root.join(path), code).unwrap();
    }
}

fn set_version(root: &Path, version: &str) {
    std::fs::write(
        root.join(xtask::paths::CLIENT_MANIFEST),
        format!(
            "[package]\nname = \"mrs-iam-sync\"\nversion = \"{version}\"\nedition = \"2024\"\n"
        ),
    )
    .unwrap();
}

/// The recorded payload with this repository's commits.
fn event(dir: &Path, base: &str, head: &str) -> PathBuf {
    let recorded =
        std::fs::read_to_string(workspace().join("xtask/tests/spec_review/pull_request.json"))
            .unwrap();
    let path = dir.join("event.json");
    std::fs::write(
        &path,
        recorded.replace("BASE_SHA", base).replace("HEAD_SHA", head),
    )
    .unwrap();
    path
}

#[test]
fn a_breaking_pull_request_gets_a_failing_review_until_the_version_is_bumped() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("repo");
    for folder in ["spec", "crates/mrs-iam-sync/src"] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
    }
    let spec = std::fs::read_to_string(workspace().join(xtask::paths::SPEC)).unwrap();
    write_spec(&root, &spec);
    set_version(&root, "0.1.0");
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "base"]);
    let base = git(&root, &["rev-parse", "HEAD"]);

    // The pull request renames an operation and regenerates the client,
    // but forgets the version.
    git(&root, &["checkout", "-q", "-b", "rename-show"]);
    assert!(spec.contains("operationId: ShowSyncIamUser"));
    write_spec(
        &root,
        &spec.replace(
            "operationId: ShowSyncIamUser",
            "operationId: GetSyncIamUser",
        ),
    );
    git(&root, &["commit", "-q", "-am", "rename"]);
    let head = git(&root, &["rev-parse", "HEAD"]);
    let comment = temp.path().join("comment.md");
    let err = spec_review::run(&root, &event(temp.path(), &base, &head), &comment).unwrap_err();
    assert!(format!("{err:#}").contains("check --base"), "{err:#}");
    let text = std::fs::read_to_string(&comment).unwrap();
    assert!(text.starts_with(spec_review::MARKER), "{text}");
    for expected in [
        "`api-operation-id-updated`",
        "rust-method-removed",
        "**fails**: breaking spec change since",
        "bump to 0.2.0",
        "**failed**",
        "#42 at ",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }

    // Another push bumps the version: the same comment (same marker) is
    // rewritten, and the review passes.
    set_version(&root, "0.2.0");
    git(&root, &["commit", "-q", "-am", "bump"]);
    let head = git(&root, &["rev-parse", "HEAD"]);
    spec_review::run(&root, &event(temp.path(), &base, &head), &comment).unwrap();
    let text = std::fs::read_to_string(&comment).unwrap();
    assert!(text.starts_with(spec_review::MARKER));
    assert!(
        text.contains("was bumped from 0.1.0 to 0.2.0: ok"),
        "{text}"
    );
    assert!(text.contains("passed: the spec is sound"), "{text}");
}

#[test]
fn payloads_that_are_not_pull_requests_are_refused_by_name() {
    let err = spec_review::pull_request("{\"ref\": \"refs/heads/main\"}", "push.json").unwrap_err();
    assert!(
        err.to_string().contains("push.json: no `pull_request`"),
        "{err}"
    );
    let recorded =
        std::fs::read_to_string(workspace().join("xtask/tests/spec_review/pull_request.json"))
            .unwrap();
    let err = spec_review::pull_request(&recorded, "event.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("`pull_request.base.sha` is not a commit id"),
        "{err}"
    );
    let pr = spec_review::pull_request(
        &recorded
            .replace("BASE_SHA", "0123456789abcdef")
            .replace("HEAD_SHA", "fedcba9876543210"),
        "event.json",
    )
    .unwrap();
    assert_eq!((pr.number, pr.base_ref.as_str()), (42, "main"));
}

#[test]
fn the_workflow_runs_the_review_and_posts_one_sticky_comment() {
    let path = workspace().join(".github/workflows/spec-review.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let workflow: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let paths = &workflow["on"]["pull_request"]["paths"];
    for watched in ["spec/**", "xtask/**"] {
        assert!(
            paths.as_array().unwrap().iter().any(|p| p == watched),
            "{watched}"
        );
    }
    let steps = workflow["jobs"]["spec-review"]["steps"].as_array().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter().any(|r| r.contains("cargo xtask spec-review")
            && r.contains("--event \"$GITHUB_EVENT_PATH\"")
            && r.contains("--comment target/spec-review.md")),
        "{runs:?}"
    );
    let sticky = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("marocchino/sticky-pull-request-comment@"))
        })
        .expect("a sticky comment step");
    assert_eq!(sticky["with"]["path"], "target/spec-review.md");
    // The job fails when the review does, after the comment is posted.
    let last = steps.last().unwrap();
    assert_eq!(last["if"], "${{ steps.review.outcome != 'success' }}");
    assert!(last["run"].as_str().unwrap().contains("exit 1"));
    assert_eq!(workflow["permissions"]["pull-requests"], "write");
}
