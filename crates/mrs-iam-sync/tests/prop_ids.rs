//! Property tests of the id checks: `ProjectId` and `ClusterId` accept
//! exactly the strings the spec's patterns describe, and an accepted id can
//! never take a request outside its operation's path.

use mrs_iam_sync::InvalidValue;
use mrs_iam_sync::types::{ClusterId, ProjectId};
use mrs_iam_sync_rules::{CLUSTER_ID, PROJECT_ID, PathParam};
use proptest::prelude::*;
use proptest::sample::select;

fn project_id(value: &str) -> Result<ProjectId, InvalidValue> {
    value.parse()
}

fn cluster_id(value: &str) -> Result<ClusterId, InvalidValue> {
    value.parse()
}

/// Whether the length of `value` is within the generated bounds of `rule`.
fn length_ok(rule: &PathParam, value: &str) -> bool {
    let count = value.chars().count();
    count >= rule.min_length && rule.max_length.is_none_or(|max| count <= max)
}

/// The spec's `^[A-Za-z0-9]{1,64}$`: the class written out by hand (no regex
/// engine), the bounds from the generated rules.
fn project_id_oracle(value: &str) -> bool {
    length_ok(&PROJECT_ID, value) && value.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The spec's `^[A-Za-z0-9_-]{1,64}$`, likewise.
fn cluster_id_oracle(value: &str) -> bool {
    length_ok(&CLUSTER_ID, value)
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The longest id of either rule.
fn longest() -> usize {
    [PROJECT_ID.max_length, CLUSTER_ID.max_length]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(64)
}

/// A strategy of the strings a rule's pattern describes (proptest's own
/// regex engine, not the client's).
fn from_pattern(rule: &PathParam) -> impl Strategy<Value = String> + use<> {
    proptest::string::string_regex(
        rule.pattern
            .source
            .trim_start_matches('^')
            .trim_end_matches('$'),
    )
    .expect("the spec's pattern is a regex proptest understands")
}

/// Characters that look like they could be allowed, or that would change a
/// URL if they got through: separators, escapes, look-alike letters and
/// digits, line ends the pattern's `$` must not let pass.
const TRICKY: &[char] = &[
    '/', '\\', '.', '%', '?', '#', '&', '=', ';', ':', '@', '+', ' ', '\t', '\n', '\r', '\0', '~',
    '_', '-', 'é', 'ß', 'İ', 'ı', 'K', 'ſ', '０', '٣', 'Ａ', '\u{200b}', '\u{feff}', '\u{2028}',
];

fn alphabet() -> Vec<char> {
    ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .chain(['_', '-'])
        .collect()
}

/// Strings built mostly from the id alphabet, with now and then any
/// character or a tricky one, of lengths around the bounds.
fn biased() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        16 => select(alphabet()),
        2 => select(TRICKY),
        1 => any::<char>(),
    ];
    prop::collection::vec(ch, 0..longest() + 6).prop_map(String::from_iter)
}

/// Any Unicode string (any scalar value, any length up to 80).
fn arbitrary() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..longest() + 16).prop_map(String::from_iter)
}

/// Ids of the alphabet only, at the length bounds (0, 1, 2, and around the
/// longest).
fn at_bounds() -> impl Strategy<Value = String> {
    let n = longest();
    (
        select(vec![0usize, 1, 2, n - 1, n, n + 1, n + 6]),
        any::<u64>(),
    )
        .prop_map(|(len, seed)| {
            let alphabet = alphabet();
            let mut state = seed | 1;
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect()
        })
}

fn any_candidate() -> impl Strategy<Value = String> {
    prop_oneof![3 => biased(), 2 => arbitrary(), 1 => at_bounds()]
}

/// The path templates of the spec's operations, as the generated code fills them.
const TEMPLATES: [&str; 3] = [
    "/v2/{project_id}/clusters/{cluster_id}/iam-sync",
    "/v2/{project_id}/clusters/{cluster_id}/iam-sync/is-synchronous",
    "/v2/{project_id}/clusters/{cluster_id}/iam-sync-user",
];

