//! The rule table: every rule id `spec-diff` can emit, with its level.
//!
//! Ids follow oasdiff's names where one fits. Schema rules are a family:
//! the id is a place prefix (`request-parameter`, `request-body`,
//! `request-property`, `response-body`, `response-property`) followed by a
//! suffix (`max-length-decreased`, ...); the level depends on which side of
//! the exchange the schema is on. The levels are judged for a *generated Rust
//! client*: a change that only breaks the Rust API (a closed enum gaining a
//! variant, a renamed method) counts as breaking.

use super::Level::{self, Breaking, Info, Warn};

/// One rule of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub level: Level,
    pub about: String,
}

/// Rules that belong to one kind of place.
const FIXED: &[(&str, Level, &str)] = &[
    (
        "api-removed-without-deprecation",
        Breaking,
        "an operation was removed: its `Client` method and builder disappear",
    ),
    (
        "api-removed-with-deprecation",
        Breaking,
        "a deprecated operation was removed: the `Client` method still disappears",
    ),
    (
        "api-operation-id-updated",
        Breaking,
        "same method and path, new operationId: the `Client` method and builder are renamed",
    ),
    (
        "endpoint-added",
        Info,
        "a new operation: a new `Client` method",
    ),
    (
        "endpoint-deprecated",
        Info,
        "an operation became deprecated",
    ),
    (
        "endpoint-reactivated",
        Info,
        "an operation is no longer deprecated",
    ),
    (
        "new-required-request-parameter",
        Breaking,
        "a new required parameter: existing calls miss it",
    ),
    (
        "new-optional-request-parameter",
        Info,
        "a new optional parameter: a new builder method",
    ),
    (
        "request-parameter-removed",
        Breaking,
        "a parameter was removed: its builder method disappears",
    ),
    (
        "request-parameter-became-required",
        Breaking,
        "a parameter became required",
    ),
    (
        "request-parameter-became-optional",
        Info,
        "a parameter became optional",
    ),
    (
        "request-body-added-required",
        Breaking,
        "a required request body was added",
    ),
    (
        "request-body-added-optional",
        Info,
        "an optional request body was added",
    ),
    (
        "request-body-removed",
        Breaking,
        "the request body was removed: the `body` builder method disappears",
    ),
    (
        "request-body-became-required",
        Breaking,
        "the request body became required",
    ),
    (
        "request-body-became-optional",
        Info,
        "the request body became optional",
    ),
    (
        "request-body-media-type-added",
        Info,
        "the request body accepts a new media type",
    ),
    (
        "request-body-media-type-removed",
        Breaking,
        "the request body no longer accepts a media type",
    ),
    (
        "new-required-request-property",
        Breaking,
        "a new required request property: existing requests miss it, struct literals break",
    ),
    (
        "new-optional-request-property",
        Info,
        "a new optional request property: wire-compatible (an old client leaves it out); the request struct gains a pub field, which the Rust API rules rate (`rust-field-added-to-exhaustive-struct`)",
    ),
    (
        "request-property-removed",
        Breaking,
        "a request property was removed: its struct field disappears",
    ),
    (
        "request-property-became-required",
        Breaking,
        "a request property became required",
    ),
    (
        "request-property-became-optional",
        Warn,
        "a request property became optional: wire-compatible, the Rust field type may change (`T` to `Option<T>`)",
    ),
    (
        "response-required-property-added",
        Warn,
        "a new required response property: servers that do not send it yet fail deserialization",
    ),
    (
        "response-optional-property-added",
        Info,
        "a new optional response property: deserialization is unaffected; the response struct, `#[non_exhaustive]`, gains a pub field that breaks no caller (`rust-field-added`)",
    ),
    (
        "response-required-property-removed",
        Breaking,
        "a required response property was removed: deserialization fails, the field disappears",
    ),
    (
        "response-optional-property-removed",
        Breaking,
        "an optional response property was removed: its struct field disappears",
    ),
    (
        "response-property-became-optional",
        Breaking,
        "a response property became optional: a response without it fails deserialization in the old client; the field becomes `Option`",
    ),
    (
        "response-property-became-required",
        Warn,
        "a response property became required: the Rust field type may change (`Option<T>` to `T`)",
    ),
    (
        "response-success-status-added",
        Warn,
        "a new success status: the old client sees an unexpected response",
    ),
    (
        "response-success-status-removed",
        Breaking,
        "a success status was removed",
    ),
    (
        "response-non-success-status-added",
        Info,
        "a new error status",
    ),
    (
        "response-non-success-status-removed",
        Warn,
        "an error status was removed",
    ),
    (
        "response-media-type-added",
        Info,
        "a response has a new media type",
    ),
    (
        "response-media-type-removed",
        Breaking,
        "a response lost a media type",
    ),
    (
        "schema-ref-target-changed",
        Warn,
        "a `$ref` now points at another component: the generated Rust type changes name (the Rust API rules rate the rename)",
    ),
    (
        "required-response-header-removed",
        Breaking,
        "a required response header was removed: clients that read it find nothing",
    ),
    (
        "optional-response-header-removed",
        Warn,
        "an optional response header was removed: clients that use it when present lose it",
    ),
    (
        "response-header-became-optional",
        Breaking,
        "a response header may now be missing: clients that count on it find nothing",
    ),
    (
        "response-header-became-required",
        Info,
        "a response header is now always sent",
    ),
    ("response-header-added", Info, "a response has a new header"),
    (
        "api-security-component-removed",
        Breaking,
        "a security scheme was removed: clients that authenticate with it are refused",
    ),
    (
        "api-security-component-added",
        Info,
        "a new security scheme",
    ),
    (
        "api-security-component-type-changed",
        Breaking,
        "a security scheme changed kind (`apiKey`, `http`, `oauth2`, ...): clients send the wrong credentials",
    ),
    (
        "api-security-component-api-key-changed",
        Breaking,
        "an `apiKey` scheme moved (another header, query or cookie name, or place): clients send the key where it is no longer read",
    ),
    (
        "api-security-component-scheme-changed",
        Breaking,
        "an `http` scheme changed (`basic`, `bearer`, bearer format): clients send the wrong `Authorization`",
    ),
    (
        "api-security-removed",
        Breaking,
        "an operation no longer accepts a way of authenticating: clients that use it are refused",
    ),
    (
        "api-security-added",
        Info,
        "an operation accepts another way of authenticating, as an alternative",
    ),
    (
        "api-security-required",
        Breaking,
        "an operation that needed no authentication now needs some: existing calls send none",
    ),
    (
        "api-server-url-changed",
        Info,
        "the server URL changed: the client takes its endpoint from the region, not from the spec",
    ),
    ("api-server-added", Info, "a server was added"),
    (
        "api-server-removed",
        Info,
        "a server was removed: the client takes its endpoint from the region, not from the spec",
    ),
];

