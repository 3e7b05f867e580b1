//! The GitHub workflows: `ci.yml` runs the script CI runs, and every
//! workflow is hardened the way zizmor (run by `.ci/run`) cannot fully
//! check — each action pinned to a commit with its tag beside it, for
//! readers and for Dependabot.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn workspace() -> PathBuf {
    xtask::workspace_root().unwrap()
}

fn workflows() -> Vec<(PathBuf, String)> {
    let dir = workspace().join(".github/workflows");
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

fn parse(path: &Path, text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

#[test]
fn ci_runs_the_script_ci_runs_on_pull_requests_and_main() {
    let path = workspace().join(".github/workflows/ci.yml");
    let workflow = parse(&path, &std::fs::read_to_string(&path).unwrap());
    assert_eq!(workflow["on"]["pull_request"], Value::Null);
    assert!(workflow["on"].get("pull_request").is_some());
    assert_eq!(workflow["on"]["push"]["branches"], json!(["main"]));
    assert_eq!(workflow["permissions"], json!({"contents": "read"}));
    assert_eq!(workflow["concurrency"]["cancel-in-progress"], true);

    let jobs = workflow["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = jobs.values().next().unwrap();
    assert_eq!(job["runs-on"], "ubuntu-latest");
    assert_eq!(job["permissions"], json!({"contents": "read"}));
    // Within CI's budget of 90 minutes.
    let timeout = job["timeout-minutes"].as_u64().unwrap();
    assert!((20..=90).contains(&timeout), "{timeout}");

    let steps = job["steps"].as_array().unwrap();
    let cache = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("a cache step");
    assert!(
        cache["with"]["key"]
            .as_str()
            .unwrap()
            .ends_with("${{ hashFiles('Cargo.lock') }}"),
        "{cache}"
    );
    assert!(
        cache["with"]["path"]
            .as_str()
            .unwrap()
            .lines()
            .any(|p| p == "target/")
    );
    // The last step is the very command CI runs on a clean clone.
    assert_eq!(steps.last().unwrap()["run"], "bash .ci/run");
    let script = workspace().join(".ci/run");
    assert!(
        std::fs::read_to_string(&script)
            .unwrap()
            .starts_with("#!/usr/bin/env bash\n")
    );
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_tag_beside_it() {
    for (path, text) in workflows() {
        let shown = path.display();
        let mut pinned = 0;
        for (number, line) in text.lines().enumerate() {
            let Some((_, used)) = line.split_once("uses: ") else {
                continue;
            };
            let (reference, comment) = used.split_once(" # ").unwrap_or((used, ""));
            let (action, sha) = reference
                .trim()
                .split_once('@')
                .unwrap_or_else(|| panic!("{shown}:{}: `{used}` has no @", number + 1));
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{shown}:{}: {action} is pinned to `{sha}`, not a full commit id",
                number + 1
            );
            let tag = comment.trim();
            assert!(
                tag.starts_with('v') && tag[1..].split('.').all(|n| n.parse::<u32>().is_ok()),
                "{shown}:{}: {action}'s pin needs its tag in a comment (`# vX.Y.Z`), not `{tag}`",
                number + 1
            );
            pinned += 1;
        }
        assert!(pinned > 0, "{shown}: no action");

        // Checkout never leaves the token in the working copy.
        let workflow = parse(&path, &text);
        for (name, job) in workflow["jobs"].as_object().unwrap() {
            assert!(
                job.get("permissions").is_some(),
                "{shown}: job {name} has no permissions of its own"
            );
            for step in job["steps"].as_array().unwrap() {
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    assert_eq!(
                        step["with"]["persist-credentials"], false,
                        "{shown}: job {name}"
                    );
                }
                // No expression expanded inside a script: values reach it
                // through the environment.
                if let Some(run) = step["run"].as_str() {
                    assert!(!run.contains("${{"), "{shown}: job {name}: {run}");
                }
            }
        }
    }
}
