//! The version gate: a breaking change needs a major bump of the client
//! crate (a minor bump while it is 0.x).
//!
//! The manifest is read with a careful line scan of its `[package]` table
//! rather than a TOML parser: only `name` and `version`, written as plain
//! string values, are needed, and no new dependency comes in for it.

use std::cmp::Ordering;
use std::fmt;

use anyhow::{Result, anyhow, bail};

/// A `MAJOR.MINOR.PATCH` version (a pre-release or build suffix is kept in
/// the text and ignored in comparisons, except that `1.0.0-rc.1` < `1.0.0`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

impl Version {
    pub fn parse(text: &str) -> Result<Version> {
        let core = text.split('+').next().unwrap_or(text);
        let (core, pre) = core.split_once('-').unwrap_or((core, ""));
        let parts: Vec<&str> = core.split('.').collect();
        let number = |s: &str| -> Result<u64> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                bail!("`{text}` is not a MAJOR.MINOR.PATCH version");
            }
            s.parse()
                .map_err(|_| anyhow!("`{text}` is not a MAJOR.MINOR.PATCH version"))
        };
        match parts.as_slice() {
            [major, minor, patch] => Ok(Version {
                major: number(major)?,
                minor: number(minor)?,
                patch: number(patch)?,
                pre: pre.to_string(),
            }),
            _ => bail!("`{text}` is not a MAJOR.MINOR.PATCH version"),
        }
    }

    /// The smallest version after `self` that may break compatibility.
    pub fn breaking_bump(&self) -> Version {
        if self.major == 0 {
            Version {
                major: 0,
                minor: self.minor + 1,
                patch: 0,
                pre: String::new(),
            }
        } else {
            Version {
                major: self.major + 1,
                minor: 0,
                patch: 0,
                pre: String::new(),
            }
        }
    }

    fn cmp_core(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => Ordering::Equal,
            })
    }

    /// Whether `self` is a breaking bump of `base`: the major number went
    /// up (while `base` is 0.x, the minor number going up is enough).
    pub fn is_breaking_bump_of(&self, base: &Version) -> bool {
        if base.major == 0 {
            self.major > 0 || self.minor > base.minor
        } else {
            self.major > base.major
        }
    }
}

/// `name` and `version` of the `[package]` table of a manifest.
pub fn package_of(manifest: &str, shown: &str) -> Result<(String, String)> {
    let mut table = String::new();
    let (mut name, mut version) = (None, None);
    for (index, raw) in manifest.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            table = line
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_string();
            continue;
        }
        if table != "package" || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let slot = match key {
            "name" => &mut name,
            "version" => &mut version,
            "version.workspace" => {
                bail!(
                    "{shown}:{}: the version is inherited from the workspace; the gate needs a literal `version = \"..\"`",
                    index + 1
                )
            }
            _ => continue,
        };
        *slot = Some(string_value(value.trim()).ok_or_else(|| {
            anyhow!(
                "{shown}:{}: `{key}` is not a plain string: `{}`",
                index + 1,
                value.trim()
            )
        })?);
    }
    match (name, version) {
        (Some(name), Some(version)) => Ok((name, version)),
        _ => bail!("{shown}: no `[package]` table with `name` and `version`"),
    }
}

/// A basic or literal TOML string without escapes, then an optional comment.
fn string_value(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &value[1..];
    let end = rest.find(quote)?;
    let inner = &rest[..end];
    let tail = rest[end + 1..].trim();
    if inner.contains('\\') || !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(inner.to_string())
}

/// The outcome of the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub ok: bool,
    pub crate_name: String,
    pub base_version: String,
    pub head_version: String,
    /// The version the head needs at least, when a bump is needed.
    pub required: Option<String>,
    pub message: String,
}

/// What made the change breaking, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breaking {
    No,
    /// The spec has a change of level `breaking`.
    Spec,
    /// No spec rule is breaking, but the generated Rust API lost or changed
    /// items.
    RustApi,
}