/// Rules of the generated Rust API: what a change of the public surface of
/// `mrs-iam-sync` does to code written against it. They count like the spec
/// rules (headline, exit code, `--fail-on`), so a break that no wire rule
/// sees still fails the review. Removed or changed items break callers;
/// added ones do not.
const RUST: &[(&str, Level, &str)] = &[
    (
        "rust-type-removed",
        Breaking,
        "a public type disappears: code that names it stops compiling",
    ),
    (
        "rust-type-changed",
        Breaking,
        "a public type changed shape (struct and enum, a newtype over another type): its uses stop compiling",
    ),
    ("rust-type-added", Info, "a new public type"),
    (
        "rust-field-removed",
        Breaking,
        "a pub field disappears: code that reads, sets or names it stops compiling",
    ),
    (
        "rust-field-changed",
        Breaking,
        "a pub field changed type: code that reads or sets it stops compiling",
    ),
    (
        "rust-field-added",
        Info,
        "a new pub field of a struct callers cannot build with a literal (`#[non_exhaustive]`, as every response type is, or with private fields): nothing of theirs stops compiling",
    ),
    (
        "rust-field-added-to-exhaustive-struct",
        Breaking,
        "a new pub field of a struct callers can build with a literal (a request type): `T { a, b }` without `..` stops compiling (cargo-semver-checks: `constructible_struct_adds_field`); `T { a, ..Default::default() }` and the builders keep working",
    ),
    (
        "rust-variant-removed",
        Breaking,
        "an enum variant disappears: code that names it stops compiling",
    ),
    (
        "rust-variant-changed",
        Breaking,
        "an enum variant holds another type: patterns and constructors stop compiling",
    ),
    (
        "rust-variant-added",
        Info,
        "a new variant of a `#[non_exhaustive]` enum (every response type is): callers' matches already have a `_` arm",
    ),
    (
        "rust-variant-added-to-exhaustive-enum",
        Breaking,
        "a new variant of an exhaustive enum (a request type): `match` without `_` stops compiling (cargo-semver-checks: `enum_variant_added`)",
    ),
    (
        "rust-type-became-non-exhaustive",
        Breaking,
        "a type became `#[non_exhaustive]`: struct literals, and matches without `_`, stop compiling outside the crate (cargo-semver-checks: `struct_marked_non_exhaustive`, `enum_marked_non_exhaustive`)",
    ),
    (
        "rust-type-marked-non-exhaustive",
        Info,
        "a type callers could not build with a literal anyway (it has private fields, as typify's newtypes do) became `#[non_exhaustive]`: nothing of theirs changes",
    ),
    (
        "rust-type-became-exhaustive",
        Info,
        "a type is no longer `#[non_exhaustive]`: callers may now build or match it exhaustively",
    ),
    (
        "rust-method-removed",
        Breaking,
        "a pub method disappears: its calls stop compiling",
    ),
    (
        "rust-method-changed",
        Breaking,
        "a pub method's signature changed: its calls may stop compiling",
    ),
    ("rust-method-added", Info, "a new pub method"),
    (
        "rust-trait-impl-removed",
        Breaking,
        "an impl of a trait that cannot be derived (`From`, `TryFrom`, `FromStr`, `Deref`, `Display`, ...) disappears: conversions and calls through it stop compiling",
    ),
    (
        "rust-trait-added",
        Info,
        "a new trait impl, derived or written out",
    ),
];

