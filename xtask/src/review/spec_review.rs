//! `cargo xtask spec-review`: the pull-request review that
//! `.github/workflows/spec-review.yml` runs.
//!
//! Everything the workflow decides lives here, so that it can be tested
//! without GitHub: read the `pull_request` event payload, compare the spec
//! of the pull request's base commit with the checked-out tree, show the
//! changelog entry of a new client version, run `cargo xtask check --base`
//! (soundness, freshness, the version gate, the changelog entry), and write
//! one comment. The workflow only posts the comment (a sticky
//! comment, updated on each push) and fails when this command does.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::{codegen::check, codegen::generate, review::changelog, review::spec_diff};

/// The hidden first line of the comment: what finds it again to update it.
pub const MARKER: &str = "<!-- cargo-xtask-spec-review -->";

/// The pull request an event payload is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The commit the pull request is compared with.
    pub base_sha: String,
    /// The branch it merges into, for the comment.
    pub base_ref: String,
    pub head_sha: String,
}

/// Reads the fields the review needs from a `pull_request` event payload
/// (`$GITHUB_EVENT_PATH`).
pub fn pull_request(payload: &str, shown: &str) -> Result<PullRequest> {
    let event: Value = serde_json::from_str(payload)
        .map_err(|err| anyhow!("{shown}: not a JSON event payload: {err}"))?;
    let pr = event
        .get("pull_request")
        .ok_or_else(|| anyhow!("{shown}: no `pull_request`: not a pull_request event"))?;
    let text = |pointer: &str| -> Result<String> {
        pr.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                anyhow!(
                    "{shown}: `pull_request{}` is missing or not a string",
                    pointer.replace('/', ".")
                )
            })
    };
    let sha = |pointer: &str| -> Result<String> {
        let sha = text(pointer)?;
        if sha.len() < 7 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "{shown}: `pull_request{}` is not a commit id: `{sha}`",
                pointer.replace('/', ".")
            );
        }
        Ok(sha)
    };
    Ok(PullRequest {
        number: pr
            .get("number")
            .and_then(Value::as_u64)
            .ok_or_else(|| anyhow!("{shown}: `pull_request.number` is missing"))?,
        base_sha: sha("/base/sha")?,
        base_ref: text("/base/ref")?,
        head_sha: sha("/head/sha")?,
    })
}

/// What the review found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The comment, in markdown, starting with [`MARKER`].
    pub comment: String,
    /// Whether `cargo xtask check --base` passed: the workflow's verdict.
    pub passed: bool,
}

/// Reviews the working tree at `root` against the pull request's base.
pub fn review(root: &Path, pr: &PullRequest) -> Result<Review> {
    let short = &pr.base_sha[..7.min(pr.base_sha.len())];
    let diff = spec_diff::execute(
        root,
        &[
            "--base",
            &pr.base_sha,
            "--check-version",
            "--format",
            "markdown",
        ],
    );
    if diff.code == 2 {
        bail!("spec-diff --base {}: {}", pr.base_sha, diff.stderr.trim());
    }
    let checked = check::run_with_base(root, &pr.base_sha);
    let mut comment = format!("{MARKER}\n");
    comment.push_str(&diff.stdout.replacen(
        &format!("`{}:", pr.base_sha),
        &format!("`{}:", pr.base_ref),
        1,
    ));
    comment.push_str(&changelog::markdown(
        &changelog::release_since(root, &pr.base_sha),
        &pr.base_ref,
    ));
    comment.push_str(&format!("\n#### `cargo xtask check --base {short}`\n\n"));
    match &checked {
        Ok(()) => comment.push_str(
            "passed: the spec is sound, the generated client is fresh, the version matches the change, \
             and a new version has its changelog entry.\n",
        ),
        Err(err) => comment.push_str(&format!(
            "**failed**: {}\n",
            format!("{err:#}").replace('\n', " ")
        )),
    }
    comment.push_str(&format!(
        "\n<sub>#{} at {} against `{}` ({short}); rules and levels: `xtask/SPEC_DIFF.md`.</sub>\n",
        pr.number,
        &pr.head_sha[..7.min(pr.head_sha.len())],
        pr.base_ref
    ));
    Ok(Review {
        comment,
        passed: checked.is_ok(),
    })
}

/// `cargo xtask spec-review --event FILE --comment FILE`: writes the
/// comment, and fails when the check does.
pub fn run(root: &Path, event: &Path, comment: &Path) -> Result<()> {
    let payload = std::fs::read_to_string(event)
        .with_context(|| format!("{}: cannot read the event payload", event.display()))?;
    let pr = pull_request(&payload, &event.display().to_string())?;
    let review = review(root, &pr)?;
    generate::write_if_changed(comment, review.comment.as_bytes())?;
    println!("wrote {}", comment.display());
    if review.passed {
        Ok(())
    } else {
        bail!(
            "`cargo xtask check --base {}` failed (see {})",
            pr.base_sha,
            comment.display()
        )
    }
}
