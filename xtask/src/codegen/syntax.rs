//! Reading progenitor's output: its `builder` module, as the passes after
//! generation (`builder_docs`, `send_path`) walk it, and the identifiers a
//! piece of code mentions.

use std::collections::BTreeSet;

use anyhow::{Context, Result};

/// Each operation builder's `impl` block in `file`'s `builder` module, with
/// the builder's name (`ListClusterSyncTaskStatus`).
pub fn builder_impls(file: &mut syn::File) -> Result<Vec<(String, &mut syn::ItemImpl)>> {
    let items = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .context("progenitor's output has no `builder` module")?;
    Ok(items
        .iter_mut()
        .filter_map(|item| {
            let syn::Item::Impl(block) = item else {
                return None;
            };
            let syn::Type::Path(self_ty) = &*block.self_ty else {
                return None;
            };
            let name = self_ty.path.segments.last()?.ident.to_string();
            Some((name, block))
        })
        .collect())
}

/// Every identifier in a token stream, groups included.
pub fn idents(tokens: proc_macro2::TokenStream) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            proc_macro2::TokenTree::Group(group) => out.extend(idents(group.stream())),
            _ => {}
        }
    }
    out
}
