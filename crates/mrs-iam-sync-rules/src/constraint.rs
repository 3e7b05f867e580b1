//! The shapes of the spec's rules, and how to apply them. The rules
//! themselves (every bound, pattern and rule text) are generated from the
//! spec by `cargo xtask generate` (`rules.rs`, `params.rs`); nothing here
//! states a number of its own.

use std::fmt;

use serde_json::Value;

/// A value that breaks a rule of the spec: which field, which rule (with
/// the offending value where it is not secret, shortened). The client
/// re-exports it (the error of `ProjectId`'s and `ClusterId`'s `FromStr`)
/// and turns it into its `Error::InvalidInput`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidValue {
    /// The field, as the spec names it (`cluster_id`, `user_names`).
    pub field: &'static str,
    /// What is wrong and the rule it breaks, e.g. `has 1001 items; at most
    /// 1000 are allowed`.
    pub rule: String,
}

impl InvalidValue {
    /// A broken rule of `field`.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
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

/// A pattern of the spec, compiled at generation time (`cargo xtask
/// generate`, with `regex-automata`) to a DFA: the client checks a value
/// with a table walk, without a regex engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as the spec writes it (ECMA-262, unanchored unless it
    /// says `^`/`$`).
    pub source: &'static str,
    /// Its automaton.
    pub dfa: &'static Dfa,
}

impl Pattern {
    /// Whether `value` matches the pattern.
    pub fn matches(&self, value: &str) -> bool {
        self.dfa.matches(value)
    }
}

/// A deterministic finite automaton over the UTF-8 bytes of a value, as
/// `cargo xtask generate` emits it. Its states are rows of `next`, each
/// named by the index of its first entry (the row number times
/// `class_count`), so that a step is one addition and one load: row 0 (the
/// dead state) rejects everything and no byte leaves it; row 1, at
/// `class_count`, is the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dfa {
    /// The class of each byte (bytes of one class move every state alike).
    pub classes: &'static [u8; 256],
    /// How many classes there are: the length of one row of `next`.
    pub class_count: usize,
    /// The transitions, row by row: from the state at `at`, a byte of class
    /// `c` goes to the state at `next[at + c]`.
    pub next: &'static [u16],
    /// Whether a value that ends in each state (by row number) matches.
    pub accepting: &'static [bool],
}

impl Dfa {
    /// Whether the automaton accepts `value`: one table step per byte,
    /// stopping at the dead state.
    pub fn matches(&self, value: &str) -> bool {
        let mut at = self.class_count;
        for &byte in value.as_bytes() {
            at = usize::from(self.next[at + usize::from(self.classes[usize::from(byte)])]);
            if at == 0 {
                return false;
            }
        }
        self.accepting[at / self.class_count]
    }
}

/// The rule of a path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathParam {
    /// The parameter's name.
    pub name: &'static str,
    /// The fewest characters.
    pub min_length: usize,
    /// The most characters, if bounded.
    pub max_length: Option<usize>,
    /// The pattern the value must match.
    pub pattern: Pattern,
    /// The rule in words, a sentence tail: "must be 1 to 64 ASCII letters or
    /// digits".
    pub text: &'static str,
}

impl PathParam {
    /// Checks a value of this parameter: the `FromStr` of its generated
    /// newtype (`crate::types::ClusterId`, ...).
    pub fn check(&self, value: &str) -> Result<(), InvalidValue> {
        match self.problem(value) {
            None => Ok(()),
            Some(problem) => Err(InvalidValue {
                field: self.name,
                rule: format!("{} {problem}; it {}", shown(value), self.text),
            }),
        }
    }

    fn problem(&self, value: &str) -> Option<String> {
        let length = value.chars().count();
        if let Some(max) = self.max_length
            && length > max
        {
            return Some(format!("longer than {max} characters"));
        }
        if length < self.min_length {
            return Some(format!("shorter than {} characters", self.min_length));
        }
        if !self.pattern.matches(value) {
            return Some(format!("doesn't match pattern \"{}\"", self.pattern.source));
        }
        None
    }

