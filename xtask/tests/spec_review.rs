//! `cargo xtask spec-review` (the pull-request workflow's logic) on a
//! temporary git repository, with a `pull_request` event payload in
//! GitHub's format (`tests/spec_review/pull_request.json`; the two commit
//! ids are filled in here), and the workflow file itself.

mod common;

use std::path::{Path, PathBuf};

use common::git;
use xtask::review::spec_review;

fn workspace() -> PathBuf {
    xtask::workspace_root().unwrap()
}

/// Writes the spec and the client generated from it, as a contributor does.
fn write_spec(root: &Path, text: &str) {
    std::fs::write(root.join(xtask::paths::SPEC), text).unwrap();
    let spec = xtask::codegen::spec::parse(text, "spec").unwrap();
    for (path, code) in xtask::codegen::generate::render_all(&spec).unwrap() {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, code).unwrap();
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

/// A git repository at `dir/repo` with the workspace's spec, the client
/// generated from it and version 0.1.0 committed on `main`; returns the
/// repository, the spec and the commit.
fn repository(dir: &Path) -> (PathBuf, String, String) {
    let root = dir.join("repo");
    std::fs::create_dir_all(root.join("spec")).unwrap();
    let spec = std::fs::read_to_string(workspace().join(xtask::paths::SPEC)).unwrap();
    write_spec(&root, &spec);
    set_version(&root, "0.1.0");
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "base"]);
    let base = git(&root, &["rev-parse", "HEAD"]);
    (root, spec, base)
}

fn write_changelog(root: &Path, text: &str) {
    std::fs::write(root.join(xtask::paths::CHANGELOG), text).unwrap();
}

#[test]
fn a_breaking_pull_request_gets_a_failing_review_until_the_version_is_bumped() {
    let temp = tempfile::tempdir().unwrap();
    let (root, spec, base) = repository(temp.path());

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

    assert!(
        text.contains("The client's version is unchanged since `main`: no entry needed."),
        "{text}"
    );

    // Another push bumps the version but has no changelog entry: the same
    // comment (same marker) is rewritten, and still fails.
    set_version(&root, "0.2.0");
    git(&root, &["commit", "-q", "-am", "bump"]);
    let head = git(&root, &["rev-parse", "HEAD"]);
    let err = spec_review::run(&root, &event(temp.path(), &base, &head), &comment).unwrap_err();
    assert!(format!("{err:#}").contains("check --base"), "{err:#}");
    let text = std::fs::read_to_string(&comment).unwrap();
    assert!(text.starts_with(spec_review::MARKER));
    assert!(
        text.contains("was bumped from 0.1.0 to 0.2.0: ok"),
        "{text}"
    );
    assert!(
        text.contains("#### Changelog\n\n**missing**: mrs-iam-sync went from 0.1.0 to 0.2.0"),
        "{text}"
    );
    assert!(text.contains("**failed**"), "{text}");

    // The entry comes with the next push: the review passes and quotes it.
    write_changelog(
        &root,
        "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-07\n\n### Changed\n\n\
         - `ShowSyncIamUser` is now `GetSyncIamUser`.\n",
    );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-q", "-m", "changelog"]);
    let head = git(&root, &["rev-parse", "HEAD"]);
    spec_review::run(&root, &event(temp.path(), &base, &head), &comment).unwrap();
    let text = std::fs::read_to_string(&comment).unwrap();
    assert!(text.starts_with(spec_review::MARKER));
    assert!(
        text.contains(
            "mrs-iam-sync 0.1.0 → 0.2.0, its entry in `CHANGELOG.md`:\n\n\
             > ## [0.2.0] - 2026-12-07\n>\n> ### Changed\n>\n\
             > - `ShowSyncIamUser` is now `GetSyncIamUser`.\n"
        ),
        "{text}"
    );
    assert!(text.contains("passed: the spec is sound"), "{text}");
}

