//! `spec-diff` on the fixtures of `tests/spec_diff/<case>/`: expected rules,
//! snapshots of the three formats, the version gate, errors, and the git path
//! on a temporary repository.

mod common;

use std::path::{Path, PathBuf};

use common::git;
use xtask::review::spec_diff::load::{self, Which};
use xtask::review::spec_diff::{self, Format, Level, Report, rules, semver};

/// Every fixture and the rule ids its diff must contain (an empty list: no
/// spec change at all).
const CASES: &[(&str, &[&str])] = &[
    ("all_of_wrapped_ref", &[]),
    (
        "constraints_loosened",
        &[
            "request-parameter-max-length-increased",
            "request-parameter-pattern-removed",
            "request-parameter-min-unset",
            "request-property-max-items-unset",
            "response-property-max-items-increased",
        ],
    ),
    (
        "constraints_tightened",
        &[
            "request-parameter-pattern-added",
            "request-parameter-pattern-narrowed",
            "request-parameter-max-decreased",
            "request-property-max-items-decreased",
            "request-property-min-items-set",
            "request-property-max-length-decreased",
        ],
    ),
    (
        "enum_values",
        &[
            "response-property-enum-value-added",
            "response-property-enum-value-removed",
            "request-property-enum-value-added",
        ],
    ),
    (
        "media_types",
        &[
            "request-body-media-type-removed",
            "request-body-media-type-added",
            "response-media-type-removed",
            "response-media-type-added",
        ],
    ),
    (
        "nullable_default",
        &[
            "response-property-became-nullable",
            "request-property-became-nullable",
            "request-property-default-value-changed",
        ],
    ),
    (
        "one_of_alternative_added",
        &["response-property-one-of-added"],
    ),
    ("one_of_reordered", &[]),
    ("operation_deprecated", &["endpoint-deprecated"]),
    (
        "operation_removed_added",
        &["api-removed-without-deprecation", "endpoint-added"],
    ),
    ("operation_renamed", &["api-operation-id-updated"]),
    (
        "parameters_added_removed",
        &[
            "request-parameter-removed",
            "new-required-request-parameter",
        ],
    ),
    (
        "parameters_required_changed",
        &[
            "request-parameter-became-required",
            "new-optional-request-parameter",
        ],
    ),
    (
        "ref_component_changed",
        &["request-parameter-max-length-decreased"],
    ),
    ("ref_inlined_no_change", &[]),
    (
        "ref_target_swapped",
        &[
            "schema-ref-target-changed",
            "response-property-became-not-enum",
            "response-optional-property-added",
        ],
    ),
    (
        "request_default_lost",
        &["request-property-became-required"],
    ),
    ("request_header_added", &["new-required-request-parameter"]),
    (
        "request_properties",
        &[
            "new-required-request-property",
            "new-optional-request-property",
            "request-property-removed",
        ],
    ),
    (
        "request_required_changed",
        &[
            "request-property-became-required",
            "request-body-became-optional",
        ],
    ),
    (
        "response_constraints_loosened",
        &[
            "response-property-max-length-increased",
            "response-property-pattern-removed",
        ],
    ),
    (
        "response_header_optional_removed",
        &["optional-response-header-removed"],
    ),
    (
        "response_header_required_removed",
        &[
            "required-response-header-removed",
            "response-header-type-changed",
        ],
    ),
    (
        "response_properties",
        &[
            "response-required-property-added",
            "response-optional-property-added",
            "response-required-property-removed",
            "response-optional-property-removed",
            "response-property-became-optional",
        ],
    ),
    (
        "rust_error_responses_removed",
        &["response-non-success-status-removed"],
    ),
    ("rust_inline_to_component", &[]),
    ("rust_items_removed", &["response-property-items-removed"]),
    ("rust_ref_swapped_identical", &["schema-ref-target-changed"]),
    (
        "security_alternative_added",
        &["api-security-component-added", "api-security-added"],
    ),
    (
        "security_scheme_renamed",
        &["api-security-component-api-key-changed"],
    ),
    ("semver_bumped", &["api-operation-id-updated"]),
    ("semver_not_bumped", &["api-operation-id-updated"]),
    ("server_url_changed", &["api-server-url-changed"]),
    (
        "status_codes",
        &[
            "response-success-status-removed",
            "response-success-status-added",
            "response-non-success-status-removed",
        ],
    ),
    (
        "type_format_changed",
        &[
            "request-parameter-type-changed",
            "request-property-type-changed",
            "response-property-type-changed",
        ],
    ),
];

