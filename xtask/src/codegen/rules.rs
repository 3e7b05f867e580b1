//! The spec's rules that the generated types do not enforce, or that the
//! runtime needs in words, as the two generated files of the internal crate
//! `mrs-iam-sync-rules`, which the client and the loopback server share:
//! `crates/mrs-iam-sync-rules/src/rules.rs` and, for the path parameters,
//! `crates/mrs-iam-sync-rules/src/params.rs`.
//!
//! From the spec it takes each path parameter's pattern and length bounds
//! (with a one-line rule text made from them) and the parameter's Rust type
//! (a validating newtype, used by the generated client in place of
//! typify's: `params.rs`), each request body's
//! constraints (`maxItems`, `minItems`, and the length bounds and pattern of
//! strings and of list items) as a table of field rules applied to the body
//! as JSON, and the table of operations (method, path, success status,
//! whether a body is taken, its rules), with `check_request_body`, which the
//! client's `pre` hook applies to every body the generated builders send.
//! A constraint this generator cannot turn into a check fails the
//! generation: a rule in the spec is never silently left unchecked.
//! Patterns are compiled here to DFA tables ([`crate::codegen::pattern`]), emitted
//! once per pattern as a `static` beside the rules that use them: the client
//! and the server walk the table, without a regex engine (typify's
//! newtypes would pull in `regress`, the largest crate of a dependant's
//! build).

use anyhow::{Result, anyhow, bail};
use heck::ToSnakeCase as _;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::codegen::pattern;
use crate::codegen::spec::{METHODS, Spec, resolve};

