//! The public surface of the generated client, read with `syn`, and the
//! difference between two of them.
//!
//! The surface is a map from an item path to a one-line signature:
//! `types::SyncTaskAccepted` → `struct`, `types::SyncTaskAccepted.state` →
//! `String`, `types::ClusterId` → `struct(String)` (a newtype),
//! `types::Mode::Fast` → `variant`, `types::ClusterId impl TryFrom<&str>` →
//! `impl`, `Client::show_sync_iam_user` → its `fn` signature,
//! `builder::ShowSyncIamUser::project_id` → its signature (bounds included,
//! since they carry the accepted type).
//!
//! Derived traits are impls like written-out ones: `#[derive(Default)]` on
//! `types::A` gives `types::A impl Default`, the same key as `impl Default
//! for A`, so a switch between the two is no change, and a lost derive is a
//! removed impl with its own rule (see [`rules::DERIVES`]).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Fields, ImplItem, Item, Token, Visibility};

use super::Level;
use super::rules;

/// Item path → signature.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Surface(pub BTreeMap<String, String>);

/// One item of the surface that was added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub item: String,
    pub signature: String,
    /// The rule id (`rust-field-removed`, `rust-trait-default-removed`, ...).
    pub rule: String,
    pub level: Level,
    /// Items that mirror this one and changed with it: the builder method
    /// of a field, the builder of a type.
    pub also: Vec<String>,
}

/// One item whose signature changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub item: String,
    pub before: String,
    pub after: String,
    pub rule: String,
    pub level: Level,
    /// Items that mirror this one and changed with it.
    pub also: Vec<String>,
}

/// What changed in the public surface. Members of an added or removed type
/// (its fields, variants, methods and trait impls) are not listed again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApiDiff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub changed: Vec<Changed>,
}

impl ApiDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Whether code written against the old surface may stop compiling, by
    /// Rust's semver rules: an item was removed or changed, or one was
    /// added where callers could be exhaustive (a field of a struct they
    /// can build with a literal, a variant of an enum they can match
    /// without `_`), or a type became `#[non_exhaustive]`.
    pub fn is_breaking(&self) -> bool {
        self.levels().any(|level| level == Level::Breaking)
    }

    /// The levels of all its entries.
    pub fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        self.removed
            .iter()
            .chain(&self.added)
            .map(|e| e.level)
            .chain(self.changed.iter().map(|c| c.level))
    }
}

/// What kind of item a surface key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind<'a> {
    Type,
    Field,
    Variant,
    Method,
    /// A trait impl, with the trait's name.
    Impl(&'a str),
}

fn kind<'a>(item: &'a str, signature: &str) -> Kind<'a> {
    if let Some((_, name)) = item.split_once(" impl ") {
        Kind::Impl(name)
    } else if signature.split(' ').take(3).any(|word| word == "fn") {
        // `fn`, `async fn`, `const fn`, `unsafe fn`.
        Kind::Method
    } else if signature.starts_with("variant") {
        Kind::Variant
    } else if item
        .rsplit("::")
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        Kind::Field
    } else {
        Kind::Type
    }
}

/// The type an item is a member of: `types::A` for the field `types::A.x`
/// or the variant `types::A::B`.
fn parent_type<'a>(item: &'a str, kind: Kind<'_>) -> Option<&'a str> {
    match kind {
        Kind::Field => item.rsplit_once('.').map(|(parent, _)| parent),
        Kind::Variant => item.rsplit_once("::").map(|(parent, _)| parent),
        _ => None,
    }
}