/// The verdict of every fixture by exit code alone (`--fail-on breaking`,
/// the default): 1 when a client written against the base breaks, on the
/// wire or at compile time; 0 when it does not. Judged case by case, with
/// the reason.
const VERDICTS: &[(&str, u8, &str)] = &[
    (
        "all_of_wrapped_ref",
        0,
        "`allOf: [$ref]` is the `$ref`: same type",
    ),
    (
        "constraints_loosened",
        1,
        "`minimum: 1` dropped: `NonZeroU32` becomes `i32`",
    ),
    (
        "constraints_tightened",
        1,
        "requests valid before are refused",
    ),
    (
        "enum_values",
        1,
        "a response enum value the closed Rust enum cannot read",
    ),
    ("media_types", 1, "a media type removed"),
    ("nullable_default", 1, "a response value may now be null"),
    (
        "one_of_alternative_added",
        1,
        "a response shape the generated enum cannot read",
    ),
    (
        "one_of_reordered",
        0,
        "alternatives matched by content: same type",
    ),
    ("operation_deprecated", 0, "deprecation only"),
    ("operation_removed_added", 1, "a `Client` method disappears"),
    ("operation_renamed", 1, "the `Client` method is renamed"),
    ("parameters_added_removed", 1, "a builder method disappears"),
    (
        "parameters_required_changed",
        1,
        "a parameter became required",
    ),
    ("ref_component_changed", 1, "shorter project ids only"),
    (
        "ref_inlined_no_change",
        1,
        "no wire change, but the response type is renamed",
    ),
    ("ref_target_swapped", 1, "the response type changes"),
    (
        "request_default_lost",
        1,
        "`Default` lost: `..Default::default()` stops compiling",
    ),
    (
        "request_header_added",
        1,
        "a new required header: existing calls miss it",
    ),
    ("request_properties", 1, "a new required request property"),
    (
        "request_required_changed",
        1,
        "a request property became required",
    ),
    (
        "response_constraints_loosened",
        1,
        "the newtype refuses the longer values",
    ),
    (
        "response_header_optional_removed",
        0,
        "warn only: an optional header gone",
    ),
    (
        "response_header_required_removed",
        1,
        "a required header gone",
    ),
    ("response_properties", 1, "response properties removed"),
    (
        "rust_error_responses_removed",
        1,
        "`Error<ErrorResponse>` becomes `Error<()>`",
    ),
    ("rust_inline_to_component", 1, "the enum type is renamed"),
    (
        "rust_items_removed",
        1,
        "`Vec<String>` becomes `Vec<Value>`",
    ),
    (
        "rust_ref_swapped_identical",
        1,
        "builder methods take another type",
    ),
    (
        "security_alternative_added",
        0,
        "a new way to authenticate, the old one stays",
    ),
    (
        "security_scheme_renamed",
        1,
        "the key is read from another header",
    ),
    (
        "semver_bumped",
        1,
        "a rename (the version gate is separate)",
    ),
    ("semver_not_bumped", 1, "a rename"),
    ("server_url_changed", 0, "information only"),
    ("status_codes", 1, "a success status removed"),
    ("type_format_changed", 1, "types changed"),
];