    /// The rule with its pattern, for when the broken part is unknown.
    pub fn rule_with_pattern(&self) -> String {
        format!("{} (pattern {})", self.text, self.pattern.source)
    }
}

/// The constraints of a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringRule {
    /// The fewest characters (Unicode scalar values, as JSON Schema counts).
    pub min_length: usize,
    /// The most characters, if bounded.
    pub max_length: Option<usize>,
    /// A pattern the value must match, if any.
    pub pattern: Option<Pattern>,
    /// The rule in words: "a non-empty string", "1 to 64 characters".
    pub text: &'static str,
}

impl StringRule {
    /// Checks one string value of `field`.
    pub fn check(&self, field: &'static str, value: &str) -> Result<(), InvalidValue> {
        match self.problem(value) {
            None => Ok(()),
            Some(problem) => Err(InvalidValue {
                field,
                rule: format!("{} {problem}; it must be {}", shown(value), self.text),
            }),
        }
    }

    fn problem(&self, value: &str) -> Option<String> {
        let length = value.chars().count();
        if length == 0 && self.min_length > 0 {
            return Some("is empty".to_owned());
        }
        if length < self.min_length {
            return Some(format!("is shorter than {} characters", self.min_length));
        }
        if let Some(max) = self.max_length
            && length > max
        {
            return Some(format!("is longer than {max} characters"));
        }
        match self.pattern {
            Some(pattern) if !pattern.matches(value) => {
                Some(format!("does not match the pattern {}", pattern.source))
            }
            _ => None,
        }
    }
}

/// The constraints of a list of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRule {
    /// The field, as the spec names it.
    pub field: &'static str,
    /// The fewest items.
    pub min_items: usize,
    /// The most items, if bounded.
    pub max_items: Option<usize>,
    /// The rule of each item.
    pub item: StringRule,
    /// The whole rule in words: "at most 1000 items, each a non-empty string".
    pub text: &'static str,
}

impl ListRule {
    /// Checks a list value of this field.
    pub fn check<S: AsRef<str>>(&self, items: &[S]) -> Result<(), InvalidValue> {
        let count = items.len();
        let violation = |rule: String| InvalidValue {
            field: self.field,
            rule,
        };
        if let Some(max) = self.max_items
            && count > max
        {
            return Err(violation(format!(
                "has {count} items; at most {max} are allowed"
            )));
        }
        if count < self.min_items {
            return Err(violation(format!(
                "has {count} items; at least {} are required",
                self.min_items
            )));
        }
        for (index, item) in items.iter().enumerate() {
            let item = item.as_ref();
            if let Some(problem) = self.item.problem(item) {
                return Err(violation(format!(
                    "item {index} {} {problem}; each item must be {}",
                    shown(item),
                    self.item.text
                )));
            }
        }
        Ok(())
    }
}

/// The rule of one property of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// A list of strings.
    List {
        /// Whether the body must carry it.
        required: bool,
        /// Its rule (which names the field).
        rule: &'static ListRule,
    },
    /// A string.
    Text {
        /// The field, as the spec names it.
        field: &'static str,
        /// Whether the body must carry it.
        required: bool,
        /// Its rule.
        rule: &'static StringRule,
    },
}

impl FieldRule {
    /// The field, as the spec names it.
    pub fn field(&self) -> &'static str {
        match self {
            FieldRule::List { rule, .. } => rule.field,
            FieldRule::Text { field, .. } => field,
        }
    }

    fn check(&self, value: Option<&Value>) -> Result<(), InvalidValue> {
        let field = self.field();
        let required = match self {
            FieldRule::List { required, .. } | FieldRule::Text { required, .. } => *required,
        };
        match (self, value) {
            (_, None) if required => Err(InvalidValue::new(field, "is required")),
            // An absent optional list decodes as an empty one.
            (FieldRule::List { rule, .. }, None) => rule.check::<&str>(&[]),
            (FieldRule::Text { .. }, None) => Ok(()),
            (FieldRule::List { rule, .. }, Some(value)) => {
                let items: Option<Vec<&str>> = value
                    .as_array()
                    .and_then(|items| items.iter().map(Value::as_str).collect());
                match items {
                    Some(items) => rule.check(&items),
                    None => Err(InvalidValue::new(field, "is not a list of strings")),
                }
            }
            (FieldRule::Text { rule, .. }, Some(value)) => match value.as_str() {
                Some(text) => rule.check(field, text),
                None => Err(InvalidValue::new(field, "is not a string")),
            },
        }
    }
}

