//! The xtask on bad input: truncated specs, `$ref` cycles, a very large
//! spec, and generation that is interrupted or cannot write.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use xtask::codegen::generate::{self, write_if_changed};
use xtask::codegen::lint::lint;
use xtask::codegen::spec::parse;
use xtask::review::spec_diff::compare::compare;

fn project_spec() -> String {
    std::fs::read_to_string(xtask::workspace_root().unwrap().join(xtask::paths::SPEC)).unwrap()
}

/// Runs `f` on a thread with a small stack (1 MiB), so that unbounded
/// recursion shows up here as a failure rather than passing by luck on a
/// big main-thread stack. (An overflow aborts the test binary: a failure.)
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[test]
fn every_prefix_of_the_spec_loads_or_fails_cleanly() {
    let text = project_spec();
    let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    cuts.insert(0, 0);
    assert!(cuts.len() > 100, "the spec has {} lines", cuts.len());
    let (mut loaded, mut refused) = (0, 0);
    for &cut in &cuts {
        let prefix = &text[..cut];
        let outcome = catch_unwind(AssertUnwindSafe(|| match parse(prefix, "cut.yaml") {
            Ok(spec) => {
                let report = lint(&spec);
                // Comparing a spec with itself finds nothing, whatever it is.
                assert!(compare(&spec.json, &spec.json).is_empty());
                Ok(report.operations)
            }
            Err(err) => Err(format!("{err:#}")),
        }));
        match outcome {
            Ok(Ok(_)) => loaded += 1,
            Ok(Err(message)) => {
                assert!(message.starts_with("cut.yaml"), "{message}");
                refused += 1;
            }
            Err(_) => panic!("loading the first {cut} bytes of the spec panicked"),
        }
    }
    // The whole spec loads; the empty text and a cut inside `info` do not.
    assert!(parse(&text, "full.yaml").is_ok());
    assert!(
        refused > 0 && loaded > 0,
        "loaded {loaded}, refused {refused}"
    );
}

/// A spec whose schemas refer to themselves: directly (`Loop`), through
/// another (`Ping` ↔ `Pong`), and as legitimately recursive data (`Node`,
/// a tree through `properties` and `items`), each used by an operation
/// whose examples the lint validates.
const CYCLES: &str = r##"openapi: 3.0.3
info: {title: cycles, version: '1'}
paths:
  /loop:
    get:
      operationId: GetLoop
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Loop'}
              example: {a: 1}
  /ping:
    get:
      operationId: GetPing
      parameters:
        - $ref: '#/components/parameters/Self'
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Ping'}
              example: {}
  /node:
    get:
      operationId: GetNode
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Node'}
              example: {name: root, children: [{name: leaf, children: []}]}
components:
  parameters:
    Self: {$ref: '#/components/parameters/Self'}
  schemas:
    Loop: {$ref: '#/components/schemas/Loop'}
    Ping: {$ref: '#/components/schemas/Pong'}
    Pong: {$ref: '#/components/schemas/Ping'}
    Node:
      type: object
      required: [name]
      properties:
        name: {type: string}
        children:
          type: array
          items: {$ref: '#/components/schemas/Node'}
        parent: {$ref: '#/components/schemas/Node'}
      example: {name: n, parent: {name: p}}
"##;

#[test]
fn reference_cycles_end_with_an_error_not_a_stack_overflow() {
    let outcome = on_small_stack(|| {
        let started = Instant::now();
        // Loading refuses the pure reference loops, naming them.
        let err = parse(CYCLES, "cycles.yaml").unwrap_err();
        let message = format!("{err:#}");
        (started.elapsed(), message)
    });
    let (elapsed, message) = outcome;
    for place in [
        "components.schemas.Loop",
        "components.schemas.Ping",
        "components.parameters.Self",
    ] {
        assert!(
            message.contains(place) && message.contains("cycle"),
            "{place} not named as a cycle in: {message}"
        );
    }
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn recursive_schemas_load_lint_compare_and_generate() {
    // Only the legitimately recursive `Node` (and one reference chain that
    // ends): this must load, lint, compare and generate.
    let text = CYCLES
        .replace(
            "Loop: {$ref: '#/components/schemas/Loop'}",
            "Loop: {$ref: '#/components/schemas/Node'}",
        )
        .replace(
            "Pong: {$ref: '#/components/schemas/Ping'}",
            "Pong: {$ref: '#/components/schemas/Node'}",
        )
        .replace(
            "Self: {$ref: '#/components/parameters/Self'}",
            "Self: {name: q, in: query, schema: {$ref: '#/components/schemas/Node'}}",
        );
    let problems = on_small_stack(move || {
        let spec = parse(&text, "tree.yaml").unwrap();
        let report = lint(&spec);
        assert_eq!(report.operations, 3);
        assert!(report.examples >= 4, "{}", report.examples);
        // The spec against itself, and against a variant: both end.
        assert!(compare(&spec.json, &spec.json).is_empty());
        let changed = parse(
            &text.replace("name: {type: string}", "name: {type: integer}"),
            "t2",
        )
        .unwrap();
        let changes = compare(&spec.json, &changed.json);
        assert!(
            changes.iter().any(|c| c.rule.contains("type-changed")),
            "{:?}",
            changes.iter().map(|c| &c.rule).collect::<Vec<_>>()
        );
        report.problems
    });
    // `{a: 1}` is not a Node (no `name`): found through two hops of `$ref`.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("paths./loop.get") && p.contains("name")),
        "{problems:#?}"
    );
    // The generator (a big recursive walk of its own) on the main stack.
    let spec = parse(
        &CYCLES
            .replace(
                "Loop: {$ref: '#/components/schemas/Loop'}",
                "Loop: {$ref: '#/components/schemas/Node'}",
            )
            .replace(
                "Pong: {$ref: '#/components/schemas/Ping'}",
                "Pong: {$ref: '#/components/schemas/Node'}",
            )
            .replace(
                "Self: {$ref: '#/components/parameters/Self'}",
                "Self: {name: q, in: query, schema: {type: string}}",
            ),
        "tree.yaml",
    )
    .unwrap();
    let code = generate::render(&spec).unwrap();
    assert!(code.contains("pub struct Node"), "no Node type generated");
}