/// The rule id and level of a change (`removed`, `changed` or `added`) to an
/// item of `base` (the surface before; `after` the new signature of a
/// changed item).
fn rule(base: &Surface, item: &str, signature: &str, change: &str, after: &str) -> (String, Level) {
    let kind = kind(item, signature);
    let parent_exhaustive = parent_type(item, kind)
        .and_then(|parent| base.0.get(parent))
        .is_some_and(|shape| exhaustive(shape));
    let id = match (kind, change) {
        (Kind::Field, "added") if parent_exhaustive => {
            "rust-field-added-to-exhaustive-struct".to_string()
        }
        (Kind::Variant, "added") if parent_exhaustive => {
            "rust-variant-added-to-exhaustive-enum".to_string()
        }
        (Kind::Type, "changed") if unmarked(after) == Some(signature) => {
            if exhaustive(signature) {
                "rust-type-became-non-exhaustive".to_string()
            } else {
                "rust-type-marked-non-exhaustive".to_string()
            }
        }
        (Kind::Type, "changed") if unmarked(signature) == Some(after) => {
            "rust-type-became-exhaustive".to_string()
        }
        _ => return plain_rule(item, signature, change),
    };
    let level = rules::level(&id).unwrap_or(Level::Breaking);
    (id, level)
}

/// The rule of a change judged by the item alone.
fn plain_rule(item: &str, signature: &str, change: &str) -> (String, Level) {
    let id = match (kind(item, signature), change) {
        (Kind::Impl(name), "removed") => rules::DERIVES
            .iter()
            .find(|(derive, _, _)| *derive == name)
            .map_or("rust-trait-impl-removed".to_string(), |(_, id, _)| {
                id.to_string()
            }),
        (Kind::Impl(_), _) => "rust-trait-added".to_string(),
        (Kind::Type, _) => format!("rust-type-{change}"),
        (Kind::Field, _) => format!("rust-field-{change}"),
        (Kind::Variant, _) => format!("rust-variant-{change}"),
        (Kind::Method, _) => format!("rust-method-{change}"),
    };
    // Every id above is in the table (a test checks the fixtures).
    let level = rules::level(&id).unwrap_or(Level::Breaking);
    (id, level)
}

/// Reads the public surface of a generated file.
pub fn surface(code: &str) -> Result<Surface> {
    let file: syn::File = syn::parse_file(code).context("the generated code does not parse")?;
    let mut out = BTreeMap::new();
    for item in &file.items {
        match item {
            Item::Mod(m) if m.ident == "types" => types(&mut out, "types", m),
            Item::Mod(m) if m.ident == "builder" => builders(&mut out, "builder", m),
            Item::Struct(s) if s.ident == "Client" && public(&s.vis) => {
                out.insert("Client".to_string(), "struct".to_string());
            }
            Item::Impl(i) if i.trait_.is_none() && ty(&i.self_ty) == "Client" => {
                methods(&mut out, "Client", i)
            }
            _ => {}
        }
    }
    Ok(Surface(out))
}

fn public(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// How a `#[non_exhaustive]` type's signature starts.
const NON_EXHAUSTIVE: &str = "#[non_exhaustive]";

/// The signature of a struct with named fields some of which are private:
/// no caller can build it with a literal.
const PRIVATE_FIELDS: &str = "struct { .. }";

fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| attr.path().is_ident("non_exhaustive"))
}

/// The signature without its `#[non_exhaustive]`, if it has one.
fn unmarked(signature: &str) -> Option<&str> {
    signature.strip_prefix(NON_EXHAUSTIVE).map(str::trim_start)
}

fn marked_shape(marked: bool, shape: String) -> String {
    if marked {
        format!("{NON_EXHAUSTIVE} {shape}")
    } else {
        shape
    }
}

/// Whether a type with this signature can be used exhaustively outside its
/// crate: a struct built with a literal (every field public, not
/// `#[non_exhaustive]`), an enum matched without a `_` arm. Adding a field
/// or a variant to it breaks those uses (cargo-semver-checks'
/// `constructible_struct_adds_field` and `enum_variant_added`).
fn exhaustive(signature: &str) -> bool {
    matches!(signature, "struct" | "struct;" | "enum") || signature.starts_with("struct(pub ")
}

/// Shortens the paths progenitor spells out in full.
fn shorten(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        ("::std::string::String", "String"),
        ("crate::types::", "types::"),
        ("::std::vec::Vec", "Vec"),
        ("::std::option::Option", "Option"),
        ("::std::collections::HashMap", "HashMap"),
        ("::std::boxed::Box", "Box"),
        ("::std::convert::", ""),
        ("std::convert::", ""),
        ("::std::default::", ""),
        ("::std::ops::", ""),
        ("std::ops::", ""),
        ("( ", "("),
        (" )", ")"),
        (",)", ")"),
        ("< ", "<"),
        (",>", ">"),
        (", >", ">"),
    ] {
        s = s.replace(from, to);
    }
    without_leading_colons(s.trim())
}

