//! `cargo xtask spec-diff`: what a change of the spec does to the API and to
//! the generated Rust client, for pull-request review.
//!
//! - [`load`]: the two sides (a git revision, the working tree, files) and `$ref`s;
//! - [`compare`]: the spec rules, each change with a [`Level`] and a rule id;
//! - [`language`]: patterns compared as languages (narrower, wider, neither);
//! - [`rules`]: the table of rule ids and levels;
//! - [`security`]: security schemes and requirements, servers;
//! - [`rust_api`]: both sides generated with `generate::render`, public surfaces compared;
//! - [`render`](mod@render): markdown, json, text;
//! - [`semver`]: the version gate of the client crate.

pub mod compare;
pub mod language;
pub mod load;
pub mod render;
pub mod rules;
pub mod rust_api;
pub mod security;
pub mod semver;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use crate::{codegen::generate, paths};
use load::{Side, Which};

/// How much a change matters. Ordered from the most serious: `Breaking <
/// Warn < Info`, so that sorting puts breaking changes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Breaks callers or the Rust API: needs a breaking version bump.
    Breaking,
    /// Possibly breaking: a reviewer should look.
    Warn,
    /// Not breaking.
    Info,
}

impl Level {
    /// Whether `self` is as serious as `threshold` or more.
    pub fn at_least(self, threshold: Level) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Breaking => "breaking",
            Level::Warn => "warn",
            Level::Info => "info",
        })
    }
}

/// One change found in the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub level: Level,
    pub rule: String,
    /// `METHOD /path`, then the place: `parameter path project_id`,
    /// `request application/json user_names[]`, `response 200 application/json state`.
    pub location: String,
    pub message: String,
    /// The component the change is inside (`ClusterId`), when it was
    /// reached through a `$ref`: one edit of it reaches every place that
    /// uses it, and the markdown shows it once.
    pub component: Option<String>,
}

/// Everything `spec-diff` found.
#[derive(Clone, Debug)]
pub struct Report {
    pub base: String,
    pub head: String,
    pub changes: Vec<Change>,
    pub rust_api: rust_api::ApiDiff,
    pub version: Option<semver::Gate>,
}

impl Report {
    /// Spec changes and Rust API changes at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.count_spec(level) + self.count_rust_api(level)
    }

    /// Spec changes at `level`.
    pub fn count_spec(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// Rust API changes at `level`.
    pub fn count_rust_api(&self, level: Level) -> usize {
        self.rust_api.levels().filter(|l| *l == level).count()
    }

    /// The most serious level found, spec and Rust API alike, if anything
    /// changed.
    pub fn worst(&self) -> Option<Level> {
        self.changes
            .iter()
            .map(|c| c.level)
            .chain(self.rust_api.levels())
            .min()
    }

    /// What makes this report breaking for the version gate: a breaking spec
    /// rule, or else removed or changed items of the generated Rust API.
    pub fn breaking(&self) -> semver::Breaking {
        if self.count_spec(Level::Breaking) > 0 {
            semver::Breaking::Spec
        } else if self.rust_api.is_breaking() {
            semver::Breaking::RustApi
        } else {
            semver::Breaking::No
        }
    }

    /// Whether the command fails at this threshold: a change at or above
    /// it, or a failed version gate.
    pub fn fails(&self, threshold: Level) -> bool {
        self.worst().is_some_and(|worst| worst.at_least(threshold))
            || self.version.as_ref().is_some_and(|gate| !gate.ok)
    }
}

/// Generates the client of one side; a generator failure (progenitor panics
/// on some specs) is an error naming the side, not a panic.
fn generated(side: &Side) -> Result<String> {
    // The default hook would print the panic with a backtrace before the
    // error below says the same in one line; keep it quiet meanwhile.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let rendered = catch_unwind(AssertUnwindSafe(|| generate::render(&side.spec)));
    std::panic::set_hook(hook);
    match rendered {
        Ok(Ok(code)) => Ok(code),
        Ok(Err(err)) => Err(err).with_context(|| {
            format!(
                "the {} spec ({}) cannot be generated",
                side.which, side.label
            )
        }),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the generator panicked".to_string());
            bail!(
                "the {} spec ({}) cannot be generated: progenitor failed: {reason}",
                side.which,
                side.label
            )
        }
    }
}

