//! The version gate: a breaking change needs a major bump of the client
//! crate (a minor bump while it is 0.x).
//!
//! Manifests are read with `toml_edit` (any valid TOML, comments and all),
//! versions with `semver` (Cargo's own rules: a pre-release sorts before
//! its release, build metadata does not count).

use std::cmp::Ordering;

use anyhow::{Result, anyhow, bail};
use semver::Version;

/// The smallest version after `version` that may break compatibility.
pub fn breaking_bump(version: &Version) -> Version {
    if version.major == 0 {
        Version::new(0, version.minor + 1, 0)
    } else {
        Version::new(version.major + 1, 0, 0)
    }
}

/// Whether `head` is a breaking bump of `base`: the major number went up
/// (while `base` is 0.x, the minor number going up is enough).
pub fn is_breaking_bump_of(head: &Version, base: &Version) -> bool {
    if base.major == 0 {
        head.major > 0 || head.minor > base.minor
    } else {
        head.major > base.major
    }
}

/// `name` and `version` of the `[package]` table of a manifest.
pub fn package_of(manifest: &str, shown: &str) -> Result<(String, String)> {
    let document: toml_edit::DocumentMut = manifest
        .parse()
        .map_err(|err| anyhow!("{shown}: not valid TOML: {err}"))?;
    let missing = || anyhow!("{shown}: no `[package]` table with `name` and `version`");
    let package = document
        .get("package")
        .and_then(toml_edit::Item::as_table_like)
        .ok_or_else(missing)?;
    let field = |key: &str| -> Result<String> {
        let item = package.get(key).ok_or_else(missing)?;
        if item
            .as_table_like()
            .is_some_and(|table| table.contains_key("workspace"))
        {
            bail!(
                "{shown}: `package.{key}` is inherited from the workspace; the gate needs a literal `{key} = \"..\"`"
            );
        }
        item.as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{shown}: `package.{key}` is not a string"))
    };
    Ok((field("name")?, field("version")?))
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
    let parse = |text: &str, shown: &str| {
        Version::parse(text)
            .map_err(|err| anyhow!("{shown}: `{text}` is not a semver version: {err}"))
    };
    let base = parse(&base_text, &format!("base manifest ({since})"))?;
    let head = parse(&head_text, "head manifest")?;
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
    let required = breaking_bump(&base);
    let ok = is_breaking_bump_of(&head, &base);
    let message = if ok {
        format!("{what} since {since}; {crate_name} was bumped from {base} to {head}: ok")
    } else if head.cmp_precedence(&base) == Ordering::Equal {
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
        // Any TOML spelling of the same table.
        let (_, version) =
            package_of("package = { name = 'x', \"version\" = \"1.2.3\" }\n", "m").unwrap();
        assert_eq!(version, "1.2.3");
        let err = package_of("[package]\nname = 'x'\nversion.workspace = true\n", "m").unwrap_err();
        assert!(
            err.to_string()
                .contains("m: `package.version` is inherited from the workspace"),
            "{err}"
        );
        assert!(package_of("[dependencies]\nversion = \"1\"\n", "m").is_err());
        let err = package_of("[package\n", "m").unwrap_err();
        assert!(err.to_string().starts_with("m: not valid TOML"), "{err}");
    }

    #[test]
    fn bumps() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(breaking_bump(&v("0.1.0")).to_string(), "0.2.0");
        assert_eq!(breaking_bump(&v("1.4.2")).to_string(), "2.0.0");
        assert!(is_breaking_bump_of(&v("0.2.0"), &v("0.1.5")));
        assert!(is_breaking_bump_of(&v("1.0.0"), &v("0.1.5")));
        assert!(is_breaking_bump_of(&v("2.0.0-rc.1"), &v("1.3.0")));
        assert!(!is_breaking_bump_of(&v("0.1.6"), &v("0.1.5")));
        assert!(!is_breaking_bump_of(&v("1.9.0"), &v("1.0.0")));
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
        let err = gate("main", &manifest("1.2"), &manifest("1.2.3"), Breaking::No).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("base manifest (main): `1.2` is not a semver version"),
            "{err}"
        );
    }
}