fn fixtures() -> PathBuf {
    xtask::workspace_root()
        .unwrap()
        .join("xtask/tests/spec_diff")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The base of every fixture: one spec, shared (each case holds only its
/// `head.yaml`).
fn base_file() -> PathBuf {
    fixtures().join("base.yaml")
}

/// The report of one fixture, with the version gate when it has manifests.
fn report(case: &str) -> Report {
    let dir = fixtures().join(case);
    let base = load::from_text(Which::Base, "base.yaml", &read(&base_file())).unwrap();
    let head = load::from_text(
        Which::Head,
        &format!("{case}/head.yaml"),
        &read(&dir.join("head.yaml")),
    )
    .unwrap();
    let mut report = spec_diff::diff(&base, &head).unwrap();
    let (bm, hm) = (dir.join("base.Cargo.toml"), dir.join("head.Cargo.toml"));
    if bm.exists() {
        let gate = semver::gate("base.yaml", &read(&bm), &read(&hm), report.breaking()).unwrap();
        report.version = Some(gate);
    }
    report
}

#[test]
fn every_fixture_is_listed_and_there_are_enough() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let listed: Vec<&str> = CASES.iter().map(|(case, _)| *case).collect();
    assert_eq!(dirs, listed);
    assert!(CASES.len() >= 15);
}

#[test]
fn fixtures_report_their_rules_and_match_the_snapshots() {
    for (case, expected) in CASES {
        let report = report(case);
        let found: Vec<&str> = report.changes.iter().map(|c| c.rule.as_str()).collect();
        for rule in *expected {
            assert!(
                found.contains(rule),
                "{case}: `{rule}` not reported; found {found:?}"
            );
        }
        if expected.is_empty() {
            assert!(report.changes.is_empty(), "{case}: {found:?}");
        }
        for change in &report.changes {
            assert_eq!(
                rules::level(&change.rule),
                Some(change.level),
                "{case}: `{}` not in the table",
                change.rule
            );
        }
        let api = &report.rust_api;
        for (rule, level) in api
            .removed
            .iter()
            .chain(&api.added)
            .map(|e| (&e.rule, e.level))
            .chain(api.changed.iter().map(|c| (&c.rule, c.level)))
        {
            assert_eq!(
                rules::level(rule),
                Some(level),
                "{case}: `{rule}` not in the table"
            );
        }
        insta::assert_snapshot!(
            format!("{case}__markdown"),
            spec_diff::render(&report, Format::Markdown)
        );
        insta::assert_snapshot!(
            format!("{case}__text"),
            spec_diff::render(&report, Format::Text)
        );
        insta::assert_snapshot!(
            format!("{case}__json"),
            spec_diff::render(&report, Format::Json)
        );
    }
}

#[test]
fn every_verdict_is_right_by_exit_code_alone() {
    let listed: Vec<&str> = CASES.iter().map(|(case, _)| *case).collect();
    let judged: Vec<&str> = VERDICTS.iter().map(|(case, _, _)| *case).collect();
    assert_eq!(listed, judged, "every fixture has a verdict");
    let b = base_file().display().to_string();
    let mut wrong = Vec::new();
    for (case, expected, why) in VERDICTS {
        let h = fixtures()
            .join(case)
            .join("head.yaml")
            .display()
            .to_string();
        let out = spec_diff::execute(&fixtures(), &[&b, &h]);
        if out.code != *expected {
            wrong.push(format!(
                "{case}: exit {} instead of {expected} ({why})",
                out.code
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // A warn-only change passes by default and fails with --fail-on warn.
    let h = fixtures()
        .join("response_header_optional_removed/head.yaml")
        .display()
        .to_string();
    assert_eq!(
        spec_diff::execute(&fixtures(), &["--fail-on=warn", &b, &h]).code,
        1
    );
}

#[test]
fn unsupported_versions_are_named_with_the_file_given() {
    let dir = tempfile::tempdir().unwrap();
    let good = base_file().display().to_string();
    for (name, text, expected) in [
        (
            "swagger.yaml",
            "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
            "Swagger 2.0 is not supported: convert the spec to OpenAPI 3.0",
        ),
        (
            "openapi31.yaml",
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
            "OpenAPI 3.1.0 is not supported: the generator (progenitor) reads OpenAPI 3.0.x",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let given = path.display().to_string();
        let out = spec_diff::execute(&fixtures(), &[&good, &given]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.stderr.contains(&format!("{given}: {expected}")),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("mrs-iam-sync.yaml"), "{}", out.stderr);
    }
}

#[test]
fn one_change_to_a_shared_component_is_one_row() {
    let report = report("ref_component_changed");
    let markdown = spec_diff::render(&report, Format::Markdown);
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|line| line.starts_with("| breaking"))
        .collect();
    assert_eq!(rows.len(), 1, "{markdown}");
    assert!(
        rows[0].contains("`ProjectId`: `maxLength` changed from `64` to `32`")
            && rows[0].contains("3 places in 3 operations"),
        "{}",
        rows[0]
    );
    // The text and json formats keep one entry per place.
    assert_eq!(report.changes.len(), 3);
}

#[test]
fn json_has_stable_field_names() {
    let report = report("enum_values");
    let value: serde_json::Value =
        serde_json::from_str(&spec_diff::render(&report, Format::Json)).unwrap();
    let change = &value["changes"][0];
    for field in ["level", "rule", "location", "message"] {
        assert!(change.get(field).is_some(), "{field}");
    }
    assert_eq!(change["level"], "breaking");
    for field in ["added", "removed", "changed"] {
        assert!(value["rust_api"][field].is_array(), "{field}");
    }
    // Spec and Rust API changes count together; the split is there too.
    assert_eq!(value["summary"]["breaking"], 4);
    assert_eq!(value["summary"]["spec"]["breaking"], 2);
    assert_eq!(value["summary"]["rust_api"]["breaking"], 2);
    for field in ["item", "signature", "level", "rule"] {
        assert!(
            value["rust_api"]["removed"][0].get(field).is_some(),
            "{field}"
        );
    }
}

#[test]
fn levels_judged_for_a_rust_client() {
    let level = |case: &str, rule: &str| {
        report(case)
            .changes
            .iter()
            .find(|c| c.rule == rule)
            .map(|c| c.level)
            .unwrap()
    };
    assert_eq!(
        level("enum_values", "response-property-enum-value-added"),
        Level::Breaking
    );
    // The wire is unaffected; the Rust enum's new variant is rated by the
    // Rust API rules (a request enum is exhaustive: breaking).
    assert_eq!(
        level("enum_values", "request-property-enum-value-added"),
        Level::Info
    );
    let rust_rule = |case: &str, item: &str| {
        let report = report(case);
        let api = &report.rust_api;
        api.added
            .iter()
            .chain(&api.removed)
            .map(|e| (e.item.clone(), e.rule.clone(), e.level))
            .chain(
                api.changed
                    .iter()
                    .map(|c| (c.item.clone(), c.rule.clone(), c.level)),
            )
            .find(|(found, _, _)| found == item)
            .map(|(_, rule, level)| (rule, level))
            .unwrap()
    };
    assert_eq!(
        rust_rule(
            "enum_values",
            "types::UpdateSyncIamUserRequestSyncMode::Mirror"
        ),
        (
            "rust-variant-added-to-exhaustive-enum".to_owned(),
            Level::Breaking
        )
    );
    assert_eq!(
        rust_rule(
            "request_properties",
            "types::UpdateSyncIamUserRequest.comment"
        ),
        (
            "rust-field-added-to-exhaustive-struct".to_owned(),
            Level::Breaking
        )
    );
    assert_eq!(
        rust_rule("response_properties", "types::SyncTaskAccepted.started_at"),
        ("rust-field-added".to_owned(), Level::Info)
    );
    assert_eq!(
        level("operation_renamed", "api-operation-id-updated"),
        Level::Breaking
    );
    assert_eq!(
        level("response_properties", "response-optional-property-added"),
        Level::Info
    );
    assert_eq!(
        level("response_properties", "response-required-property-added"),
        Level::Warn
    );
    // `^[A-Za-z0-9]{1,64}$` to `^[a-f0-9]{32}$`: decided as languages,
    // narrower, with a value callers send today that is now refused.
    assert_eq!(
        level(
            "constraints_tightened",
            "request-parameter-pattern-narrowed"
        ),
        Level::Breaking
    );
    let narrowed = report("constraints_tightened")
        .changes
        .into_iter()
        .find(|c| c.rule == "request-parameter-pattern-narrowed")
        .unwrap();
    assert!(
        narrowed
            .message
            .contains("narrower: \"a\" was accepted and is now refused"),
        "{}",
        narrowed.message
    );
    assert_eq!(
        level(
            "constraints_loosened",
            "response-property-max-items-increased"
        ),
        Level::Breaking
    );
}

#[test]
fn a_change_in_a_component_is_reported_where_it_is_used() {
    let report = report("ref_component_changed");
    let places: Vec<&str> = report.changes.iter().map(|c| c.location.as_str()).collect();
    assert_eq!(places.len(), 3, "{places:?}");
    assert!(
        places
            .iter()
            .all(|p| p.ends_with("parameter path project_id")),
        "{places:?}"
    );
}

#[test]
fn a_required_request_property_loses_default_and_fails_the_review() {
    let report = report("request_default_lost");
    let lost: Vec<(&str, &str, Level)> = report
        .rust_api
        .removed
        .iter()
        .map(|e| (e.item.as_str(), e.rule.as_str(), e.level))
        .collect();
    assert!(
        lost.contains(&(
            "types::UpdateSyncIamUserRequest impl Default",
            "rust-trait-default-removed",
            Level::Breaking
        )),
        "{lost:?}"
    );
    let b = base_file().display().to_string();
    let h = fixtures()
        .join("request_default_lost/head.yaml")
        .display()
        .to_string();
    let out = spec_diff::execute(
        &fixtures(),
        &["--fail-on", "breaking", "--format", "text", &b, &h],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains(
            "breaking rust-trait-default-removed types::UpdateSyncIamUserRequest impl Default"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn version_gate_fails_without_the_bump() {
    let report = report("semver_not_bumped");
    let gate = report.version.as_ref().unwrap();
    assert!(!gate.ok);
    assert_eq!(
        gate.message,
        "breaking spec change since base.yaml but mrs-iam-sync is still 0.1.0: bump to 0.2.0"
    );
    assert!(report.fails(Level::Breaking));
}

#[test]
fn version_gate_passes_with_the_bump() {
    let report = report("semver_bumped");
    let gate = report.version.as_ref().unwrap();
    assert!(gate.ok, "{}", gate.message);
    assert_eq!(gate.required.as_deref(), Some("0.2.0"));
}

#[test]
fn cli_on_files_exit_codes() {
    let root = fixtures();
    let case = |name: &str, file: &str| fixtures().join(name).join(file).display().to_string();
    let b = base_file().display().to_string();
    let run = |args: &[&str]| spec_diff::execute(&root, args);
    let h = case("operation_deprecated", "head.yaml");
    assert_eq!(run(&[&b, &h]).code, 0);
    assert_eq!(run(&["--fail-on", "warn", &b, &h]).code, 0);
    let h = case("enum_values", "head.yaml");
    let out = run(&["--format", "text", &b, &h]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("breaking response-property-enum-value-added")
    );
    // No breaking spec rule, but dropping `minimum: 1` turns the builder's
    // `NonZeroU32` into `i32`: a Rust API break fails the review alone.
    let h = case("constraints_loosened", "head.yaml");
    let out = run(&["--format=text", &b, &h]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("breaking rust-method-changed builder::ShowSyncIamUser::limit"),
        "{}",
        out.stdout
    );
    // The version gate on files needs the manifests.
    let h = case("semver_not_bumped", "head.yaml");
    let (bm, hm) = (
        case("semver_not_bumped", "base.Cargo.toml"),
        case("semver_not_bumped", "head.Cargo.toml"),
    );
    let out = run(&[
        "--check-version",
        "--base-manifest",
        &bm,
        "--head-manifest",
        &hm,
        "--format",
        "text",
        &b,
        &h,
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("but mrs-iam-sync is still 0.1.0: bump to 0.2.0"),
        "{}",
        out.stdout
    );
    assert_eq!(run(&["--check-version", &b, &h]).code, 2);
    // Bad arguments.
    assert_eq!(run(&["--format", "yaml"]).code, 2);
    assert_eq!(run(&["only-one-file.yaml"]).code, 2);
    assert_eq!(run(&["--base", "HEAD", &b, &h]).code, 2);
    assert_eq!(run(&["--rules"]).code, 0);
}

#[test]
fn errors_name_the_side_and_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = base_file();
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "openapi: 3.0.3\ninfo: [\n").unwrap();
    let bad_shape = dir.path().join("shape.yaml");
    std::fs::write(&bad_shape, "openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    // progenitor 0.15 panics on two request media types: an error, not a panic.
    let unsupported = dir.path().join("unsupported.yaml");
    let text = read(&good).replace(
        "          application/json:\n            schema:\n              $ref: '#/components/schemas/UpdateSyncIamUserRequest'\n",
        "          application/json:\n            schema:\n              $ref: '#/components/schemas/UpdateSyncIamUserRequest'\n          text/plain:\n            schema:\n              type: string\n",
    );
    std::fs::write(&unsupported, text).unwrap();
    let root = fixtures();
    let g = good.display().to_string();
    for (base, head, expected) in [
        (bad_yaml.display().to_string(), g.clone(), "the base spec"),
        (g.clone(), bad_yaml.display().to_string(), "the head spec"),
        (
            g.clone(),
            bad_shape.display().to_string(),
            "not a valid OpenAPI",
        ),
        (missing.display().to_string(), g.clone(), "the base spec"),
        (
            g.clone(),
            unsupported.display().to_string(),
            "the head spec",
        ),
    ] {
        let out = spec_diff::execute(&root, &[&base, &head]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    let out = spec_diff::execute(&root, &[&g, &unsupported.display().to_string()]);
    assert!(out.stderr.contains("cannot be generated"), "{}", out.stderr);
}

#[test]
fn the_docs_list_every_rule() {
    let docs = read(&xtask::workspace_root().unwrap().join("xtask/SPEC_DIFF.md"));
    for id in rules::fixed_ids() {
        assert!(
            docs.contains(&format!("`{id}`")),
            "SPEC_DIFF.md lacks `{id}`"
        );
    }
    for (suffix, ..) in rules::schema_suffixes() {
        assert!(
            docs.contains(&format!("| `{suffix}` |")),
            "SPEC_DIFF.md lacks the suffix `{suffix}`"
        );
    }
    // The docs show the table the code has.
    assert!(
        docs.contains(&rules::markdown()),
        "SPEC_DIFF.md: paste `cargo xtask spec-diff --rules` again"
    );
}

#[test]
fn git_revisions_in_a_temporary_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("spec")).unwrap();
    std::fs::create_dir_all(root.join("crates/mrs-iam-sync")).unwrap();
    let case = fixtures().join("semver_not_bumped");
    let spec = root.join("spec/mrs-iam-sync.yaml");
    let manifest = root.join("crates/mrs-iam-sync/Cargo.toml");
    std::fs::write(&spec, read(&base_file())).unwrap();
    std::fs::write(&manifest, read(&case.join("base.Cargo.toml"))).unwrap();
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);

    // Unchanged working tree: nothing to report.
    let out = spec_diff::execute(root, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("**0 breaking, 0 warn, 0 info**"),
        "{}",
        out.stdout
    );

    // A renamed operation in the working tree.
    std::fs::write(&spec, read(&case.join("head.yaml"))).unwrap();
    let out = spec_diff::execute(root, &["--format", "text", "--check-version"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains("api-operation-id-updated"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("version fails: breaking spec change since HEAD but mrs-iam-sync is still 0.1.0: bump to 0.2.0"),
        "{}",
        out.stdout
    );
    let err = spec_diff::version_gate_since(root, "HEAD").unwrap_err();
    assert!(format!("{err:#}").contains("bump to 0.2.0"), "{err:#}");

    // Committed, then compared with HEAD~1 and bumped.
    git(root, &["commit", "-q", "-am", "rename"]);
    assert_eq!(spec_diff::execute(root, &[]).code, 0);
    let out = spec_diff::execute(root, &["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("\"base\": \"HEAD~1:spec/mrs-iam-sync.yaml\""),
        "{}",
        out.stdout
    );
    std::fs::write(
        &manifest,
        read(&case.join("base.Cargo.toml")).replace("0.1.0", "0.2.0"),
    )
    .unwrap();
    spec_diff::version_gate_since(root, "HEAD~1").unwrap();

    // A revision that does not exist, or a base without the spec.
    let out = spec_diff::execute(root, &["--base", "no-such-rev"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("the base spec (no-such-rev:spec/mrs-iam-sync.yaml)"),
        "{}",
        out.stderr
    );
}
