//! The changelog gate of `cargo xtask check --base REV`: when the client
//! crate's version changed since `REV`, `CHANGELOG.md` must have that
//! version's section, in the keep-a-changelog form:
//!
//! ```markdown
//! ## [0.2.0] - 2026-12-07
//!
//! ### Changed
//!
//! - What a dependant must know, one item per change.
//! ```
//!
//! The heading names the version exactly, in brackets, with its date; at
//! least one list item follows before the next `## ` heading. The spec
//! review shows the section in its comment.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use crate::paths;
use crate::review::spec_diff::{manifests_since, semver::package_of};

/// One version's section of the changelog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The heading line, e.g. `## [0.2.0] - 2026-12-07`.
    pub heading: String,
    /// The lines under the heading up to the next `## ` heading (link
    /// reference definitions at its end left out), trimmed.
    pub body: String,
    /// How many list items the body has.
    pub items: usize,
}

/// A version change of the client crate since a revision, and its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub crate_name: String,
    /// The version at the revision.
    pub previous: String,
    /// The version in the working tree.
    pub version: String,
    pub entry: Entry,
}

/// The section of `version` in a keep-a-changelog document; `shown` names
/// the document in errors.
pub fn entry(changelog: &str, version: &str, shown: &str) -> Result<Entry> {
    let lines: Vec<&str> = changelog.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("## "))
        .collect();
    let wanted = format!("## [{version}]");
    let found: Vec<usize> = starts
        .iter()
        .copied()
        .filter(|&i| {
            lines[i]
                .strip_prefix(&wanted)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
        .collect();
    let start = match found.as_slice() {
        [] => bail!(
            "{shown}: no section for {version}: add `## [{version}] - YYYY-MM-DD` with its changes \
             (keep-a-changelog: the `## [Unreleased]` items move under it)"
        ),
        [one] => *one,
        [first, second, ..] => bail!(
            "{shown}: two sections for {version} (lines {} and {})",
            first + 1,
            second + 1
        ),
    };
    let heading = lines[start].trim_end();
    let date = &heading[wanted.len()..];
    // keep-a-changelog marks a withdrawn release `## [x.y.z] - date [YANKED]`.
    let dated = date
        .strip_prefix(" - ")
        .map(|date| date.strip_suffix(" [YANKED]").unwrap_or(date));
    if !dated.is_some_and(is_iso_date) {
        bail!(
            "{shown}:{}: `{heading}` needs the release date: `{wanted} - YYYY-MM-DD`",
            start + 1
        );
    }
    let end = starts
        .iter()
        .copied()
        .find(|&i| i > start)
        .unwrap_or(lines.len());
    let mut body = &lines[start + 1..end];
    while let [rest @ .., last] = body {
        if last.trim().is_empty() || is_link_reference(last) {
            body = rest;
        } else {
            break;
        }
    }
    let items = body.iter().filter(|line| is_list_item(line)).count();
    if items == 0 {
        bail!(
            "{shown}:{}: the section for {version} lists no change: add `- ...` items \
             (under `### Added`, `### Changed`, `### Fixed`, ...)",
            start + 1
        );
    }
    Ok(Entry {
        heading: heading.to_string(),
        body: body.join("\n").trim().to_string(),
        items,
    })
}

/// `YYYY-MM-DD` with a month of 01-12 and a day of 01-31.
fn is_iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [year, month, day] => {
            number(year, 4).is_some()
                && number(month, 2).is_some_and(|m| (1..=12).contains(&m))
                && number(day, 2).is_some_and(|d| (1..=31).contains(&d))
        }
        _ => false,
    }
}

/// `[0.1.0]: https://...`, the links of keep-a-changelog's headings.
fn is_link_reference(line: &str) -> bool {
    line.starts_with('[') && line.contains("]: ")
}

fn is_list_item(line: &str) -> bool {
    let line = line.trim_start();
    ["- ", "* ", "+ "]
        .iter()
        .any(|bullet| line.starts_with(bullet))
}

/// The gate: `Ok(None)` when the client crate's version is the same at
/// `rev` and in the working tree, its [`Release`] when it changed and the
/// changelog has the new version's entry, an error naming the entry it
/// needs otherwise.
pub fn release_since(root: &Path, rev: &str) -> Result<Option<Release>> {
    let (base_manifest, head_manifest) = manifests_since(root, rev)?;
    let (crate_name, previous) = package_of(&base_manifest, &format!("base manifest ({rev})"))?;
    let (_, version) = package_of(&head_manifest, "head manifest")?;
    if previous == version {
        return Ok(None);
    }
    let path = root.join(paths::CHANGELOG);
    let shown = path.display().to_string();
    let changed = format!("{crate_name} went from {previous} to {version} since {rev}");
    let changelog = std::fs::read_to_string(&path).map_err(|err| {
        anyhow!(
            "{changed}, but {shown} cannot be read ({err}): its entry \
             `## [{version}] - YYYY-MM-DD` belongs there"
        )
    })?;
    let entry =
        entry(&changelog, &version, &shown).map_err(|err| anyhow!("{changed}, but {err:#}"))?;
    Ok(Some(Release {
        crate_name,
        previous,
        version,
        entry,
    }))
}