/// Generates the path parameters' module (without the file header): each
/// parameter's rule and its validating newtype. The client crate keeps it
/// apart from the rules module, which needs the generated client's body
/// types, while the client needs these newtypes: no cycle between them.
pub fn render_param_tokens(spec: &Spec) -> Result<TokenStream> {
    let params = path_params(&operations(&spec.json)?)?;
    let mut tables = Tables::default();
    let param_items: Vec<TokenStream> = params.iter().map(|p| p.tokens(&mut tables)).collect();
    let param_tables = tables.tokens();
    let param_types = params.iter().map(PathParamRule::type_tokens);
    let param_refs = params.iter().map(|p| const_ident(&p.name));
    Ok(quote! {
        //! The path parameters: each one's rule, and its type, a newtype that
        //! holds a value only when it keeps the rule. The client's `types`
        //! module re-exports the types beside those progenitor generates
        //! (which use them by these names).

        use crate::constraint::{Dfa, InvalidValue, PathParam, Pattern};

        #(#param_items)*

        #param_tables

        /// Every path parameter of the spec, in the order they first appear.
        pub const PATH_PARAMS: &[&PathParam] = &[#(&#param_refs),*];

        /// The path parameters' types.
        pub mod types {
            use super::*;

            #(#param_types)*
        }
    })
}

/// Generates the rules module (without the file header).
pub fn render_tokens(spec: &Spec) -> Result<TokenStream> {
    let doc = &spec.json;
    let operations = operations(doc)?;
    let params = path_params(&operations)?;
    let param_refs = params.iter().map(|p| const_ident(&p.name));

    let op_variants: Vec<Ident> = operations.iter().map(|op| ident(&op.id)).collect();
    let op_entries = operations.iter().map(Operation::tokens);
    let op_docs = operations
        .iter()
        .map(|op| format!("{} `{}`.", op.method, op.path));

    let mut tables = Tables::default();
    let mut body_items = Vec::new();
    let mut seen_bodies = Vec::new();
    let mut body_fields: Vec<String> = Vec::new();
    for op in &operations {
        if let Some(body) = &op.body
            && !seen_bodies.contains(&body.schema)
        {
            seen_bodies.push(body.schema.clone());
            let (items, fields) = body_rules(doc, &body.schema, &mut tables)?;
            body_items.push(items);
            for field in fields {
                if !body_fields.contains(&field) {
                    body_fields.push(field);
                }
            }
        }
    }
    let body_tables = tables.tokens();
    // The generated client names each operation by progenitor's snake_case
    // of its `operationId` (`OperationInfo::operation_id`).
    let body_arms = operations.iter().filter_map(|op| {
        let body = op.body.as_ref()?;
        let client_name = op.id.to_snake_case();
        let rules = const_ident(&body.schema);
        Some(quote! {
            #client_name => #rules.check_json(body),
        })
    });

    Ok(quote! {
        use crate::constraint::{
            self, BodyRules, BodyUse, Dfa, FieldRule, InvalidValue, ListRule, Pattern, StringRule,
        };

        pub use crate::params::{PATH_PARAMS, #(#param_refs),*};

        /// The operations of the spec, by `operationId`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum OperationId {
            #(#[doc = #op_docs] #op_variants,)*
        }

        /// One operation of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Operation {
            /// The operation, as an enum.
            pub id: OperationId,
            /// Its `operationId`.
            pub name: &'static str,
            /// The HTTP method, upper-case.
            pub method: &'static str,
            /// The path template.
            pub path: &'static str,
            /// The status of a success.
            pub success_status: u16,
            /// Whether it takes a request body.
            pub body: BodyUse,
            /// The rules of its request body, if it takes one.
            pub body_rules: Option<&'static BodyRules>,
        }

        impl Operation {
            /// The raw (still percent-encoded) value of each path parameter
            /// of `path`, or `None` when `path` is not this operation's.
            pub fn match_path<'a>(&self, path: &'a str) -> Option<Vec<(&'static str, &'a str)>> {
                constraint::match_path(self.path, path)
            }
        }

        #(#body_items)*

        /// Every operation of the spec, in document order.
        pub const OPERATIONS: &[Operation] = &[#(#op_entries),*];

        /// Every field of a request body that has a rule, by its name in the spec.
        pub const BODY_FIELDS: &[&str] = &[#(#body_fields),*];

        /// Checks the JSON body the generated client is about to send for the
        /// operation it calls `operation` (`OperationInfo::operation_id`)
        /// against the spec's rules of that body. Operations without a body pass.
        pub fn check_request_body(operation: &str, body: &[u8]) -> Result<(), InvalidValue> {
            match operation {
                #(#body_arms)*
                _ => Ok(()),
            }
        }

        #body_tables
    })
}

/// One operation, as the rules module describes it.
struct Operation {
    id: String,
    method: String,
    path: String,
    success: u16,
    params: Vec<Param>,
    body: Option<Body>,
}

/// A path parameter: its name, its schema, and the component schema it
/// refers to (the name of its Rust type).
struct Param {
    name: String,
    schema: Value,
    type_name: Option<String>,
}

struct Body {
    schema: String,
    required: bool,
}

impl Operation {
    fn tokens(&self) -> TokenStream {
        let Operation {
            id,
            method,
            path,
            success,
            ..
        } = self;
        let variant = ident(id);
        let body = match &self.body {
            None => quote!(BodyUse::None),
            Some(Body { required: true, .. }) => quote!(BodyUse::Required),
            Some(Body {
                required: false, ..
            }) => quote!(BodyUse::Optional),
        };
        let body_rules = match &self.body {
            None => quote!(None),
            Some(Body { schema, .. }) => {
                let rules = const_ident(schema);
                quote!(Some(&#rules))
            }
        };
        quote! {
            Operation {
                id: OperationId::#variant,
                name: #id,
                method: #method,
                path: #path,
                success_status: #success,
                body: #body,
                body_rules: #body_rules,
            }
        }
    }
}

fn operations(doc: &Value) -> Result<Vec<Operation>> {
    let mut found = Vec::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (template, item) in paths.into_iter().flatten() {
        if template.starts_with("x-") {
            continue;
        }
        let item = resolve(doc, item).value;
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let at = format!("paths.{template}.{method}");
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("at `{at}`: no operationId"))?;
            let mut params = Vec::new();
            let shared = item.get("parameters").and_then(Value::as_array);
            let own = operation.get("parameters").and_then(Value::as_array);
            for param in own
                .into_iter()
                .flatten()
                .chain(shared.into_iter().flatten())
            {
                let param = resolve(doc, param).value;
                match param.get("in").and_then(Value::as_str) {
                    Some("path") => {}
                    Some(other) => bail!(
                        "at `{at}`: {other} parameters are not supported by the rules generator"
                    ),
                    None => continue,
                }
                let name = param
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("at `{at}`: a path parameter without a name"))?;
                let schema = param
                    .get("schema")
                    .map(|s| resolve(doc, s))
                    .ok_or_else(|| anyhow!("at `{at}`: path parameter `{name}` has no schema"))?;
                if !params.iter().any(|param: &Param| param.name == name) {
                    params.push(Param {
                        name: name.to_owned(),
                        schema: schema.value.clone(),
                        type_name: schema
                            .reference
                            .and_then(|r| r.strip_prefix("#/components/schemas/"))
                            .map(str::to_owned),
                    });
                }
            }
            let success = success_status(operation)
                .ok_or_else(|| anyhow!("at `{at}.responses`: no 2XX status declared"))?;
            let body = match operation.get("requestBody").map(|b| resolve(doc, b).value) {
                None => None,
                Some(body) => {
                    let schema = body
                        .pointer("/content/application~1json/schema/$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .ok_or_else(|| {
                            anyhow!(
                                "at `{at}.requestBody`: the body must be `application/json` \
                                 with a `$ref` to a component schema"
                            )
                        })?;
                    Some(Body {
                        schema: schema.to_owned(),
                        required: body.get("required").and_then(Value::as_bool) == Some(true),
                    })
                }
            };
            found.push(Operation {
                id: id.to_owned(),
                method: method.to_uppercase(),
                path: template.clone(),
                success,
                params,
                body,
            });
        }
    }
    Ok(found)
}