/// Derivable traits of the generated types, each with the rule id of its
/// removal (derived or written out: switching between the two is no change)
/// and what stops compiling without it.
pub const DERIVES: &[(&str, &str, &str)] = &[
    (
        "Default",
        "rust-trait-default-removed",
        "`T::default()` and `..Default::default()` in struct literals stop compiling (typify drops `Default` when a property becomes required)",
    ),
    (
        "Clone",
        "rust-trait-clone-removed",
        "`.clone()` and `Clone` bounds stop compiling",
    ),
    (
        "Copy",
        "rust-trait-copy-removed",
        "values are moved instead of copied: later uses stop compiling",
    ),
    (
        "Debug",
        "rust-trait-debug-removed",
        "`{:?}`, `dbg!` and `.unwrap()` on results holding it stop compiling",
    ),
    (
        "PartialEq",
        "rust-trait-partial-eq-removed",
        "`==` and `assert_eq!` stop compiling",
    ),
    (
        "Eq",
        "rust-trait-eq-removed",
        "`HashMap`/`HashSet` keys and `Eq` bounds stop compiling",
    ),
    (
        "PartialOrd",
        "rust-trait-partial-ord-removed",
        "`<`, `>` and `partial_cmp` stop compiling",
    ),
    (
        "Ord",
        "rust-trait-ord-removed",
        "`.sort()`, `.max()` and `BTreeMap`/`BTreeSet` keys stop compiling",
    ),
    (
        "Hash",
        "rust-trait-hash-removed",
        "`HashMap`/`HashSet` keys stop compiling",
    ),
    (
        "Serialize",
        "rust-trait-serialize-removed",
        "`serde_json::to_string` and every other serializer stop compiling for it",
    ),
    (
        "Deserialize",
        "rust-trait-deserialize-removed",
        "`serde_json::from_str` and every other deserializer stop compiling for it",
    ),
    (
        "JsonSchema",
        "rust-trait-json-schema-removed",
        "`schemars::schema_for!` stops compiling for it",
    ),
];