/// `cargo xtask check --base REV`'s changelog step: prints what it found,
/// fails like [`release_since`].
pub fn check_since(root: &Path, rev: &str) -> Result<()> {
    let shown = root.join(paths::CHANGELOG).display().to_string();
    match release_since(root, rev)? {
        None => println!("{shown}: the client's version is unchanged since {rev}: no entry needed"),
        Some(release) => println!(
            "{shown}: {} {} -> {} has its entry `{}` ({} item(s))",
            release.crate_name,
            release.previous,
            release.version,
            release.entry.heading,
            release.entry.items
        ),
    }
    Ok(())
}

/// The spec review's section on the changelog: the new version's entry
/// quoted, or why it is missing; `since` names the base for readers.
pub fn markdown(release: &Result<Option<Release>>, since: &str) -> String {
    let mut out = String::from("\n#### Changelog\n\n");
    match release {
        Ok(None) => out.push_str(&format!(
            "The client's version is unchanged since `{since}`: no entry needed.\n"
        )),
        Ok(Some(release)) => {
            out.push_str(&format!(
                "{} {} → {}, its entry in `{}`:\n\n",
                release.crate_name,
                release.previous,
                release.version,
                paths::CHANGELOG
            ));
            let entry = &release.entry;
            let quoted = [entry.heading.as_str(), ""].into_iter();
            for line in quoted.chain(entry.body.lines()) {
                out.push_str(format!("> {line}").trim_end());
                out.push('\n');
            }
        }
        Err(err) => out.push_str(&format!(
            "**missing**: {}\n",
            format!("{err:#}").replace('\n', " ")
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGELOG: &str = "\
# Changelog

## [Unreleased]

- Not released yet.

## [0.2.0] - 2026-12-07

### Changed

- Renamed a thing.
  Wrapped onto a second line.
- Another.

## [0.1.0] - 2026-11-30

### Added

- Everything.

[Unreleased]: https://example.invalid/compare/v0.2.0...HEAD
[0.2.0]: https://example.invalid/compare/v0.1.0...v0.2.0
[0.1.0]: https://example.invalid/releases/tag/v0.1.0
";

    #[test]
    fn finds_a_versions_section_up_to_the_next() {
        let entry = entry(CHANGELOG, "0.2.0", "CHANGELOG.md").unwrap();
        assert_eq!(entry.heading, "## [0.2.0] - 2026-12-07");
        assert_eq!(
            entry.body,
            "### Changed\n\n- Renamed a thing.\n  Wrapped onto a second line.\n- Another."
        );
        assert_eq!(entry.items, 2);
        // The last section stops before the link references.
        let last = super::entry(CHANGELOG, "0.1.0", "CHANGELOG.md").unwrap();
        assert_eq!(last.body, "### Added\n\n- Everything.");
    }

    #[test]
    fn refuses_what_is_not_an_entry_by_its_rule() {
        let err = |text: &str, version: &str| {
            format!("{:#}", entry(text, version, "CHANGELOG.md").unwrap_err())
        };
        // No section, or only a longer version that starts the same.
        let msg = err(CHANGELOG, "0.3.0");
        assert!(
            msg.starts_with("CHANGELOG.md: no section for 0.3.0: add `## [0.3.0] - YYYY-MM-DD`"),
            "{msg}"
        );
        let msg = err("## [0.2.0-rc.1] - 2026-12-01\n\n- x\n", "0.2.0");
        assert!(msg.contains("no section for 0.2.0"), "{msg}");
        // No date, or not a date.
        for heading in [
            "## [0.2.0]",
            "## [0.2.0] - soon",
            "## [0.2.0] - 2026-13-01",
            "## [0.2.0] 2026-12-07",
        ] {
            let msg = err(&format!("# Changelog\n\n{heading}\n\n- x\n"), "0.2.0");
            assert!(
                msg.starts_with(&format!(
                    "CHANGELOG.md:3: `{heading}` needs the release date: `## [0.2.0] - YYYY-MM-DD`"
                )),
                "{msg}"
            );
        }
        // A heading with nothing under it: the next section's items do not count.
        let msg = err(
            "## [0.2.0] - 2026-12-07\n\n### Changed\n\n## [0.1.0] - 2026-11-30\n\n- x\n",
            "0.2.0",
        );
        assert!(
            msg.starts_with("CHANGELOG.md:1: the section for 0.2.0 lists no change"),
            "{msg}"
        );
        let msg = err(
            "## [0.2.0] - 2026-12-07\n- a\n## [0.2.0] - 2026-12-08\n- b\n",
            "0.2.0",
        );
        assert_eq!(msg, "CHANGELOG.md: two sections for 0.2.0 (lines 1 and 3)");
    }

    #[test]
    fn a_yanked_release_keeps_its_entry() {
        let entry = entry("## [0.2.0] - 2026-12-07 [YANKED]\n\n- x\n", "0.2.0", "c").unwrap();
        assert_eq!(entry.items, 1);
    }
}