/// Compares two loaded sides: spec rules and the generated Rust API.
pub fn diff(base: &Side, head: &Side) -> Result<Report> {
    let changes = compare::compare(&base.spec.json, &head.spec.json);
    let surface = |side: &Side| -> Result<rust_api::Surface> {
        let code = generated(side)?;
        let mut surface = rust_api::surface(&code)
            .with_context(|| format!("the {} side's generated code", side.which))?;
        // The path parameters' types come with the rules, when the rules
        // generator takes the spec (see `rules::path_param_types`).
        if !crate::codegen::rules::path_param_types(&side.spec).is_empty() {
            let code = generate::render_params(&side.spec)?;
            let params = rust_api::surface(&code)
                .with_context(|| format!("the {} side's generated parameters", side.which))?;
            surface.0.extend(params.0);
        }
        Ok(surface)
    };
    let rust_api = rust_api::diff(&surface(base)?, &surface(head)?);
    Ok(Report {
        base: base.label.clone(),
        head: head.label.clone(),
        changes,
        rust_api,
        version: None,
    })
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
    Text,
}

/// Renders a report.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Markdown => render::markdown(report),
        Format::Json => render::json(report),
        Format::Text => render::text(report),
    }
}

/// The command line of `spec-diff`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub base: Option<String>,
    pub format: Format,
    pub fail_on: Level,
    pub check_version: bool,
    pub files: Option<(PathBuf, PathBuf)>,
    pub base_manifest: Option<PathBuf>,
    pub head_manifest: Option<PathBuf>,
    pub rules: bool,
    pub help: bool,
}

pub const USAGE: &str = "\
cargo xtask spec-diff [--base REV] [--format markdown|json|text] [--fail-on breaking|warn]
                      [--check-version] [BASE_FILE HEAD_FILE]

Compares the spec at a git revision (default HEAD; anything `git show REV:spec/mrs-iam-sync.yaml`
accepts) with the working tree's, or two spec files, and reports each change with a level
(breaking, warn, info) and a rule id, plus the change to the generated Rust API.

Options:
  --base REV            the base revision (not with files)
  --format F            markdown (default; a pull-request comment), json, text
  --fail-on L           exit 1 if a change is at level L or above: breaking (default) or warn
  --check-version       also fail when a breaking change comes without a breaking version bump
                        of crates/mrs-iam-sync (major; minor while 0.x), read at REV and in the
                        working tree; with files, give --base-manifest and --head-manifest
  --base-manifest F     the client crate's Cargo.toml of the base (files only)
  --head-manifest F     the client crate's Cargo.toml of the head (files only)
  --rules               print the rule table (markdown) and exit

Exit codes: 0 nothing at or above --fail-on (and the version gate passed),
            1 something is (or the gate failed), 2 an error (unreadable or invalid spec, bad arguments).
";

/// Parses the arguments after `spec-diff`.
pub fn parse_args(args: &[&str]) -> Result<Options> {
    let mut opts = Options {
        base: None,
        format: Format::Markdown,
        fail_on: Level::Breaking,
        check_version: false,
        files: None,
        base_manifest: None,
        head_manifest: None,
        rules: false,
        help: false,
    };
    let mut positional = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (*arg, None),
        };
        let mut value = || -> Result<String> {
            match inline {
                Some(v) => Ok(v.to_string()),
                None => args
                    .next()
                    .map(|v| v.to_string())
                    .ok_or_else(|| anyhow!("{flag} needs a value")),
            }
        };
        match flag {
            "--base" => opts.base = Some(value()?),
            "--format" => {
                opts.format = match value()?.as_str() {
                    "markdown" | "md" => Format::Markdown,
                    "json" => Format::Json,
                    "text" => Format::Text,
                    other => bail!("--format: `{other}` is not markdown, json or text"),
                }
            }
            "--fail-on" => {
                opts.fail_on = match value()?.as_str() {
                    "breaking" => Level::Breaking,
                    "warn" => Level::Warn,
                    "info" => Level::Info,
                    other => bail!("--fail-on: `{other}` is not breaking or warn"),
                }
            }
            "--base-manifest" => opts.base_manifest = Some(PathBuf::from(value()?)),
            "--head-manifest" => opts.head_manifest = Some(PathBuf::from(value()?)),
            "--check-version" => opts.check_version = true,
            "--rules" => opts.rules = true,
            "--help" | "-h" => opts.help = true,
            _ if arg.starts_with('-') && arg.len() > 1 => bail!("unknown option `{arg}`"),
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    match positional.len() {
        0 => {}
        2 => {
            if opts.base.is_some() {
                bail!("--base compares with the working tree; it does not go with two files");
            }
            let head = positional.pop().unwrap_or_default();
            let base = positional.pop().unwrap_or_default();
            opts.files = Some((base, head));
        }
        n => bail!("expected no file or two (BASE_FILE HEAD_FILE), got {n}"),
    }
    if opts.files.is_none() && (opts.base_manifest.is_some() || opts.head_manifest.is_some()) {
        bail!(
            "--base-manifest and --head-manifest go with two files; with a revision the manifests are read from git"
        );
    }
    Ok(opts)
}

