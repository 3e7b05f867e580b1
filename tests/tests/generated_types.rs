//! The JSON Schema of every generated type, snapshotted: a spec change that
//! changes a type fails here until the new snapshot is reviewed
//! (`cargo insta review`).

use mrs_iam_sync::types;

/// Every type of the generated `types` module, with its schema.
macro_rules! schemas {
    ($($ty:ident),* $(,)?) => {
        fn schemas() -> Vec<(&'static str, serde_json::Value)> {
            vec![$((
                stringify!($ty),
                serde_json::to_value(schemars::schema_for!(types::$ty)).expect("schema to JSON"),
            )),*]
        }
    };
}

schemas!(
    CancelSyncIamUserRequest,
    ClusterId,
    ClusterSyncStatus,
    ErrorResponse,
    ProjectId,
    SyncTaskAccepted,
    SyncTaskStatus,
    SyncedIamPrincipals,
    UpdateSyncIamUserRequest,
);

#[test]
fn every_generated_type_has_a_schema_snapshot() {
    for (name, schema) in schemas() {
        insta::assert_json_snapshot!(format!("type_{name}"), schema);
    }
}

/// The list above must name every type the generator emits (progenitor's
/// `types` module and the path parameters' newtypes of the rules crate's
/// `params.rs`), so that a new type cannot slip in without a snapshot.
#[test]
fn the_snapshot_list_covers_every_generated_type() {
    let mut generated = declared_types("crates/mrs-iam-sync/src/generated.rs");
    generated.extend(declared_types("crates/mrs-iam-sync-rules/src/params.rs"));
    generated.sort_unstable();
    let mut covered: Vec<String> = schemas()
        .into_iter()
        .map(|(name, _)| name.to_owned())
        .collect();
    covered.sort_unstable();
    assert_eq!(
        generated, covered,
        "the generated types and the snapshotted ones differ: update the schemas! list"
    );
}

/// The structs and enums declared in the `types` module of a generated file
/// (its path from the workspace root).
fn declared_types(file: &str) -> Vec<String> {
    let path = mrs_iam_sync_tests::spec::workspace_root().join(file);
    let source = std::fs::read_to_string(&path).expect("read the generated file");
    let module = source
        .split_once("pub mod types {")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{file} has no `types` module"));
    module
        .lines()
        .take_while(|line| !line.starts_with("    pub mod ") && !line.starts_with('}'))
        .filter_map(|line| {
            line.strip_prefix("    pub struct ")
                .or_else(|| line.strip_prefix("    pub enum "))
        })
        .map(|rest| {
            rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
                .unwrap_or(rest)
                .to_owned()
        })
        .collect()
}