/// A diamond of references nested 40 deep: each level refers twice to the
/// next, so a walk that does not remember where it has been makes 2^40
/// visits. The comparison must still end quickly.
#[test]
fn a_deep_diamond_of_references_is_compared_in_reasonable_time() {
    let mut text = String::from(
        "openapi: 3.0.3\ninfo: {title: diamond, version: '1'}\npaths:\n  /d:\n    get:\n      operationId: GetD\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/L0'}\ncomponents:\n  schemas:\n",
    );
    for level in 0..40 {
        let next = level + 1;
        writeln!(
            text,
            "    L{level}:\n      type: object\n      properties:\n        left: {{$ref: '#/components/schemas/L{next}'}}\n        right: {{$ref: '#/components/schemas/L{next}'}}"
        )
        .unwrap();
    }
    text.push_str("    L40: {type: string}\n");
    let head_text = text.replace("L40: {type: string}", "L40: {type: integer}");
    let started = Instant::now();
    let base = parse(&text, "base.yaml").unwrap();
    let head = parse(&head_text, "head.yaml").unwrap();
    let report = lint(&base);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert!(compare(&base.json, &base.json).is_empty());
    let changes = compare(&base.json, &head.json);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(60),
        "comparing a 40-level diamond took {elapsed:?}"
    );
    assert!(
        changes.iter().any(|c| c.rule.contains("type-changed")),
        "{:?}",
        changes.iter().map(|c| &c.rule).collect::<Vec<_>>()
    );
}

/// A spec of `n` operations over shared components.
fn spec_with_operations(n: usize) -> String {
    let mut text = String::from("openapi: 3.0.3\ninfo: {title: many, version: '1'}\npaths:\n");
    for i in 0..n {
        writeln!(
            text,
            "  /v2/{{project_id}}/things{i}/{{thing_id}}:\n    parameters:\n      - $ref: '#/components/parameters/ProjectIdPath'\n      - $ref: '#/components/parameters/ThingIdPath'\n    get:\n      operationId: GetThing{i}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Thing'}}\n        4XX:\n          description: error\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Error'}}"
        )
        .unwrap();
    }
    text.push_str(
        "components:\n  parameters:\n    ProjectIdPath:\n      name: project_id\n      in: path\n      required: true\n      schema: {type: string, minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9]{1,64}$'}\n    ThingIdPath:\n      name: thing_id\n      in: path\n      required: true\n      schema: {type: string, minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]{1,64}$'}\n  schemas:\n    Thing:\n      type: object\n      required: [name]\n      properties:\n        name: {type: string}\n        tags: {type: array, items: {type: string}}\n      example: {name: a, tags: [b]}\n    Error:\n      type: object\n      required: [error_code]\n      properties:\n        error_code: {type: string}\n        error_msg: {type: string}\n",
    );
    text
}

