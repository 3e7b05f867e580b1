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

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use quote::ToTokens;
use syn::{Fields, ImplItem, Item, Visibility};

/// Item path → signature.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Surface(pub BTreeMap<String, String>);

/// One item of the surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub item: String,
    pub signature: String,
}

/// One item whose signature changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub item: String,
    pub before: String,
    pub after: String,
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

    /// Whether code written against the old surface may stop compiling:
    /// something was removed or changed.
    pub fn is_breaking(&self) -> bool {
        !self.removed.is_empty() || !self.changed.is_empty()
    }
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

/// Shortens the paths progenitor spells out in full.
fn shorten(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        ("::std::string::String", "String"),
        ("::std::vec::Vec", "Vec"),
        ("::std::option::Option", "Option"),
        ("::std::collections::HashMap", "HashMap"),
        ("::std::boxed::Box", "Box"),
        ("::std::convert::", ""),
        ("std::convert::", ""),
        ("::std::default::", ""),
        ("::std::ops::", ""),
        ("std::ops::", ""),
        ("::std::", "std::"),
        ("::chrono::", "chrono::"),
        ("( ", "("),
        (" )", ")"),
        (",)", ")"),
        ("< ", "<"),
        (",>", ">"),
        (", >", ">"),
    ] {
        s = s.replace(from, to);
    }
    s.trim().to_string()
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
    for item in items {
        match item {
            Item::Struct(s) if public(&s.vis) => {
                let name = format!("{at}::{}", s.ident);
                match &s.fields {
                    Fields::Named(fields) => {
                        out.insert(name.clone(), "struct".to_string());
                        for field in &fields.named {
                            if let (true, Some(ident)) = (public(&field.vis), &field.ident) {
                                out.insert(format!("{name}.{ident}"), ty(&field.ty));
                            }
                        }
                    }
                    Fields::Unnamed(fields) => {
                        let inner: Vec<String> = fields.unnamed.iter().map(|f| ty(&f.ty)).collect();
                        out.insert(name, format!("struct({})", inner.join(", ")));
                    }
                    Fields::Unit => {
                        out.insert(name, "struct;".to_string());
                    }
                }
            }
            Item::Enum(e) if public(&e.vis) => {
                let name = format!("{at}::{}", e.ident);
                out.insert(name.clone(), "enum".to_string());
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
                let self_ty = format!("{at}::{}", ty(&i.self_ty));
                match &i.trait_ {
                    None => methods(out, &self_ty, i),
                    Some((path, _)) => {
                        out.insert(format!("{self_ty} impl {}", ty(path)), "impl".to_string());
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
                out.removed.push(Entry {
                    item: item.clone(),
                    signature: signature.clone(),
                });
            }
            Some(after) if after != signature => out.changed.push(Changed {
                item: item.clone(),
                before: signature.clone(),
                after: after.clone(),
            }),
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
        out.added.push(Entry {
            item: item.clone(),
            signature: signature.clone(),
        });
    }
    out
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
                "types::A = struct",
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
}
