//! Checking ids and request bodies before anything is sent. Every rule comes
//! from the spec through the generated rules of the internal crate
//! `mrs-iam-sync-rules`; a broken one is an [`InvalidValue`] that names the
//! field and the rule.

use mrs_iam_sync_rules::{BodyRules, InvalidValue};
use serde::Serialize;

use crate::types;

/// Parses a project id, or says which rule it breaks.
pub(crate) fn project_id(value: &str) -> Result<types::ProjectId, InvalidValue> {
    value.parse()
}

/// Parses a cluster id, or says which rule it breaks.
pub(crate) fn cluster_id(value: &str) -> Result<types::ClusterId, InvalidValue> {
    value.parse()
}

/// Checks every spec constraint of a request body (list sizes, names)
/// before the call resolves its project or sends anything; the `pre` hook
/// applies the same rules to the bytes the generated builders send.
pub(crate) fn check_body(rules: &BodyRules, request: &impl Serialize) -> Result<(), InvalidValue> {
    match serde_json::to_value(request) {
        Ok(body) => rules.check_value(&body),
        Err(e) => Err(InvalidValue::new(
            "body",
            format!("cannot be written as JSON: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mrs_iam_sync_rules as rules;

    #[test]
    fn valid_ids_parse() {
        assert!(project_id("0a1b2c3d4e5f60718293a4b5c6d7e8f9").is_ok());
        assert!(cluster_id("6d5c4b3a-2f1e-4d0c-9b8a-7e6f5d4c3b2a").is_ok());
        assert!(cluster_id("a_b").is_ok());
        let longest = rules::CLUSTER_ID.max_length.unwrap();
        assert!(cluster_id(&"c".repeat(longest)).is_ok());
    }

    #[test]
    fn invalid_ids_name_the_field_and_the_rule() {
        let longest = rules::CLUSTER_ID.max_length.unwrap();
        let too_long = "c".repeat(longest + 1);
        let cases = [
            ("", "shorter than 1".to_owned()),
            (too_long.as_str(), format!("longer than {longest}")),
            ("a/b", "doesn't match pattern".to_owned()),
            ("..", "doesn't match pattern".to_owned()),
            ("a b", "doesn't match pattern".to_owned()),
            ("集群", "doesn't match pattern".to_owned()),
        ];
        for (value, reason) in cases {
            let err = cluster_id(value).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("invalid cluster_id: "), "{text}");
            assert!(text.contains(&reason), "{value:?}: {text}");
            assert!(text.ends_with(rules::CLUSTER_ID.text), "{text}");
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
        let most = rules::CANCEL_SYNC_IAM_USER_REQUEST_GROUP_NAMES
            .max_items
            .unwrap();
        let mut request = types::CancelSyncIamUserRequest {
            group_names: vec!["g".into(); most + 1],
            ..Default::default()
        };
        let body_rules = &rules::CANCEL_SYNC_IAM_USER_REQUEST;
        let err = check_body(body_rules, &request).unwrap_err().to_string();
        assert!(
            err.contains("group_names") && err.contains(&format!("at most {most}")),
            "{err}"
        );
        request.group_names.truncate(most);
        assert!(check_body(body_rules, &request).is_ok());
    }

    #[test]
    fn names_must_not_be_empty() {
        let request = types::UpdateSyncIamUserRequest {
            user_names: vec!["alice".into(), String::new()],
            ..Default::default()
        };
        let err = check_body(&rules::UPDATE_SYNC_IAM_USER_REQUEST, &request)
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid user_names: item 1"), "{err}");
    }
}