#[test]
fn check_base_demands_a_changelog_entry_for_a_new_version() {
    let temp = tempfile::tempdir().unwrap();
    let (root, _, base) = repository(temp.path());
    let check =
        || xtask::codegen::check::run_with_base(&root, &base).map_err(|err| format!("{err:#}"));
    let changelog = root.join(xtask::paths::CHANGELOG);

    // The same version needs no entry, not even a changelog.
    check().unwrap();

    // A patch release without its entry fails, naming what it needs.
    set_version(&root, "0.1.1");
    let msg = check().unwrap_err();
    assert!(
        msg.starts_with(&format!(
            "mrs-iam-sync went from 0.1.0 to 0.1.1 since {base}, but {} cannot be read (",
            changelog.display()
        )) && msg.ends_with("its entry `## [0.1.1] - YYYY-MM-DD` belongs there"),
        "{msg}"
    );
    let released = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-30\n\n- First.\n";
    write_changelog(&root, released);
    let msg = check().unwrap_err();
    assert_eq!(
        msg,
        format!(
            "mrs-iam-sync went from 0.1.0 to 0.1.1 since {base}, but {}: no section for 0.1.1: \
             add `## [0.1.1] - YYYY-MM-DD` with its changes (keep-a-changelog: the \
             `## [Unreleased]` items move under it)",
            changelog.display()
        )
    );

    // A heading alone, or one without its date, is not an entry.
    let with = |section: &str| released.replace("## [0.1.0]", &format!("{section}\n\n## [0.1.0]"));
    write_changelog(&root, &with("## [0.1.1] - 2026-12-07"));
    assert!(
        check()
            .unwrap_err()
            .contains("the section for 0.1.1 lists no change")
    );
    write_changelog(&root, &with("## [0.1.1]\n\n- Fixed a thing."));
    assert!(
        check()
            .unwrap_err()
            .contains("`## [0.1.1]` needs the release date")
    );

    // With its entry it passes.
    write_changelog(
        &root,
        &with("## [0.1.1] - 2026-12-07\n\n### Fixed\n\n- A thing."),
    );
    check().unwrap();
    let release = xtask::review::changelog::release_since(&root, &base)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            release.previous.as_str(),
            release.version.as_str(),
            release.entry.body.as_str()
        ),
        ("0.1.0", "0.1.1", "### Fixed\n\n- A thing.")
    );
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
    for watched in ["spec/**", "xtask/**", "CHANGELOG.md"] {
        assert!(
            paths.as_array().unwrap().iter().any(|p| p == watched),
            "{watched}"
        );
    }
    let steps = |job: &str| workflow["jobs"][job]["steps"].as_array().unwrap().clone();
    let uses = |steps: &[serde_json::Value], action: &str| -> serde_json::Value {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
            .unwrap_or_else(|| panic!("no {action} step"))
            .clone()
    };

    // The review runs the pull request's code with a read-only token and
    // hands the comment on.
    let review = steps("review");
    let runs: Vec<&str> = review.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter().any(|r| r.contains("cargo xtask spec-review")
            && r.contains("--event \"$GITHUB_EVENT_PATH\"")
            && r.contains("--comment target/spec-review.md")),
        "{runs:?}"
    );
    assert_eq!(
        uses(&review, "actions/upload-artifact@")["with"]["path"],
        "target/spec-review.md"
    );
    // The job fails when the review does, after the comment is handed on.
    let last = review.last().unwrap();
    assert_eq!(last["if"], "${{ steps.review.outcome != 'success' }}");
    assert!(last["run"].as_str().unwrap().contains("exit 1"));

    // Only the comment job, which runs none of it, may write.
    assert_eq!(workflow["permissions"], serde_json::json!({}));
    assert_eq!(
        workflow["jobs"]["review"]["permissions"],
        serde_json::json!({"contents": "read"})
    );
    let comment = &workflow["jobs"]["comment"];
    assert_eq!(
        comment["permissions"],
        serde_json::json!({"pull-requests": "write"})
    );
    assert_eq!(comment["needs"], "review");
    assert_eq!(comment["if"], "${{ !cancelled() }}");
    let posting = steps("comment");
    assert!(posting.iter().all(|s| s.get("run").is_none()));
    assert_eq!(
        uses(&posting, "actions/download-artifact@")["with"]["name"],
        "spec-review"
    );
    let sticky = uses(&posting, "marocchino/sticky-pull-request-comment@");
    assert_eq!(sticky["with"]["path"], "spec-review.md");
    assert_eq!(sticky["with"]["header"], "spec-review");
}