/// Checks the versions of the manifests at the base and in the head.
pub fn gate(
    since: &str,
    base_manifest: &str,
    head_manifest: &str,
    breaking: Breaking,
) -> Result<Gate> {
    let (crate_name, base_text) = package_of(base_manifest, &format!("base manifest ({since})"))?;
    let (_, head_text) = package_of(head_manifest, "head manifest")?;
    let base = Version::parse(&base_text).map_err(|e| anyhow!("base manifest ({since}): {e}"))?;
    let head = Version::parse(&head_text).map_err(|e| anyhow!("head manifest: {e}"))?;
    let what = match breaking {
        Breaking::No => {
            let message = format!(
                "no breaking change since {since}; {crate_name} {head} needs no breaking bump"
            );
            return Ok(Gate {
                ok: true,
                crate_name,
                base_version: base_text,
                head_version: head_text,
                required: None,
                message,
            });
        }
        Breaking::Spec => "breaking spec change",
        Breaking::RustApi => "breaking change to the generated Rust API",
    };
    let required = base.breaking_bump();
    let ok = head.is_breaking_bump_of(&base);
    let message = if ok {
        format!("{what} since {since}; {crate_name} was bumped from {base} to {head}: ok")
    } else if head.cmp_core(&base) == Ordering::Equal {
        format!("{what} since {since} but {crate_name} is still {head}: bump to {required}")
    } else {
        format!(
            "{what} since {since} but {crate_name} only went from {base} to {head}: bump to {required}"
        )
    };
    Ok(Gate {
        ok,
        crate_name,
        base_version: base_text,
        head_version: head_text,
        required: Some(required.to_string()),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str) -> String {
        format!(
            "[package]\nname = \"mrs-iam-sync\" # the client\nversion = \"{version}\"\n\n[dependencies]\nversion = \"9\"\n"
        )
    }

    #[test]
    fn reads_name_and_version_of_the_package_table_only() {
        let (name, version) = package_of(&manifest("0.3.1"), "m").unwrap();
        assert_eq!((name.as_str(), version.as_str()), ("mrs-iam-sync", "0.3.1"));
        let err = package_of("[package]\nname = 'x'\nversion.workspace = true\n", "m").unwrap_err();
        assert!(
            err.to_string().contains("m:3: the version is inherited"),
            "{err}"
        );
        assert!(package_of("[dependencies]\nversion = \"1\"\n", "m").is_err());
    }

    #[test]
    fn bumps() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(v("0.1.0").breaking_bump().to_string(), "0.2.0");
        assert_eq!(v("1.4.2").breaking_bump().to_string(), "2.0.0");
        assert!(v("0.2.0").is_breaking_bump_of(&v("0.1.5")));
        assert!(v("1.0.0").is_breaking_bump_of(&v("0.1.5")));
        assert!(!v("0.1.6").is_breaking_bump_of(&v("0.1.5")));
        assert!(!v("1.9.0").is_breaking_bump_of(&v("1.0.0")));
        assert!(Version::parse("1.2").is_err());
        assert!(Version::parse("x.y.z").is_err());
    }

    #[test]
    fn gate_messages() {
        let g = gate(
            "HEAD~1",
            &manifest("0.1.0"),
            &manifest("0.1.0"),
            Breaking::Spec,
        )
        .unwrap();
        assert!(!g.ok);
        assert_eq!(
            g.message,
            "breaking spec change since HEAD~1 but mrs-iam-sync is still 0.1.0: bump to 0.2.0"
        );
        let g = gate(
            "HEAD~1",
            &manifest("0.1.0"),
            &manifest("0.1.1"),
            Breaking::Spec,
        )
        .unwrap();
        assert!(!g.ok);
        assert!(
            g.message
                .ends_with("only went from 0.1.0 to 0.1.1: bump to 0.2.0"),
            "{}",
            g.message
        );
        let g = gate(
            "HEAD~1",
            &manifest("0.1.0"),
            &manifest("0.2.0"),
            Breaking::Spec,
        )
        .unwrap();
        assert!(g.ok, "{}", g.message);
        let g = gate("main", &manifest("1.2.3"), &manifest("1.2.3"), Breaking::No).unwrap();
        assert!(g.ok);
    }
}