/// `::uuid::Uuid` → `uuid::Uuid`: a foreign path prints as it is written in
/// user code (a `::` that starts a path, not one between segments, goes).
fn without_leading_colons(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("::") {
        let starts_path = out
            .chars()
            .chain(rest[..at].chars())
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '>'));
        out.push_str(&rest[..at]);
        if !starts_path {
            out.push_str("::");
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The traits in `#[derive(...)]` attributes, by their last path segment.
fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("derive"))
        .filter_map(|attr| {
            attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .filter_map(|path| path.segments.last().map(|s| s.ident.to_string()))
        .collect()
}

/// Lists the derived traits of the type `name` as its impls.
fn insert_derives(out: &mut BTreeMap<String, String>, name: &str, attrs: &[syn::Attribute]) {
    for derive in derives(attrs) {
        out.insert(format!("{name} impl {derive}"), "impl".to_string());
    }
}

/// The name a trait impl is listed under: derivable traits by their bare
/// name (so that `#[derive(Deserialize)]` and `impl<'de>
/// ::serde::Deserialize<'de>` are the same item), other traits in full.
fn trait_key(path: &syn::Path) -> String {
    match path.segments.last() {
        Some(last) if rules::DERIVES.iter().any(|(name, _, _)| last.ident == name) => {
            last.ident.to_string()
        }
        _ => ty(path),
    }
}

/// Formats a small item with prettyplease and returns its text on one line.
fn pretty(item: impl ToTokens) -> Option<String> {
    let file: syn::File = syn::parse2(item.into_token_stream()).ok()?;
    Some(prettyplease::unparse(&file))
}

/// A type as readable text.
fn ty(tokens: &dyn ToTokens) -> String {
    let tokens = tokens.to_token_stream();
    match pretty(quote::quote!(type __T = #tokens;)) {
        Some(text) => {
            let text = text
                .trim()
                .trim_start_matches("type __T = ")
                .trim_end_matches(';');
            shorten(text)
        }
        None => shorten(&tokens.to_string()),
    }
}

/// A function signature as readable text (bounds included).
fn sig(signature: &syn::Signature) -> String {
    match pretty(quote::quote!(trait __T { #signature; })) {
        Some(text) => {
            let text = text
                .trim()
                .trim_start_matches("trait __T {")
                .trim_end_matches('}')
                .trim();
            let text = shorten(text.trim_end_matches(';'));
            text.trim_end_matches(',').to_string()
        }
        None => shorten(&signature.to_token_stream().to_string()),
    }
}

fn types(out: &mut BTreeMap<String, String>, at: &str, m: &syn::ItemMod) {
    let Some((_, items)) = &m.content else {
        return;
    };
    // Types defined here; an impl for anything else (`impl From<Id> for
    // String`) is listed under the foreign type's own name.
    let local: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    for item in items {
        match item {
            Item::Struct(s) if public(&s.vis) => {
                let name = format!("{at}::{}", s.ident);
                insert_derives(out, &name, &s.attrs);
                let marked = non_exhaustive(&s.attrs);
                match &s.fields {
                    Fields::Named(fields) => {
                        let all_public = fields.named.iter().all(|field| public(&field.vis));
                        let shape = match (marked, all_public) {
                            (true, _) => format!("{NON_EXHAUSTIVE} struct"),
                            (false, true) => "struct".to_string(),
                            (false, false) => PRIVATE_FIELDS.to_string(),
                        };
                        out.insert(name.clone(), shape);
                        for field in &fields.named {
                            if let (true, Some(ident)) = (public(&field.vis), &field.ident) {
                                out.insert(format!("{name}.{ident}"), ty(&field.ty));
                            }
                        }
                    }
                    Fields::Unnamed(fields) => {
                        // `pub` before each field when all are public (the
                        // tuple struct can be built with `T(..)`).
                        let all_public = fields.unnamed.iter().all(|field| public(&field.vis));
                        let inner: Vec<String> = fields
                            .unnamed
                            .iter()
                            .map(|f| {
                                let shown = ty(&f.ty);
                                if all_public {
                                    format!("pub {shown}")
                                } else {
                                    shown
                                }
                            })
                            .collect();
                        let shape = format!("struct({})", inner.join(", "));
                        out.insert(name, marked_shape(marked, shape));
                    }
                    Fields::Unit => {
                        out.insert(name, marked_shape(marked, "struct;".to_string()));
                    }
                }
            }
            Item::Enum(e) if public(&e.vis) => {
                let name = format!("{at}::{}", e.ident);
                insert_derives(out, &name, &e.attrs);
                out.insert(
                    name.clone(),
                    marked_shape(non_exhaustive(&e.attrs), "enum".to_string()),
                );
                for variant in &e.variants {
                    let shape = match &variant.fields {
                        Fields::Unit => "variant".to_string(),
                        Fields::Unnamed(fields) => {
                            let inner: Vec<String> =
                                fields.unnamed.iter().map(|f| ty(&f.ty)).collect();
                            format!("variant({})", inner.join(", "))
                        }
                        Fields::Named(fields) => {
                            let inner: Vec<String> = fields
                                .named
                                .iter()
                                .map(|f| {
                                    format!(
                                        "{}: {}",
                                        f.ident
                                            .as_ref()
                                            .map(ToString::to_string)
                                            .unwrap_or_default(),
                                        ty(&f.ty)
                                    )
                                })
                                .collect();
                            format!("variant {{ {} }}", inner.join(", "))
                        }
                    };
                    out.insert(format!("{name}::{}", variant.ident), shape);
                }
            }
            Item::Type(t) if public(&t.vis) => {
                out.insert(
                    format!("{at}::{}", t.ident),
                    format!("type = {}", ty(&t.ty)),
                );
            }
            Item::Impl(i) => {
                let self_ty = ty(&i.self_ty);
                let self_ty = if local.contains(&self_ty) {
                    format!("{at}::{self_ty}")
                } else {
                    self_ty
                };
                match &i.trait_ {
                    None => methods(out, &self_ty, i),
                    Some((path, _)) => {
                        out.insert(
                            format!("{self_ty} impl {}", trait_key(path)),
                            "impl".to_string(),
                        );
                    }
                }
            }
            Item::Mod(inner) if inner.ident == "builder" => {
                builders(out, &format!("{at}::builder"), inner)
            }
            _ => {}
        }
    }
}

fn builders(out: &mut BTreeMap<String, String>, at: &str, m: &syn::ItemMod) {
    let Some((_, items)) = &m.content else {
        return;
    };
    for item in items {
        match item {
            Item::Struct(s) if public(&s.vis) => {
                let generics = s
                    .generics
                    .params
                    .iter()
                    .map(|p| ty(p as &dyn ToTokens))
                    .collect::<Vec<_>>();
                let generics = if generics.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", generics.join(", "))
                };
                out.insert(format!("{at}::{}", s.ident), format!("struct{generics}"));
            }
            Item::Impl(i) if i.trait_.is_none() => {
                let self_ty = ty(&i.self_ty);
                let base = self_ty.split('<').next().unwrap_or(&self_ty).to_string();
                methods(out, &format!("{at}::{base}"), i);
            }
            _ => {}
        }
    }
}

fn methods(out: &mut BTreeMap<String, String>, at: &str, i: &syn::ItemImpl) {
    for item in &i.items {
        if let ImplItem::Fn(f) = item
            && public(&f.vis)
        {
            out.insert(format!("{at}::{}", f.sig.ident), sig(&f.sig));
        }
    }
}

/// Whether `key` is a member of `parent` (a field, variant, method or impl).
fn member_of(key: &str, parent: &str) -> bool {
    key.strip_prefix(parent).is_some_and(|rest| {
        rest.starts_with('.') || rest.starts_with("::") || rest.starts_with(" impl")
    })
}

/// The difference between two surfaces.
pub fn diff(base: &Surface, head: &Surface) -> ApiDiff {
    let mut out = ApiDiff::default();
    let mut removed_types: Vec<&str> = Vec::new();
    for (item, signature) in &base.0 {
        match head.0.get(item) {
            None => {
                if removed_types.iter().any(|parent| member_of(item, parent)) {
                    continue;
                }
                removed_types.push(item);
                let (rule, level) = rule(base, item, signature, "removed", "");
                out.removed.push(Entry {
                    item: item.clone(),
                    signature: signature.clone(),
                    rule,
                    level,
                    also: Vec::new(),
                });
            }
            Some(after) if after != signature => {
                let (rule, level) = rule(base, item, signature, "changed", after);
                out.changed.push(Changed {
                    item: item.clone(),
                    before: signature.clone(),
                    after: after.clone(),
                    rule,
                    level,
                    also: Vec::new(),
                })
            }
            Some(_) => {}
        }
    }
    let mut added_types: Vec<&str> = Vec::new();
    for (item, signature) in &head.0 {
        if base.0.contains_key(item) {
            continue;
        }
        if added_types.iter().any(|parent| member_of(item, parent)) {
            continue;
        }
        added_types.push(item);
        let (rule, level) = rule(base, item, signature, "added", "");
        out.added.push(Entry {
            item: item.clone(),
            signature: signature.clone(),
            rule,
            level,
            also: Vec::new(),
        });
    }
    fold_mirrors(&mut out.removed, |e| &e.item, |e| &mut e.also);
    fold_mirrors(&mut out.added, |e| &e.item, |e| &mut e.also);
    fold_mirrors(&mut out.changed, |c| &c.item, |c| &mut c.also);
    out
}

/// The item a builder item mirrors: `types::builder::A::x` (the builder
/// method of a field) mirrors `types::A.x`, `types::builder::A` mirrors
/// `types::A`.
fn mirrored(item: &str) -> Option<String> {
    let rest = item.strip_prefix("types::builder::")?;
    Some(match rest.split_once("::") {
        Some((ty, method)) => format!("types::{ty}.{method}"),
        None => format!("types::{rest}"),
    })
}

/// Folds each builder item into the entry of the item it mirrors, when that
/// changed the same way: one edit, one line.
fn fold_mirrors<T>(
    entries: &mut Vec<T>,
    item: impl Fn(&T) -> &String,
    also: impl Fn(&mut T) -> &mut Vec<String>,
) {
    let mut folded = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if let Some(target) = mirrored(item(entry))
            && let Some(at) = entries.iter().position(|e| *item(e) == target)
        {
            folded.push((index, at));
        }
    }
    for &(index, at) in &folded {
        let name = item(&entries[index]).clone();
        also(&mut entries[at]).push(name);
    }
    let gone: BTreeSet<usize> = folded.iter().map(|(index, _)| *index).collect();
    let mut index = 0;
    entries.retain(|_| {
        index += 1;
        !gone.contains(&(index - 1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = r#"
        pub mod types {
            pub struct A { pub x: ::std::option::Option<::std::string::String>, y: i32 }
            pub struct Id(::std::string::String);
            impl ::std::convert::TryFrom<&str> for Id { type Error = (); fn try_from(_: &str) -> Result<Self, ()> { Err(()) } }
            pub enum Mode { Fast, Slow }
        }
        pub struct Client;
        impl Client { pub fn op(&self) -> builder::Op<'_> { todo!() } fn private(&self) {} }
        pub mod builder {
            pub struct Op<'a> { client: &'a super::Client }
            impl<'a> Op<'a> {
                pub fn id<V>(mut self, value: V) -> Self where V: std::convert::TryInto<types::Id> { self }
            }
        }
    "#;

    #[test]
    fn reads_the_surface() {
        let s = surface(CODE).unwrap();
        let keys: Vec<_> = s.0.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        assert_eq!(
            keys,
            [
                "Client = struct",
                "Client::op = fn op(&self) -> builder::Op<'_>",
                "builder::Op = struct<'a>",
                "builder::Op::id = fn id<V>(mut self, value: V) -> Self where V: TryInto<types::Id>",
                "types::A = struct { .. }",
                "types::A.x = Option<String>",
                "types::Id = struct(String)",
                "types::Id impl TryFrom<&str> = impl",
                "types::Mode = enum",
                "types::Mode::Fast = variant",
                "types::Mode::Slow = variant",
            ]
        );
    }

    #[test]
    fn members_of_new_types_are_not_repeated() {
        let base = Surface::default();
        let head = surface(CODE).unwrap();
        let d = diff(&base, &head);
        let added: Vec<_> = d.added.iter().map(|e| e.item.as_str()).collect();
        assert_eq!(
            added,
            [
                "Client",
                "builder::Op",
                "types::A",
                "types::Id",
                "types::Mode"
            ]
        );
        assert!(d.removed.is_empty() && d.changed.is_empty());
    }

    fn keyed(code: &str) -> Vec<String> {
        surface(code).unwrap().0.into_keys().collect()
    }

    #[test]
    fn derives_are_impls_and_foreign_types_keep_their_names() {
        let code = r#"
            pub mod types {
                #[derive(::serde::Deserialize, Clone, Default, schemars::JsonSchema)]
                pub struct A { pub x: i32 }
                pub struct Id(::std::string::String);
                impl ::std::convert::From<Id> for ::std::string::String { fn from(v: Id) -> Self { v.0 } }
                impl ::std::convert::From<Id> for ::uuid::Uuid { fn from(v: Id) -> Self { todo!() } }
                impl<'de> ::serde::Deserialize<'de> for Id { fn deserialize<D>(d: D) -> Result<Self, D::Error> { todo!() } }
            }
        "#;
        let keys = keyed(code);
        for key in [
            "types::A impl Deserialize",
            "types::A impl Clone",
            "types::A impl Default",
            "types::A impl JsonSchema",
            "types::Id impl Deserialize",
            "String impl From<Id>",
            "uuid::Uuid impl From<Id>",
        ] {
            assert!(keys.iter().any(|k| k == key), "{key} not in {keys:?}");
        }
        assert!(
            !keys
                .iter()
                .any(|k| k.contains("types::String") || k.contains("::::"))
        );
    }

    #[test]
    fn derive_rules_removed_breaking_added_info_switch_nothing() {
        let before = surface(
            "pub mod types { #[derive(Clone, Default, PartialEq, Eq, Hash, Debug, Copy)] pub struct A; \
             #[derive(::serde::Serialize)] pub struct B; }",
        )
        .unwrap();
        let after = surface(
            "pub mod types { #[derive(Clone, Debug, ::serde::Deserialize)] pub struct A; \
             pub struct B; impl ::serde::Serialize for B { fn serialize<S>(&self, s: S) -> Result<S::Ok, S::Error> { todo!() } } }",
        )
        .unwrap();
        let d = diff(&before, &after);
        let removed: Vec<(&str, &str)> = d
            .removed
            .iter()
            .map(|e| (e.item.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            removed,
            [
                ("types::A impl Copy", "rust-trait-copy-removed"),
                ("types::A impl Default", "rust-trait-default-removed"),
                ("types::A impl Eq", "rust-trait-eq-removed"),
                ("types::A impl Hash", "rust-trait-hash-removed"),
                ("types::A impl PartialEq", "rust-trait-partial-eq-removed"),
            ]
        );
        assert!(d.removed.iter().all(|e| e.level == Level::Breaking));
        let added: Vec<(&str, &str, Level)> = d
            .added
            .iter()
            .map(|e| (e.item.as_str(), e.rule.as_str(), e.level))
            .collect();
        assert_eq!(
            added,
            [("types::A impl Deserialize", "rust-trait-added", Level::Info)]
        );
        // `B`: derived `Serialize` became a written-out impl: no change.
        assert!(d.changed.is_empty(), "{:?}", d.changed);
    }

    #[test]
    fn added_fields_and_variants_break_what_callers_can_use_exhaustively() {
        let before = surface(
            "pub mod types {
                pub struct Request { pub a: i32 }
                #[non_exhaustive] pub struct Answer { pub a: i32 }
                pub struct Sealed { pub a: i32, b: i32 }
                pub enum Mode { Fast }
                #[non_exhaustive] pub enum State { Done }
                pub struct Flip { pub a: i32 }
                #[non_exhaustive] pub struct Flop { pub a: i32 }
                pub struct Id(String);
            }",
        )
        .unwrap();
        assert_eq!(before.0["types::Answer"], "#[non_exhaustive] struct");
        assert_eq!(before.0["types::State"], "#[non_exhaustive] enum");
        assert_eq!(
            surface("pub mod types { pub struct A(pub i32, pub u8); pub struct B(i32, pub u8); }")
                .unwrap()
                .0
                .into_values()
                .collect::<Vec<_>>(),
            ["struct(pub i32, pub u8)", "struct(i32, u8)"]
        );
        let after = surface(
            "pub mod types {
                pub struct Request { pub a: i32, pub z: i32 }
                #[non_exhaustive] pub struct Answer { pub a: i32, pub z: i32 }
                pub struct Sealed { pub a: i32, b: i32, pub z: i32 }
                pub enum Mode { Fast, Slow }
                #[non_exhaustive] pub enum State { Done, Failed }
                #[non_exhaustive] pub struct Flip { pub a: i32 }
                pub struct Flop { pub a: i32 }
                #[non_exhaustive] pub struct Id(String);
            }",
        )
        .unwrap();
        let d = diff(&before, &after);
        let rated: Vec<(&str, &str, Level)> = d
            .added
            .iter()
            .map(|e| (e.item.as_str(), e.rule.as_str(), e.level))
            .chain(
                d.changed
                    .iter()
                    .map(|c| (c.item.as_str(), c.rule.as_str(), c.level)),
            )
            .collect();
        assert_eq!(
            rated,
            [
                ("types::Answer.z", "rust-field-added", Level::Info),
                (
                    "types::Mode::Slow",
                    "rust-variant-added-to-exhaustive-enum",
                    Level::Breaking
                ),
                (
                    "types::Request.z",
                    "rust-field-added-to-exhaustive-struct",
                    Level::Breaking
                ),
                ("types::Sealed.z", "rust-field-added", Level::Info),
                ("types::State::Failed", "rust-variant-added", Level::Info),
                (
                    "types::Flip",
                    "rust-type-became-non-exhaustive",
                    Level::Breaking
                ),
                ("types::Flop", "rust-type-became-exhaustive", Level::Info),
                ("types::Id", "rust-type-marked-non-exhaustive", Level::Info),
            ]
        );
        assert!(d.is_breaking());
        // Only what callers cannot use exhaustively grew: not breaking.
        let only_answers = surface(
            "pub mod types {
                pub struct Request { pub a: i32 }
                #[non_exhaustive] pub struct Answer { pub a: i32, pub z: i32 }
                pub struct Sealed { pub a: i32, b: i32 }
                pub enum Mode { Fast }
                #[non_exhaustive] pub enum State { Done, Failed }
                pub struct Flip { pub a: i32 }
                #[non_exhaustive] pub struct Flop { pub a: i32 }
                pub struct Id(String);
            }",
        )
        .unwrap();
        assert!(!diff(&before, &only_answers).is_breaking());
    }

    #[test]
    fn every_kind_of_item_has_its_rule() {
        let before = surface(CODE).unwrap();
        let after = surface(
            &CODE
                .replace(
                    "pub x: ::std::option::Option<::std::string::String>",
                    "pub x: i64",
                )
                .replace("Fast, Slow", "Fast")
                .replace("pub fn id<V>", "pub fn ident<V>")
                .replace(
                    "impl ::std::convert::TryFrom<&str> for Id",
                    "impl ::std::convert::TryFrom<&String> for Id",
                ),
        )
        .unwrap();
        let d = diff(&before, &after);
        let rules: Vec<&str> = d
            .removed
            .iter()
            .chain(&d.added)
            .map(|e| e.rule.as_str())
            .chain(d.changed.iter().map(|c| c.rule.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                "rust-method-removed",
                "rust-trait-impl-removed",
                "rust-variant-removed",
                "rust-method-added",
                "rust-trait-added",
                "rust-field-changed",
            ]
        );
    }
}