/// The Rust API rules: the fixed ones, then one per derivable trait.
fn rust_rules() -> impl Iterator<Item = (&'static str, Level, &'static str)> {
    RUST.iter()
        .copied()
        .chain(DERIVES.iter().map(|(_, id, why)| (*id, Breaking, *why)))
}

/// Schema rules, by suffix: level on the request side (the client sends the
/// value: tightening breaks), level on the response side (the client reads
/// it: loosening may break, as progenitor's types validate and enums are
/// closed), and what it means.
const SCHEMA: &[(&str, Level, Level, &str)] = &[
    (
        "type-changed",
        Breaking,
        Breaking,
        "the type or format changed (the Rust type changes)",
    ),
    (
        "enum-value-added",
        Info,
        Breaking,
        "an enum value was added: in a response, the old client cannot decode the new value (its enum refuses what it does not know); on the request side the wire is unaffected and the Rust enum gains a variant, which the Rust API rules rate (`rust-variant-added-to-exhaustive-enum`)",
    ),
    (
        "enum-value-removed",
        Breaking,
        Breaking,
        "an enum value was removed: its Rust variant disappears",
    ),
    (
        "became-enum",
        Breaking,
        Breaking,
        "the value was restricted to a list of enum values: the Rust type becomes an enum",
    ),
    (
        "became-not-enum",
        Breaking,
        Breaking,
        "the enum restriction was dropped: the Rust type stops being an enum",
    ),
    (
        "pattern-added",
        Breaking,
        Info,
        "a pattern was added, which narrows what is allowed (the message shows a value it refuses): in a request, values callers send today may be refused, by the service and by the generated client's own check",
    ),
    (
        "pattern-narrowed",
        Breaking,
        Info,
        "the pattern accepts fewer values (decided by comparing the two as automata; the message shows a value accepted before and refused now): in a request, values callers send today may be refused",
    ),
    (
        "pattern-widened",
        Info,
        Breaking,
        "the pattern accepts more values (the message shows one refused before and accepted now): in a response, the old client's check refuses values the service may now send",
    ),
    (
        "pattern-incomparable",
        Breaking,
        Breaking,
        "the pattern accepts values it refused and refuses values it accepted (the message shows one of each): on either side, some values that worked stop working",
    ),
    (
        "pattern-rewritten",
        Info,
        Info,
        "the pattern was written differently but accepts exactly the same values",
    ),
    (
        "pattern-changed",
        Warn,
        Warn,
        "the pattern changed, and one of the two is not a regular expression the generator can compile (lookaround, backreferences, too large): whether it is wider or narrower cannot be decided",
    ),
    (
        "pattern-removed",
        Info,
        Breaking,
        "the pattern was removed, which widens what is allowed: in a response, the old client's check refuses values it no longer matches",
    ),
    (
        "became-nullable",
        Info,
        Breaking,
        "the value became nullable",
    ),
    (
        "became-not-nullable",
        Breaking,
        Info,
        "the value is no longer nullable",
    ),
    (
        "default-value-added",
        Info,
        Info,
        "a default value was added",
    ),
    (
        "default-value-changed",
        Warn,
        Info,
        "the default value changed: a request that omits the value now means something else",
    ),
    (
        "default-value-removed",
        Warn,
        Info,
        "the default value was removed",
    ),
    (
        "items-added",
        Breaking,
        Info,
        "the array items got a schema: requests with other items are refused; the Rust type goes from `Vec<Value>` to `Vec<T>`",
    ),
    (
        "items-removed",
        Info,
        Breaking,
        "the array items lost their schema: responses may hold anything, which the old `Vec<T>` refuses",
    ),
    (
        "one-of-added",
        Info,
        Breaking,
        "a `oneOf` alternative was added: in a response, the generated enum cannot deserialize the new shape",
    ),
    (
        "one-of-removed",
        Breaking,
        Info,
        "a `oneOf` alternative was removed: requests in that shape are refused",
    ),
    (
        "any-of-added",
        Info,
        Breaking,
        "an `anyOf` alternative was added: in a response, the generated type cannot deserialize the new shape",
    ),
    (
        "any-of-removed",
        Breaking,
        Info,
        "an `anyOf` alternative was removed: requests in that shape are refused",
    ),
    (
        "all-of-added",
        Breaking,
        Warn,
        "an `allOf` part was added: requests must satisfy it too; in a response, its required properties may not be sent yet",
    ),
    (
        "all-of-removed",
        Warn,
        Breaking,
        "an `allOf` part was removed: in a response, the properties it guaranteed may be missing",
    ),
];