/// The rules of a request body schema: one per property that has any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRules {
    /// The component schema, as the spec names it.
    pub schema: &'static str,
    /// The properties' rules, in the spec's order.
    pub fields: &'static [FieldRule],
}

impl BodyRules {
    /// Checks a JSON request body: the first broken rule, naming its field
    /// (`body` when the text is not a JSON object). An empty body means
    /// `{}`, as the spec says of an optional body.
    pub fn check_json(&self, body: &[u8]) -> Result<(), InvalidValue> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return self.check_value(&Value::Object(Default::default()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => self.check_value(&value),
            Err(e) => Err(InvalidValue::new(
                "body",
                format!("is not the operation's request body: {e}"),
            )),
        }
    }

    /// Checks a request body already read as JSON.
    pub fn check_value(&self, body: &Value) -> Result<(), InvalidValue> {
        let Some(object) = body.as_object() else {
            return Err(InvalidValue::new(
                "body",
                format!("is not a JSON object (the schema {})", self.schema),
            ));
        };
        self.fields
            .iter()
            .try_for_each(|rule| rule.check(object.get(rule.field())))
    }
}

/// Whether an operation takes a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyUse {
    /// No body.
    None,
    /// A body that may be left out (an absent body means `{}`).
    Optional,
    /// A body that must be sent.
    Required,
}

/// Matches a request path (still percent-encoded) against a path template
/// such as `/v2/{project_id}/clusters/{cluster_id}/iam-sync`: the raw value
/// of each `{parameter}`, in order, or `None` when the path is another one.
/// A parameter matches one whole segment, empty or not.
pub fn match_path<'a>(
    template: &'static str,
    path: &'a str,
) -> Option<Vec<(&'static str, &'a str)>> {
    let mut expected_segments = template.split('/');
    let mut segments = path.split('/');
    let mut params = Vec::new();
    loop {
        match (expected_segments.next(), segments.next()) {
            (None, None) => return Some(params),
            (Some(expected), Some(segment)) => {
                match expected
                    .strip_prefix('{')
                    .and_then(|rest| rest.strip_suffix('}'))
                {
                    Some(name) => params.push((name, segment)),
                    None if expected == segment => {}
                    None => return None,
                }
            }
            _ => return None,
        }
    }
}