#[test]
fn a_thousand_operations_generate() {
    let text = spec_with_operations(1000);
    let started = Instant::now();
    let spec = parse(&text, "many.yaml").unwrap();
    let loaded = started.elapsed();
    let report = lint(&spec);
    assert_eq!(report.operations, 1000);
    assert_eq!(report.path_parameters, 2000);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let linted = started.elapsed();
    let code = generate::render(&spec).unwrap();
    let rendered = started.elapsed();
    assert!(code.contains("pub fn get_thing0(") && code.contains("pub fn get_thing999("));
    assert_eq!(code.matches("pub fn get_thing").count(), 1000);
    // The same spec gives the same bytes.
    assert_eq!(generate::render(&spec).unwrap(), code);
    eprintln!(
        "1000 operations: load {loaded:?}, lint {:?}, render {:?} ({} bytes)",
        linted - loaded,
        rendered - linted,
        code.len()
    );
    assert!(
        rendered < Duration::from_secs(120),
        "load + lint + render of 1000 operations took {rendered:?}"
    );
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_target_whose_parent_is_a_file_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let err = write_if_changed(&file.join("generated.rs"), b"code").unwrap_err();
    assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn a_read_only_folder_is_an_error_and_leaves_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let target = folder.join("generated.rs");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = folder.join("probe");
    let enforced = std::fs::write(&probe, "").is_err();
    let _ = std::fs::remove_file(&probe);
    let result = write_if_changed(&target, b"new");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    if enforced {
        assert!(result.is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
    } else {
        // root ignores the mode; then the write goes through, atomically.
        assert!(result.unwrap());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }
    assert!(temp_files(&folder).is_empty(), "{:?}", temp_files(&folder));
}

#[test]
fn a_failed_rename_removes_the_temporary_file() {
    // The target is a folder: the temporary file is written, the rename
    // fails, and the temporary file must not stay behind (root or not).
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("generated.rs");
    std::fs::create_dir(&target).unwrap();
    let err = write_if_changed(&target, b"code").unwrap_err();
    assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    assert!(target.is_dir());
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );
}

#[test]
fn a_crash_between_write_and_rename_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("generated.rs");
    std::fs::write(&target, "old, complete").unwrap();
    // The temporary file sits next to the target (same file system, so the
    // rename is atomic), hidden, named after the target and the process.
    let temp = dir
        .path()
        .join(format!(".generated.rs.{}.tmp", std::process::id()));

    // Where the temporary file goes is taken (a folder): the write fails
    // before the rename, and the target is untouched. This pins the name.
    std::fs::create_dir(&temp).unwrap();
    assert!(write_if_changed(&target, b"new").is_err());
    assert_eq!(std::fs::read(&target).unwrap(), b"old, complete");
    std::fs::remove_dir(&temp).unwrap();

    // A crashed run left half a temporary file: the target is still the old,
    // complete file, which is all that readers (and `check`) look at.
    std::fs::write(&temp, "new, half").unwrap();
    let stale_other = dir.path().join(".generated.rs.999999999.tmp");
    std::fs::write(&stale_other, "new, half").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"old, complete");
    assert!(generate::check_fresh(&target, "old, complete").is_ok());

    // The next run writes the whole file and leaves its own temporary file
    // behind neither.
    assert!(write_if_changed(&target, b"new, complete").unwrap());
    assert_eq!(std::fs::read(&target).unwrap(), b"new, complete");
    assert!(!temp.exists());
    // Unchanged bytes: nothing is written, no temporary file is made.
    assert!(!write_if_changed(&target, b"new, complete").unwrap());
    assert_eq!(temp_files(dir.path()), vec![".generated.rs.999999999.tmp"]);
}

#[test]
fn a_pattern_the_rules_cannot_compile_names_the_parameter_the_schema_and_the_reason() {
    // Lookahead is not regular: no DFA checks it.
    let text = project_spec().replace("^[A-Za-z0-9_-]{1,64}$", "^(?=\\d)[A-Za-z0-9_-]*$");
    let spec = parse(&text, "regex.yaml").unwrap();
    let err = format!("{:#}", generate::render_rules(&spec).unwrap_err());
    assert!(err.contains("path parameter `cluster_id`"), "{err}");
    assert!(err.contains("components.schemas.ClusterId"), "{err}");
    assert!(err.contains("^(?=\\d)[A-Za-z0-9_-]*$"), "{err}");
    assert!(err.contains("lookaround"), "{err}");
    // The client alone still generates (spec review of such a spec), with
    // progenitor's own types for the parameters.
    assert!(xtask::codegen::rules::path_param_types(&spec).is_empty());
    assert!(generate::render(&spec).is_ok());
}

#[test]
fn a_pattern_over_the_table_bound_names_the_property_and_the_bound() {
    // A body property: a backreference, then a table past the bound.
    let with = |pattern: &str| {
        project_spec().replace(
            "      type: string\n      minLength: 1\n      example: user1",
            &format!("      type: string\n      minLength: 1\n      pattern: '{pattern}'\n      example: user1"),
        )
    };
    for (pattern, reason) in [
        ("^(a)\\1$", "backreference"),
        ("^[a-z]{1,20000}$", "more than the 64 KiB"),
    ] {
        let text = with(pattern);
        assert!(
            text.contains(pattern),
            "the spec's IamUserName changed: update this test"
        );
        let spec = parse(&text, "big.yaml").unwrap();
        let err = format!("{:#}", generate::render_rules(&spec).unwrap_err());
        // The first list of the first body with the rule, and the schema
        // its items refer to.
        assert!(
            err.contains(
                "components.schemas.UpdateSyncIamUserRequest.properties.user_names.items \
                 (#/components/schemas/IamUserName)"
            ),
            "{err}"
        );
        assert!(err.contains(pattern) && err.contains(reason), "{err}");
    }
}