/// Numeric constraints: keyword, rule name, whether it is an upper bound.
pub const BOUNDS: &[(&str, &str, bool)] = &[
    ("maxLength", "max-length", true),
    ("minLength", "min-length", false),
    ("maxItems", "max-items", true),
    ("minItems", "min-items", false),
    ("maximum", "max", true),
    ("minimum", "min", false),
];

/// Boolean constraints of OpenAPI 3.0: keyword, rule name.
pub const FLAGS: &[(&str, &str)] = &[
    ("exclusiveMaximum", "exclusive-max"),
    ("exclusiveMinimum", "exclusive-min"),
];

/// Place prefixes of the schema rules, and whether they are on the request side.
pub const PREFIXES: &[(&str, bool)] = &[
    ("request-parameter", true),
    ("request-body", true),
    ("request-property", true),
    ("response-body", false),
    ("response-property", false),
    ("response-header", false),
];

/// Level of a tightened constraint (accepts fewer values) on each side.
const TIGHTENED: (Level, Level) = (Breaking, Info);
/// Level of a loosened constraint (accepts more values) on each side: in a
/// response it is breaking, as in oasdiff. The generated types check what
/// they read: a string newtype refuses lengths outside its bounds, an
/// integer bound picks the Rust type (`minimum: 1` gives `NonZeroU32`,
/// `maximum: 255` gives `u8`), and a client may index what `minItems`
/// promised.
const LOOSENED: (Level, Level) = (Info, Breaking);

/// Why a tightened constraint breaks (on the request side).
const TIGHT: &str = ": requests valid before may be refused";
/// Why a loosened constraint breaks (on the response side).
const LOOSE: &str =
    ": in a response, the generated types still check the old bound and refuse the new values";

/// Every schema suffix with its (request, response) levels and meaning.
pub fn schema_suffixes() -> Vec<(String, Level, Level, String)> {
    let mut out: Vec<(String, Level, Level, String)> = SCHEMA
        .iter()
        .map(|(s, rq, rs, about)| (s.to_string(), *rq, *rs, about.to_string()))
        .collect();
    for (keyword, name, upper) in BOUNDS {
        let (narrower, wider) = if *upper {
            ("decreased", "increased")
        } else {
            ("increased", "decreased")
        };
        for (change, tight, about) in [
            ("set", true, format!("`{keyword}` was added{TIGHT}")),
            (
                narrower,
                true,
                format!("`{keyword}` was {narrower} (tightened){TIGHT}"),
            ),
            (
                wider,
                false,
                format!("`{keyword}` was {wider} (loosened){LOOSE}"),
            ),
            ("unset", false, format!("`{keyword}` was removed{LOOSE}")),
        ] {
            let (rq, rs) = if tight { TIGHTENED } else { LOOSENED };
            out.push((format!("{name}-{change}"), rq, rs, about));
        }
    }
    for (keyword, name) in FLAGS {
        let (rq, rs) = TIGHTENED;
        out.push((
            format!("{name}-set"),
            rq,
            rs,
            format!("`{keyword}` became true (tightened){TIGHT}"),
        ));
        let (rq, rs) = LOOSENED;
        out.push((
            format!("{name}-unset"),
            rq,
            rs,
            format!("`{keyword}` became false (loosened){LOOSE}"),
        ));
    }
    out
}