/// The lowest 2XX status of an operation's responses.
fn success_status(operation: &Value) -> Option<u16> {
    operation
        .get("responses")?
        .as_object()?
        .keys()
        .filter_map(|status| status.parse::<u16>().ok())
        .filter(|status| (200..300).contains(status))
        .min()
}

/// A path parameter's rule.
struct PathParamRule {
    name: String,
    /// The Rust type of the parameter: the component schema's name.
    type_name: String,
    /// What the schema says of the type.
    description: Option<String>,
    bounds: Bounds,
    pattern: CompiledPattern,
    text: String,
}

impl PathParamRule {
    /// The rule's constant.
    fn tokens(&self, tables: &mut Tables) -> TokenStream {
        let PathParamRule { name, text, .. } = self;
        let konst = const_ident(name);
        let min = self.bounds.min;
        let max = option_tokens(self.bounds.max);
        let pattern = tables.pattern(&konst.to_string(), &self.pattern);
        let doc = format!("The rule of the path parameter `{name}`: it {text}.");
        quote! {
            #[doc = #doc]
            pub const #konst: PathParam = PathParam {
                name: #name,
                min_length: #min,
                max_length: #max,
                pattern: #pattern,
                text: #text,
            };
        }
    }

    /// The validating newtype of the parameter: the
    /// same surface as typify's newtypes (which would check the pattern
    /// with a regex engine), checked by the rule's constant.
    fn type_tokens(&self) -> TokenStream {
        let ty = ident(&self.type_name);
        let konst = const_ident(&self.name);
        let doc = match &self.description {
            Some(description) => description.clone(),
            None => format!("A value of the path parameter `{}`.", self.name),
        };
        quote! {
            #[doc = #doc]
            #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
            #[derive(::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
            #[serde(transparent)]
            pub struct #ty(::std::string::String);
            impl ::std::ops::Deref for #ty {
                type Target = ::std::string::String;
                fn deref(&self) -> &::std::string::String {
                    &self.0
                }
            }
            impl ::std::convert::From<#ty> for ::std::string::String {
                fn from(value: #ty) -> Self {
                    value.0
                }
            }
            impl ::std::str::FromStr for #ty {
                type Err = InvalidValue;
                fn from_str(value: &str) -> ::std::result::Result<Self, InvalidValue> {
                    #konst.check(value)?;
                    Ok(Self(value.to_owned()))
                }
            }
            impl ::std::convert::TryFrom<&str> for #ty {
                type Error = InvalidValue;
                fn try_from(value: &str) -> ::std::result::Result<Self, InvalidValue> {
                    value.parse()
                }
            }
            impl ::std::convert::TryFrom<::std::string::String> for #ty {
                type Error = InvalidValue;
                fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, InvalidValue> {
                    #konst.check(&value)?;
                    Ok(Self(value))
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #ty {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    let value = ::std::string::String::deserialize(deserializer)?;
                    Self::try_from(value)
                        .map_err(|e| <D::Error as ::serde::de::Error>::custom(e))
                }
            }
        }
    }
}