/// Runs the command; `Ok((output, fails))`, or an error (exit code 2).
pub fn run(root: &Path, opts: &Options) -> Result<(String, bool)> {
    let (base, head, since) = match &opts.files {
        Some((b, h)) => (
            load::from_file(Which::Base, b)?,
            load::from_file(Which::Head, h)?,
            b.display().to_string(),
        ),
        None => {
            let rev = opts.base.as_deref().unwrap_or("HEAD");
            (
                load::from_rev(root, Which::Base, rev)?,
                load::working_tree(root, Which::Head)?,
                rev.to_string(),
            )
        }
    };
    let mut report = diff(&base, &head)?;
    if opts.check_version {
        let (base_manifest, head_manifest) = match &opts.files {
            Some(_) => {
                let (Some(b), Some(h)) = (&opts.base_manifest, &opts.head_manifest) else {
                    bail!(
                        "--check-version with two files needs --base-manifest and --head-manifest"
                    );
                };
                (read(b, "base manifest")?, read(h, "head manifest")?)
            }
            None => manifests_since(root, &since)?,
        };
        report.version = Some(semver::gate(
            &since,
            &base_manifest,
            &head_manifest,
            report.breaking(),
        )?);
    }
    let fails = report.fails(opts.fail_on);
    Ok((render(&report, opts.format), fails))
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|err| anyhow!("the {what} ({}) cannot be read: {err}", path.display()))
}

/// The client crate's manifest at `rev` and in the working tree.
pub fn manifests_since(root: &Path, rev: &str) -> Result<(String, String)> {
    let base = load::git_show(root, rev, paths::CLIENT_MANIFEST).with_context(|| {
        format!(
            "the base manifest ({rev}:{}) cannot be read",
            paths::CLIENT_MANIFEST
        )
    })?;
    let head = read(&root.join(paths::CLIENT_MANIFEST), "head manifest")?;
    Ok((base, head))
}

/// What a run of the command gives: exit code (0, 1 or 2), standard output
/// and standard error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `spec-diff` with these arguments, without printing.
pub fn execute(root: &Path, args: &[&str]) -> Outcome {
    let done = |code, stdout: String, stderr: String| Outcome {
        code,
        stdout,
        stderr,
    };
    let opts = match parse_args(args) {
        Ok(opts) => opts,
        Err(err) => return done(2, String::new(), format!("error: {err:#}\n\n{USAGE}")),
    };
    if opts.help {
        return done(0, USAGE.to_string(), String::new());
    }
    if opts.rules {
        return done(0, rules::markdown(), String::new());
    }
    match run(root, &opts) {
        Ok((output, fails)) => done(u8::from(fails), output, String::new()),
        Err(err) => done(2, String::new(), format!("error: {err:#}\n")),
    }
}

/// `cargo xtask spec-diff ...`: prints the report, returns the exit code.
pub fn main(root: &Path, args: &[&str]) -> ExitCode {
    let outcome = execute(root, args);
    print!("{}", outcome.stdout);
    eprint!("{}", outcome.stderr);
    ExitCode::from(outcome.code)
}

/// The version gate of `cargo xtask check --base REV`: fails when the spec
/// changed in a breaking way since `rev` without the matching bump.
pub fn version_gate_since(root: &Path, rev: &str) -> Result<()> {
    let base = load::from_rev(root, Which::Base, rev)?;
    let head = load::working_tree(root, Which::Head)?;
    let report = diff(&base, &head)?;
    let (base_manifest, head_manifest) = manifests_since(root, rev)?;
    let gate = semver::gate(rev, &base_manifest, &head_manifest, report.breaking())?;
    let manifest = root.join(paths::CLIENT_MANIFEST);
    if gate.ok {
        println!("{}: {}", manifest.display(), gate.message);
        Ok(())
    } else {
        bail!("{}: {}", manifest.display(), gate.message)
    }
}