/// The whole table, in a stable order.
pub fn all() -> Vec<Rule> {
    let mut rules: Vec<Rule> = FIXED
        .iter()
        .map(|(id, level, about)| Rule {
            id: id.to_string(),
            level: *level,
            about: about.to_string(),
        })
        .collect();
    rules.extend(rust_rules().map(|(id, level, about)| Rule {
        id: id.to_string(),
        level,
        about: about.to_string(),
    }));
    let suffixes = schema_suffixes();
    for (prefix, request) in PREFIXES {
        for (suffix, rq, rs, about) in &suffixes {
            rules.push(Rule {
                id: format!("{prefix}-{suffix}"),
                level: if *request { *rq } else { *rs },
                about: about.clone(),
            });
        }
    }
    rules
}

/// The level of a rule id and what it says, if the table has it.
fn lookup(id: &str) -> Option<(Level, String)> {
    if let Some((_, level, about)) = FIXED
        .iter()
        .copied()
        .chain(rust_rules())
        .find(|(rule, _, _)| *rule == id)
    {
        return Some((level, about.to_string()));
    }
    let (prefix, request) = PREFIXES
        .iter()
        .find(|(p, _)| id.strip_prefix(p).is_some_and(|s| s.starts_with('-')))?;
    let suffix = &id[prefix.len() + 1..];
    schema_suffixes()
        .into_iter()
        .find(|(s, _, _, _)| s == suffix)
        .map(|(_, rq, rs, about)| (if *request { rq } else { rs }, about))
}

/// The level of a rule id, if the table has it.
pub fn level(id: &str) -> Option<Level> {
    lookup(id).map(|(level, _)| level)
}

/// What a rule says: what changed and why it breaks.
pub fn about(id: &str) -> Option<String> {
    lookup(id).map(|(_, about)| about)
}

/// The ids of the rules that belong to one kind of place, Rust API rules
/// included.
pub fn fixed_ids() -> Vec<&'static str> {
    FIXED
        .iter()
        .map(|(id, _, _)| *id)
        .chain(rust_rules().map(|(id, _, _)| id))
        .collect()
}

/// The table as markdown, for the docs (`cargo xtask spec-diff --rules`):
/// the rules of one kind of place, then the schema rule family.
pub fn markdown() -> String {
    let mut out = String::from("| rule | level | meaning |\n| --- | --- | --- |\n");
    for (id, level, about) in FIXED {
        out.push_str(&format!(
            "| `{id}` | {level} | {} |\n",
            about.replace('|', "\\|")
        ));
    }
    out.push_str(
        "\nRust API rules: the public surface of the generated client, read from both sides' \
         generated code (derived traits included).\n\n| rule | level | meaning |\n| --- | --- | --- |\n",
    );
    for (id, level, about) in rust_rules() {
        out.push_str(&format!(
            "| `{id}` | {level} | {} |\n",
            about.replace('|', "\\|")
        ));
    }
    out.push_str(
        "\nSchema rules: the id is a place prefix, `request-parameter-`, `request-body-` or \
         `request-property-` (request side), `response-body-` or `response-property-` \
         (response side), followed by the suffix below; for example \
         `request-parameter-max-length-decreased`, `response-property-enum-value-added`.\n\n\
         | suffix | request side | response side | meaning |\n| --- | --- | --- | --- |\n",
    );
    for (suffix, rq, rs, about) in schema_suffixes() {
        out.push_str(&format!(
            "| `{suffix}` | {rq} | {rs} | {} |\n",
            about.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        let rules = all();
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule ids");
        for rule in &rules {
            assert_eq!(level(&rule.id), Some(rule.level), "{}", rule.id);
        }
        assert_eq!(
            level("request-parameter-max-length-decreased"),
            Some(Breaking)
        );
        assert_eq!(
            level("response-property-max-length-increased"),
            Some(Breaking)
        );
        assert_eq!(level("response-header-type-changed"), Some(Breaking));
        assert_eq!(level("request-body-one-of-added"), Some(Info));
        assert_eq!(level("response-body-one-of-added"), Some(Breaking));
        assert_eq!(level("response-property-enum-value-added"), Some(Breaking));
        assert_eq!(level("no-such-rule"), None);
    }
}