/// The component schemas that path parameters refer to, when `params.rs`
/// can be generated with their types: progenitor is told to use those
/// instead of its own. A spec whose path parameters the generator refuses
/// (spec review generates a client of any spec progenitor takes) keeps
/// progenitor's types.
pub fn path_param_types(spec: &Spec) -> Vec<String> {
    operations(&spec.json)
        .and_then(|operations| path_params(&operations))
        .map(|rules| rules.into_iter().map(|rule| rule.type_name).collect())
        .unwrap_or_default()
}

fn path_params(operations: &[Operation]) -> Result<Vec<PathParamRule>> {
    let mut rules: Vec<PathParamRule> = Vec::new();
    for op in operations {
        for Param {
            name,
            schema,
            type_name,
        } in &op.params
        {
            if rules.iter().any(|rule| &rule.name == name) {
                continue;
            }
            let at = format!("path parameter `{name}`");
            let type_name = type_name.clone().ok_or_else(|| {
                anyhow!(
                    "{at}: the schema must be a `$ref` to a component schema \
                     (the name of the parameter's Rust type)"
                )
            })?;
            if schema.get("type").and_then(Value::as_str) != Some("string") {
                bail!("{at}: the rules generator supports string path parameters only");
            }
            let pattern = schema
                .get("pattern")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    anyhow!("{at}: a path parameter needs a `pattern` (what may go in a URL)")
                })?;
            let pattern = CompiledPattern::new(
                &format!("{at} (schema `components.schemas.{type_name}`)"),
                pattern,
            )?;
            let declared = Bounds {
                min: usize_of(schema, "minLength")?.unwrap_or(0),
                max: usize_of(schema, "maxLength")?,
            };
            let (bounds, words) = pattern.words(declared);
            rules.push(PathParamRule {
                name: name.clone(),
                type_name,
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                bounds,
                pattern,
                text: format!("must be {words}"),
            });
        }
    }
    for (i, rule) in rules.iter().enumerate() {
        if let Some(other) = rules[..i].iter().find(|o| o.type_name == rule.type_name) {
            bail!(
                "path parameters `{}` and `{}` share the schema `{}`: give each its own",
                other.name,
                rule.name,
                rule.type_name
            );
        }
    }
    Ok(rules)
}

/// A pattern of the spec, compiled to its DFA, and described in words when
/// it has the simple form `^[class]{min,max}$`.
struct CompiledPattern {
    source: String,
    class: Option<CharClass>,
    dfa: pattern::Dfa,
}

impl CompiledPattern {
    /// Compiles the pattern found at `at`; the error names the place, the
    /// pattern and the reason.
    fn new(at: &str, source: &str) -> Result<CompiledPattern> {
        let dfa = pattern::compile(source).map_err(|reason| {
            anyhow!("at `{at}`: the pattern `{source}` cannot be generated: {reason}")
        })?;
        Ok(CompiledPattern {
            source: source.to_owned(),
            class: CharClass::parse(source),
            dfa,
        })
    }

