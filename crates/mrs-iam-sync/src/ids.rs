//! Checking ids before anything is sent: the generated newtypes hold the
//! spec's rules; this names the field and keeps the rule that was broken.

use std::fmt;

use crate::types;

/// A value that breaks a rule of the spec: which field, which rule. It
/// converts into [`Error::InvalidInput`](crate::Error::InvalidInput) with `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidValue {
    /// The field, e.g. `cluster_id`.
    pub field: &'static str,
    /// The rule it broke, with the offending value when it is not secret.
    pub rule: String,
}

impl InvalidValue {
    pub(crate) fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.rule)
    }
}

impl std::error::Error for InvalidValue {}

/// The spec's rule for `project_id`, in words.
const PROJECT_ID_WORDS: &str = "must be 1 to 64 ASCII letters or digits";
/// The spec's rule for `cluster_id`, in words.
const CLUSTER_ID_WORDS: &str = "must be 1 to 64 ASCII letters, digits, '_' or '-'";
/// The rule of `project_id` with its pattern, for when the reason is unknown.
pub(crate) const PROJECT_ID_RULE: &str =
    "must be 1 to 64 ASCII letters or digits (pattern ^[A-Za-z0-9]{1,64}$)";
/// The rule of `cluster_id` with its pattern, for when the reason is unknown.
pub(crate) const CLUSTER_ID_RULE: &str =
    "must be 1 to 64 ASCII letters, digits, '_' or '-' (pattern ^[A-Za-z0-9_-]{1,64}$)";

/// The most names CancelSyncIamUser takes per list.
pub(crate) const MAX_CANCEL_NAMES: usize = 1000;

/// Parses a project id, or says which rule it breaks.
pub fn project_id(value: &str) -> Result<types::ProjectId, InvalidValue> {
    value
        .parse()
        .map_err(|err| InvalidValue::new("project_id", rule(value, err, PROJECT_ID_WORDS)))
}

/// Parses a cluster id, or says which rule it breaks.
pub fn cluster_id(value: &str) -> Result<types::ClusterId, InvalidValue> {
    value
        .parse()
        .map_err(|err| InvalidValue::new("cluster_id", rule(value, err, CLUSTER_ID_WORDS)))
}

/// The broken rule with the offending value (ids are not secret), bounded.
fn rule(value: &str, err: types::error::ConversionError, words: &str) -> String {
    let shown: String = value.chars().take(80).collect();
    let more = if value.chars().count() > 80 {
        "…"
    } else {
        ""
    };
    format!("{shown:?}{more} {err}; it {words}")
}

/// CancelSyncIamUser takes at most 1000 names per list.
pub(crate) fn check_cancel_request(
    request: &types::CancelSyncIamUserRequest,
) -> Result<(), InvalidValue> {
    for (field, names) in [
        ("user_names", &request.user_names),
        ("group_names", &request.group_names),
    ] {
        if names.len() > MAX_CANCEL_NAMES {
            return Err(InvalidValue::new(
                field,
                format!(
                    "has {} names; at most {MAX_CANCEL_NAMES} are allowed",
                    names.len()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_parse() {
        assert!(project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9").is_ok());
        assert!(cluster_id("6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a").is_ok());
        assert!(cluster_id("a_b").is_ok());
        assert!(cluster_id(&"c".repeat(64)).is_ok());
    }

    #[test]
    fn invalid_ids_name_the_field_and_the_rule() {
        let cases = [
            ("", "shorter than 1"),
            (&*"c".repeat(65), "longer than 64"),
            ("a/b", "doesn't match pattern"),
            ("..", "doesn't match pattern"),
            ("a b", "doesn't match pattern"),
            ("集群", "doesn't match pattern"),
        ];
        for (value, reason) in cases {
            let err = cluster_id(value).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("invalid cluster_id: "), "{text}");
            assert!(text.contains(reason), "{value:?}: {text}");
            assert_eq!(err.field, "cluster_id");
            assert_eq!(
                crate::Error::from(err).to_string(),
                text,
                "the crate's error says the same"
            );
        }
        let err = project_id("has-dash").unwrap_err().to_string();
        assert!(
            err.contains("invalid project_id") && err.contains("letters or digits"),
            "{err}"
        );
    }

    #[test]
    fn cancel_lists_are_bounded() {
        let mut request = types::CancelSyncIamUserRequest {
            group_names: vec!["g".into(); 1001],
            ..Default::default()
        };
        let err = check_cancel_request(&request).unwrap_err().to_string();
        assert!(err.contains("group_names") && err.contains("1001"), "{err}");
        request.group_names.truncate(1000);
        assert!(check_cancel_request(&request).is_ok());
    }
}