/// A value for a message: quoted, and shortened so that a huge input does
/// not come back whole.
fn shown(value: &str) -> String {
    const LIMIT: usize = 80;
    if value.chars().count() > LIMIT {
        let head: String = value.chars().take(LIMIT).collect();
        format!("{head:?}…")
    } else {
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_templates() {
        let template = "/v2/{project_id}/clusters/{cluster_id}/iam-sync-user";
        let matched = |path| match_path(template, path);
        assert_eq!(
            matched("/v2/p1/clusters/c%2F1/iam-sync-user"),
            Some(vec![("project_id", "p1"), ("cluster_id", "c%2F1")])
        );
        assert_eq!(
            matched("/v2//clusters//iam-sync-user"),
            Some(vec![("project_id", ""), ("cluster_id", "")])
        );
        assert_eq!(matched("/v2/p/clusters/c/iam-sync"), None);
        assert_eq!(matched("/v2/p/clusters/c/iam-sync-user/x"), None);
    }

    const NAMES: ListRule = ListRule {
        field: "user_names",
        min_items: 0,
        max_items: Some(2),
        item: StringRule {
            min_length: 1,
            max_length: None,
            pattern: None,
            text: "a non-empty string",
        },
        text: "at most 2 items, each a non-empty string",
    };
    const LABEL: StringRule = StringRule {
        min_length: 1,
        max_length: Some(3),
        pattern: None,
        text: "1 to 3 characters",
    };
    const BODY: BodyRules = BodyRules {
        schema: "Request",
        fields: &[
            FieldRule::List {
                required: false,
                rule: &NAMES,
            },
            FieldRule::Text {
                field: "label",
                required: true,
                rule: &LABEL,
            },
        ],
    };

    #[test]
    fn list_rules_name_the_count_and_the_item() {
        let rule = NAMES;
        assert!(rule.check(&["a", "b"]).is_ok());
        let err = rule.check(&vec!["a".to_owned(); 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid user_names: has 3 items; at most 2 are allowed"
        );
        let err = rule.check(&["a", ""]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid user_names: item 1 \"\" is empty; each item must be a non-empty string"
        );
    }

    #[test]
    fn bodies_are_checked_as_json_field_by_field() {
        let check = |body: &str| BODY.check_json(body.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(check(r#"{"label": "abc"}"#), Ok(()));
        assert_eq!(
            check(r#"{"label": "abc", "user_names": ["a", "b"], "other": 1}"#),
            Ok(())
        );
        for (body, expected) in [
            (r#"{}"#, "invalid label: is required"),
            ("", "invalid label: is required"),
            (
                r#"{"label": "abcd"}"#,
                "invalid label: \"abcd\" is longer than 3 characters; it must be 1 to 3 characters",
            ),
            (r#"{"label": 7}"#, "invalid label: is not a string"),
            (
                r#"{"label": "a", "user_names": "alice"}"#,
                "invalid user_names: is not a list of strings",
            ),
            (
                r#"{"label": "a", "user_names": ["a", 1]}"#,
                "invalid user_names: is not a list of strings",
            ),
            (
                r#"{"label": "a", "user_names": ["a", "b", "c"]}"#,
                "invalid user_names: has 3 items; at most 2 are allowed",
            ),
            (
                "[]",
                "invalid body: is not a JSON object (the schema Request)",
            ),
        ] {
            assert_eq!(check(body), Err(expected.to_owned()), "{body}");
        }
        let err = check("{").unwrap_err();
        assert!(
            err.starts_with("invalid body: is not the operation's request body: "),
            "{err}"
        );
    }

    /// `^[a-z]+$` by hand: class 1 is `a-z`; row 2 (at 4) has seen one or
    /// more.
    static LOWER_CASE: Dfa = Dfa {
        classes: &{
            let mut classes = [0u8; 256];
            let mut byte = b'a';
            while byte <= b'z' {
                classes[byte as usize] = 1;
                byte += 1;
            }
            classes
        },
        class_count: 2,
        next: &[0, 0, 0, 4, 0, 4],
        accepting: &[false, false, true],
    };

    #[test]
    fn the_matcher_walks_the_table() {
        assert!(LOWER_CASE.matches("abc"));
        assert!(!LOWER_CASE.matches(""));
        assert!(!LOWER_CASE.matches("abC"));
        assert!(!LOWER_CASE.matches("ab\u{e9}"));
    }

    #[test]
    fn string_rules_check_bounds_and_pattern() {
        let rule = StringRule {
            min_length: 2,
            max_length: Some(3),
            pattern: Some(Pattern {
                source: "^[a-z]+$",
                dfa: &LOWER_CASE,
            }),
            text: "2 to 3 characters matching the pattern ^[a-z]+$",
        };
        assert!(rule.check("f", "abc").is_ok());
        assert!(
            rule.check("f", "a")
                .unwrap_err()
                .rule
                .contains("shorter than 2")
        );
        assert!(
            rule.check("f", "abcd")
                .unwrap_err()
                .rule
                .contains("longer than 3")
        );
        assert!(
            rule.check("f", "A1")
                .unwrap_err()
                .rule
                .contains("does not match")
        );
    }

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(shown("ab"), "\"ab\"");
        assert!(shown(&"x".repeat(500)).ends_with("\"…"));
    }
}