    /// The length bounds (the declared ones, tightened by a simple
    /// pattern's quantifier) and the rule in words, a sentence tail after
    /// "must be": "1 to 64 ASCII letters or digits", "36 characters
    /// matching the pattern ^[0-9a-f-]+$".
    fn words(&self, declared: Bounds) -> (Bounds, String) {
        match &self.class {
            Some(class) => {
                let bounds = declared.intersect(class.bounds);
                (bounds, format!("{} {}", bounds.count_words(), class.words))
            }
            None => (
                declared,
                format!(
                    "{} matching the pattern {}",
                    declared.length_words(),
                    self.source
                ),
            ),
        }
    }
}

/// The DFA tables of one generated file: each pattern once, as a `static`
/// named after the first rule that uses it.
#[derive(Default)]
struct Tables {
    emitted: Vec<(String, Ident, pattern::Dfa)>,
}

impl Tables {
    /// A `Pattern` expression for `compiled`, its table registered under
    /// `<rule>_PATTERN` unless an earlier rule has the same pattern.
    fn pattern(&mut self, rule: &str, compiled: &CompiledPattern) -> TokenStream {
        let source = &compiled.source;
        let ident = match self.emitted.iter().find(|(known, _, _)| known == source) {
            Some((_, ident, _)) => ident.clone(),
            None => {
                let ident = const_ident(&format!("{rule}_PATTERN"));
                self.emitted
                    .push((source.clone(), ident.clone(), compiled.dfa.clone()));
                ident
            }
        };
        quote!(Pattern { source: #source, dfa: &#ident })
    }

    /// The `static` tables.
    fn tokens(&self) -> TokenStream {
        let tables = self.emitted.iter().map(|(source, ident, dfa)| {
            let doc = format!(
                "The pattern `{source}` as a DFA ({} states, {} byte classes; \
                 `cargo xtask generate`).",
                dfa.states(),
                dfa.class_count
            );
            let classes = dfa.classes.iter().map(|&c| Literal::u8_unsuffixed(c));
            let class_count = dfa.class_count;
            // Each target as the index of its row (the matcher's step is an
            // addition): it fits `u16`, the table being at most
            // `MAX_TABLE_BYTES` of `u16`s.
            let next = dfa.next.iter().map(|&n| {
                let at = usize::from(n) * class_count;
                Literal::u16_unsuffixed(u16::try_from(at).expect("a table within the bound"))
            });
            let accepting = &dfa.accepting;
            quote! {
                #[doc = #doc]
                static #ident: Dfa = Dfa {
                    classes: &[#(#classes),*],
                    class_count: #class_count,
                    next: &[#(#next),*],
                    accepting: &[#(#accepting),*],
                };
            }
        });
        quote!(#(#tables)*)
    }
}

/// Length bounds (characters) or item-count bounds.
#[derive(Clone, Copy)]
struct Bounds {
    min: usize,
    max: Option<usize>,
}

impl Bounds {
    fn intersect(self, other: Bounds) -> Bounds {
        Bounds {
            min: self.min.max(other.min),
            max: match (self.max, other.max) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }

    /// "1 to 64", "at least 1", "at most 64", "exactly 32", "any number of".
    fn count_words(self) -> String {
        match (self.min, self.max) {
            (min, Some(max)) if min == max => format!("exactly {max}"),
            (0, Some(max)) => format!("at most {max}"),
            (min, Some(max)) => format!("{min} to {max}"),
            (0, None) => "any number of".to_owned(),
            (min, None) => format!("at least {min}"),
        }
    }

    /// As [`Bounds::count_words`], for characters of any kind.
    fn length_words(self) -> String {
        match (self.min, self.max) {
            (1, None) => "a non-empty string".to_owned(),
            (0, None) => "any string".to_owned(),
            _ => format!("{} characters", self.count_words()),
        }
    }
}

/// A pattern of the form `^[class]{min,max}$` (or `+`, `*`, `{n}`): the
/// class in words, and the length the quantifier allows.
struct CharClass {
    words: String,
    bounds: Bounds,
}

impl CharClass {
    fn parse(pattern: &str) -> Option<CharClass> {
        let body = pattern.strip_prefix("^[")?.strip_suffix('$')?;
        let (class, quantifier) = body.split_once(']')?;
        if class.is_empty() || class.starts_with('^') || class.contains(['\\', '[']) {
            return None;
        }
        let bounds = match quantifier {
            "+" => Bounds { min: 1, max: None },
            "*" => Bounds { min: 0, max: None },
            q => {
                let inner = q.strip_prefix('{')?.strip_suffix('}')?;
                match inner.split_once(',') {
                    None => {
                        let n = inner.parse().ok()?;
                        Bounds {
                            min: n,
                            max: Some(n),
                        }
                    }
                    Some((min, "")) => Bounds {
                        min: min.parse().ok()?,
                        max: None,
                    },
                    Some((min, max)) => Bounds {
                        min: min.parse().ok()?,
                        max: Some(max.parse().ok()?),
                    },
                }
            }
        };
        let chars: Vec<char> = class.chars().collect();
        let mut parts: Vec<String> = Vec::new();
        let (mut upper, mut lower) = (false, false);
        let mut i = 0;
        while i < chars.len() {
            if i + 2 < chars.len() && chars[i + 1] == '-' {
                if chars[i] > chars[i + 2] {
                    return None;
                }
                match (chars[i], chars[i + 2]) {
                    ('A', 'Z') => upper = true,
                    ('a', 'z') => lower = true,
                    ('0', '9') => parts.push("digits".to_owned()),
                    (from, to) => parts.push(format!("'{from}' to '{to}'")),
                }
                i += 3;
            } else {
                parts.push(format!("'{}'", chars[i]));
                i += 1;
            }
        }
        let letters = match (upper, lower) {
            (true, true) => Some("ASCII letters"),
            (true, false) => Some("upper-case ASCII letters"),
            (false, true) => Some("lower-case ASCII letters"),
            (false, false) => None,
        };
        if let Some(letters) = letters {
            parts.insert(0, letters.to_owned());
        }
        let words = match parts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => return None,
        };
        Some(CharClass { words, bounds })
    }
}

/// The rule constants of one request body schema (one per constrained
/// property, and the schema's [`BodyRules`] table listing them), and the
/// names of the fields it checks.
fn body_rules(
    doc: &Value,
    schema_name: &str,
    tables: &mut Tables,
) -> Result<(TokenStream, Vec<String>)> {
    let at = format!("components.schemas.{schema_name}");
    let schema = doc
        .pointer(&format!("/components/schemas/{schema_name}"))
        .map(|s| resolve(doc, s).value)
        .ok_or_else(|| anyhow!("at `{at}`: no such schema"))?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        bail!("at `{at}`: a request body must be an object");
    }
    refuse_unchecked(schema, &at, &["properties", "required"])?;
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut items = Vec::new();
    let mut checks = Vec::new();
    let mut fields = Vec::new();
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        let property = resolve(doc, property).value;
        let at = format!("{at}.properties.{name}");
        let konst = const_ident(&format!("{schema_name}_{name}"));
        match property.get("type").and_then(Value::as_str) {
            Some("array") => {
                refuse_unchecked(property, &at, &["items", "minItems", "maxItems"])?;
                let count = Bounds {
                    min: usize_of(property, "minItems")?.unwrap_or(0),
                    max: usize_of(property, "maxItems")?,
                };
                let item_schema = property
                    .get("items")
                    .map(|s| resolve(doc, s))
                    .ok_or_else(|| anyhow!("at `{at}`: an array needs `items`"))?;
                // The error names the schema the items refer to as well.
                let item_at = match item_schema.reference {
                    Some(reference) => format!("{at}.items ({reference})"),
                    None => format!("{at}.items"),
                };
                let item = string_rule(item_schema.value, &item_at)?;
                if count.min == 0 && count.max.is_none() && item.is_none() {
                    continue;
                }
                let item = item.unwrap_or(StringRule::ANY);
                let mut text = if count.min == 0 && count.max.is_none() {
                    String::new()
                } else {
                    format!("{} items", count.count_words())
                };
                if !item.is_any() {
                    if !text.is_empty() {
                        text.push_str(", ");
                    }
                    text.push_str(&format!("each {}", item.text));
                }
                let doc_line = format!("`{schema_name}.{name}`: {text}.");
                let min_items = count.min;
                let max_items = option_tokens(count.max);
                let item_tokens = item.tokens(tables, &konst);
                items.push(quote! {
                    #[doc = #doc_line]
                    pub const #konst: ListRule = ListRule {
                        field: #name,
                        min_items: #min_items,
                        max_items: #max_items,
                        item: #item_tokens,
                        text: #text,
                    };
                });
                let required = required.contains(&name.as_str());
                checks.push(quote!(FieldRule::List { required: #required, rule: &#konst }));
                fields.push(name.clone());
            }
            Some("string") => {
                let Some(rule) = string_rule(property, &at)? else {
                    continue;
                };
                let doc_line = format!("`{schema_name}.{name}`: {}.", rule.text);
                let rule_tokens = rule.tokens(tables, &konst);
                items.push(quote! {
                    #[doc = #doc_line]
                    pub const #konst: StringRule = #rule_tokens;
                });
                fields.push(name.clone());
                let required = required.contains(&name.as_str());
                checks.push(quote! {
                    FieldRule::Text { field: #name, required: #required, rule: &#konst }
                });
            }
            Some("boolean") => refuse_unchecked(property, &at, &[])?,
            _ => bail!(
                "at `{at}`: the rules generator knows arrays of strings, strings and booleans \
                 in request bodies; teach xtask/src/codegen/rules.rs this one"
            ),
        }
    }
    let konst = const_ident(schema_name);
    let doc_line = format!("The rules of a `{schema_name}` body, one per constrained property.");
    let tokens = quote! {
        #(#items)*

        #[doc = #doc_line]
        pub const #konst: BodyRules = BodyRules {
            schema: #schema_name,
            fields: &[#(#checks),*],
        };
    };
    Ok((tokens, fields))
}

/// Keywords that constrain a value; a schema carrying one this generator
/// does not turn into a check is refused.
const CONSTRAINTS: [&str; 16] = [
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "enum",
    "minProperties",
    "maxProperties",
    "additionalProperties",
    "format",
];

fn refuse_unchecked(schema: &Value, at: &str, handled: &[&str]) -> Result<()> {
    for keyword in CONSTRAINTS {
        if schema.get(keyword).is_some() && !handled.contains(&keyword) {
            bail!(
                "at `{at}`: `{keyword}` is not checked by the generated rules; \
                 teach xtask/src/codegen/rules.rs to check it"
            );
        }
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        bail!("at `{at}`: `nullable` request fields are not supported by the rules generator");
    }
    Ok(())
}

/// A string's constraints; `None` when there are none.
struct StringRule {
    bounds: Bounds,
    pattern: Option<CompiledPattern>,
    text: String,
}

impl StringRule {
    const ANY: StringRule = StringRule {
        bounds: Bounds { min: 0, max: None },
        pattern: None,
        text: String::new(),
    };

    fn is_any(&self) -> bool {
        self.bounds.min == 0 && self.bounds.max.is_none() && self.pattern.is_none()
    }

    /// The rule as an expression; its pattern's table goes to `tables`
    /// under the name of `rule`, the constant that holds it.
    fn tokens(&self, tables: &mut Tables, rule: &Ident) -> TokenStream {
        let min = self.bounds.min;
        let max = option_tokens(self.bounds.max);
        let pattern = match &self.pattern {
            Some(compiled) => {
                let pattern = tables.pattern(&rule.to_string(), compiled);
                quote!(Some(#pattern))
            }
            None => quote!(None),
        };
        let text = &self.text;
        quote! {
            StringRule {
                min_length: #min,
                max_length: #max,
                pattern: #pattern,
                text: #text,
            }
        }
    }
}

fn string_rule(schema: &Value, at: &str) -> Result<Option<StringRule>> {
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        bail!("at `{at}`: the rules generator knows lists of strings only");
    }
    // `enum` needs no check here: typify makes the value a Rust enum, which
    // cannot hold anything else (and the server's typed decode refuses it).
    refuse_unchecked(schema, at, &["minLength", "maxLength", "pattern", "enum"])?;
    let declared = Bounds {
        min: usize_of(schema, "minLength")?.unwrap_or(0),
        max: usize_of(schema, "maxLength")?,
    };
    let pattern = match schema.get("pattern").and_then(Value::as_str) {
        None => None,
        Some(source) => Some(CompiledPattern::new(at, source)?),
    };
    let (bounds, text) = match &pattern {
        Some(pattern) => pattern.words(declared),
        None => (declared, declared.length_words()),
    };
    let rule = StringRule {
        bounds,
        pattern,
        text,
    };
    Ok((!rule.is_any()).then_some(rule))
}

fn usize_of(schema: &Value, keyword: &str) -> Result<Option<usize>> {
    match schema.get(keyword) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| anyhow!("`{keyword}` must be a non-negative integer, not {value}")),
    }
}

fn option_tokens(value: Option<usize>) -> TokenStream {
    match value {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

/// `project_id` → `PROJECT_ID`, `CancelSyncIamUserRequest_user_names` →
/// `CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES`.
fn const_ident(name: &str) -> Ident {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        });
    }
    Ident::new(&out, Span::call_site())
}

/// A schema or operation name as a type or variant name.
fn ident(name: &str) -> Ident {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Ident::new(&cleaned, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_classes_in_words() {
        let class = CharClass::parse("^[A-Za-z0-9_-]{1,64}$").unwrap();
        assert_eq!(class.words, "ASCII letters, digits, '_' or '-'");
        assert_eq!((class.bounds.min, class.bounds.max), (1, Some(64)));
        let class = CharClass::parse("^[A-Za-z0-9]{1,64}$").unwrap();
        assert_eq!(class.words, "ASCII letters or digits");
        let class = CharClass::parse("^[a-f0-9]{32}$").unwrap();
        assert_eq!(class.words, "'a' to 'f' or digits");
        assert_eq!(class.bounds.max, Some(32));
        assert_eq!(CharClass::parse("^[a-z]+$").unwrap().bounds.min, 1);
        for not_a_class in [
            "^a+$",
            "[a-z]+",
            "^[^a]+$",
            "^[\\w]+$",
            "^[a-z]{1,x}$",
            "^[z-a]+$",
        ] {
            assert!(CharClass::parse(not_a_class).is_none(), "{not_a_class}");
        }
    }

    #[test]
    fn bounds_in_words() {
        let words = |min, max| Bounds { min, max }.count_words();
        assert_eq!(words(1, Some(64)), "1 to 64");
        assert_eq!(words(0, Some(1000)), "at most 1000");
        assert_eq!(words(32, Some(32)), "exactly 32");
        assert_eq!(words(1, None), "at least 1");
        assert_eq!(
            Bounds { min: 1, max: None }.length_words(),
            "a non-empty string"
        );
    }

    #[test]
    fn the_tighter_of_pattern_and_length_wins() {
        let declared = Bounds {
            min: 1,
            max: Some(36),
        };
        let pattern = Bounds {
            min: 1,
            max: Some(64),
        };
        assert_eq!(declared.intersect(pattern).max, Some(36));
        assert_eq!(pattern.intersect(declared).max, Some(36));
    }

    #[test]
    fn names() {
        assert_eq!(const_ident("project_id").to_string(), "PROJECT_ID");
        assert_eq!(
            const_ident("CancelSyncIamUserRequest_user_names").to_string(),
            "CANCEL_SYNC_IAM_USER_REQUEST_USER_NAMES"
        );
    }
}