/// Fills a template exactly as the generated operations do
/// (`encode_path(&id.to_string())`) and parses the result as a URL.
fn check_stays_in_template(project: &ProjectId, cluster: &ClusterId) -> Result<(), TestCaseError> {
    for template in TEMPLATES {
        let path = template
            .replace(
                "{project_id}",
                &progenitor_client::encode_path(&project.to_string()),
            )
            .replace(
                "{cluster_id}",
                &progenitor_client::encode_path(&cluster.to_string()),
            );
        for forbidden in ['?', '#', '%', '\\'] {
            prop_assert!(!path.contains(forbidden), "{path:?} contains {forbidden:?}");
        }
        let segments: Vec<&str> = path.split('/').collect();
        let template_segments: Vec<&str> = template.split('/').collect();
        prop_assert_eq!(segments.len(), template_segments.len(), "{:?}", path);
        prop_assert_eq!(segments[2], project.as_str());
        prop_assert_eq!(segments[4], cluster.as_str());
        for segment in &segments[1..] {
            prop_assert!(
                !segment.is_empty() && *segment != "." && *segment != "..",
                "{path:?}"
            );
        }
        // What reqwest sends: the URL parser keeps the path as it is (no
        // dot-segment removal, no new query or fragment).
        let url = reqwest::Url::parse(&format!("https://mrs.example.com{path}"))
            .map_err(|err| TestCaseError::fail(format!("{path:?}: {err}")))?;
        prop_assert_eq!(url.path(), path.as_str());
        prop_assert_eq!(url.query(), None);
        prop_assert_eq!(url.fragment(), None);
        prop_assert_eq!(url.host_str(), Some("mrs.example.com"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn project_id_accepts_exactly_the_pattern(value in any_candidate()) {
        let accepted = project_id(&value);
        prop_assert_eq!(accepted.is_ok(), project_id_oracle(&value), "{:?}", value);
        match accepted {
            Ok(id) => prop_assert_eq!(id.as_str(), value.as_str()),
            Err(err) => {
                let text = err.to_string();
                prop_assert!(text.starts_with("invalid project_id: "), "{}", text);
            }
        }
    }

    #[test]
    fn cluster_id_accepts_exactly_the_pattern(value in any_candidate()) {
        let accepted = cluster_id(&value);
        prop_assert_eq!(accepted.is_ok(), cluster_id_oracle(&value), "{:?}", value);
        match accepted {
            Ok(id) => prop_assert_eq!(id.as_str(), value.as_str()),
            Err(err) => {
                let text = err.to_string();
                prop_assert!(text.starts_with("invalid cluster_id: "), "{}", text);
            }
        }
    }

    #[test]
    fn accepted_ids_stay_inside_the_path_template(
        project in any_candidate(),
        cluster in any_candidate(),
    ) {
        if let (Ok(project), Ok(cluster)) = (project_id(&project), cluster_id(&cluster)) {
            check_stays_in_template(&project, &cluster)?;
        }
    }

    #[test]
    fn valid_ids_always_stay_inside_the_path_template(
        project in from_pattern(&PROJECT_ID),
        cluster in from_pattern(&CLUSTER_ID),
    ) {
        // Generated from the pattern (proptest's own regex engine, not the
        // client's): every such id is accepted and stays in its segment.
        let project = project_id(&project).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cluster = cluster_id(&cluster).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_stays_in_template(&project, &cluster)?;
    }
}

#[test]
fn the_oracles_agree_with_the_spec_on_known_cases() {
    // The oracles themselves: a wrong oracle would make the properties vacuous.
    assert!(project_id_oracle("0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
    assert!(!project_id_oracle("has-dash"));
    assert!(!project_id_oracle(""));
    let most = PROJECT_ID.max_length.unwrap();
    assert!(!project_id_oracle(&"a".repeat(most + 1)));
    assert!(project_id_oracle(&"a".repeat(most)));
    assert!(cluster_id_oracle("6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a"));
    assert!(cluster_id_oracle("a_b"));
    assert!(!cluster_id_oracle("a\n"));
    assert!(!cluster_id_oracle("٣"));
    assert!(!cluster_id_oracle(".."));
}
