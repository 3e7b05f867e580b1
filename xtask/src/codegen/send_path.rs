//! The generated operations' `send`, slimmed after generation. progenitor
//! (0.15) has no setting for either of these, and together they were about
//! 5% of a signed call's instructions (callgrind of `round_trip_profile`):
//!
//! - The URL: `format!(TEMPLATE, client.baseurl, encode_path(&p.to_string()), ..)`
//!   makes two strings per path parameter and a third for the URL, which
//!   reqwest then parses whole, base and all. The pass writes the path into
//!   one `String` sized up front, each parameter percent-encoded straight
//!   into it (`crate::url_path::PushSegment`, the same bytes as
//!   `encode_path`; a test there compares them), and puts it on the base URL
//!   the client parsed once (`crate::url_path::request_url`).
//! - The `api-version` header: progenitor adds the spec's version to every
//!   request through a header map merged into the request. MRS does not know
//!   this header, so the pass drops it (and the map, when it held nothing
//!   else) instead of the client's hook removing it from each request.
//!
//! A `send` whose statements have another shape fails the generation, naming
//! the builder: a new progenitor's send path is looked at, not mangled or
//! silently left slow.

use anyhow::{Context, Result, anyhow, bail};
use quote::ToTokens as _;
use syn::punctuated::Punctuated;

use crate::codegen::syntax::{builder_impls, idents};

/// Room for each path parameter when the URL is sized up front: the ids of
/// this API are at most 64 characters.
const SEGMENT_ROOM: usize = 64;

/// Rewrites the `send` method of every operation builder in `file`.
pub fn slim_send_paths(file: &mut syn::File) -> Result<()> {
    let mut slimmed = 0;
    for (builder, block) in builder_impls(file)? {
        for member in &mut block.items {
            if let syn::ImplItem::Fn(method) = member
                && method.sig.ident == "send"
            {
                slim(&mut method.block)
                    .with_context(|| format!("builder::{builder}::send: cannot slim it"))?;
                slimmed += 1;
            }
        }
    }
    if slimmed == 0 {
        bail!("progenitor's `builder` module has no `send` method");
    }
    Ok(())
}

fn slim(body: &mut syn::Block) -> Result<()> {
    let url = body
        .stmts
        .iter()
        .position(|stmt| local_name(stmt).is_some_and(|name| name == "url"))
        .context("no `let url = ...`")?;
    let url_stmts = url_statements(&body.stmts[url])?;
    body.stmts.splice(url..=url, url_stmts);

    let api_version = body
        .stmts
        .iter()
        .position(is_api_version_append)
        .context("no `api-version` header appended to `header_map`")?;
    body.stmts.remove(api_version);
    // Header parameters are appended to the same map: then it stays.
    let map_still_used = body.stmts.iter().any(|stmt| {
        local_name(stmt).is_none_or(|name| name != "header_map")
            && !merges_header_map(stmt)
            && mentions_header_map(stmt)
    });
    if !map_still_used {
        let map = body
            .stmts
            .iter()
            .position(|stmt| local_name(stmt).is_some_and(|name| name == "header_map"))
            .context("no `let mut header_map = ...`")?;
        body.stmts.remove(map);
        let merged = body
            .stmts
            .iter_mut()
            .filter_map(|stmt| match stmt {
                syn::Stmt::Local(local) => local.init.as_mut(),
                _ => None,
            })
            .find_map(|init| without_headers_call(&mut init.expr));
        if merged.is_none() {
            bail!("no `.headers(header_map)` in the request's construction");
        }
    }
    Ok(())
}

/// The name a `let` statement binds, if it is one.
fn local_name(stmt: &syn::Stmt) -> Option<String> {
    match stmt {
        syn::Stmt::Local(syn::Local {
            pat: syn::Pat::Ident(pat),
            ..
        }) => Some(pat.ident.to_string()),
        _ => None,
    }
}

/// `let url = format!(..)` as statements that build the same text in one
/// `String`.
fn url_statements(stmt: &syn::Stmt) -> Result<Vec<syn::Stmt>> {
    let syn::Stmt::Local(syn::Local {
        init: Some(init), ..
    }) = stmt
    else {
        bail!("`let url` has no value");
    };
    let syn::Expr::Macro(format) = &*init.expr else {
        bail!("`let url` is not a `format!`");
    };
    if !format.mac.path.is_ident("format") {
        bail!("`let url` is not a `format!`");
    }
    let (template, args) = format
        .mac
        .parse_body_with(|input: syn::parse::ParseStream| {
            let template: syn::LitStr = input.parse()?;
            let _: Option<syn::Token![,]> = input.parse()?;
            let args = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated(input)?;
            Ok((template.value(), args))
        })
        .context("the URL's `format!` does not parse")?;
    let pieces: Vec<&str> = template.split("{}").collect();
    if pieces.iter().any(|piece| piece.contains(['{', '}'])) {
        bail!("the URL template {template:?} has placeholders other than `{{}}`");
    }
    if pieces.len() != args.len() + 1 {
        bail!(
            "the URL template {template:?} has {} placeholders for {} values",
            pieces.len() - 1,
            args.len()
        );
    }
    if !pieces[0].is_empty() {
        bail!("the URL template {template:?} does not start with the base URL");
    }
    let mut args = args.into_iter();
    let base = args.next().context("the URL has no base")?;
    if base.to_token_stream().to_string() != "client . baseurl" {
        bail!(
            "the URL starts with `{}`, not `client.baseurl`",
            base.to_token_stream()
        );
    }
    let segments: Vec<syn::Expr> = args.map(|arg| encoded_value(&arg)).collect::<Result<_>>()?;
    let literal_len: usize = pieces.iter().map(|piece| piece.len()).sum();
    let room = literal_len + SEGMENT_ROOM * segments.len();
    let mut stmts: Vec<syn::Stmt> = vec![
        syn::parse_quote! {
            let mut path = ::std::string::String::with_capacity(#room);
        },
        syn::parse_quote! { use crate::url_path::PushSegment as _; },
    ];
    // TEMPLATE is `{}` (the base), then text and a parameter in turn.
    for (i, piece) in pieces[1..].iter().enumerate() {
        if !piece.is_empty() {
            stmts.push(syn::parse_quote! { path.push_str(#piece); });
        }
        if let Some(segment) = segments.get(i) {
            stmts.push(syn::parse_quote! { #segment.push_segment(&mut path); });
        }
    }
    stmts.push(syn::parse_quote! {
        let url = crate::url_path::request_url(&client.baseurl, client.inner.base_url(), &path)
            .map_err(Error::InvalidRequest)?;
    });
    Ok(stmts)
}

/// `value` of `encode_path(&value.to_string())`.
fn encoded_value(arg: &syn::Expr) -> Result<syn::Expr> {
    let unexpected = || {
        anyhow!(
            "a URL value is `{}`, not `encode_path(&value.to_string())`",
            arg.to_token_stream()
        )
    };
    let syn::Expr::Call(call) = arg else {
        return Err(unexpected());
    };
    let is_encode_path =
        matches!(&*call.func, syn::Expr::Path(path) if path.path.is_ident("encode_path"));
    let [syn::Expr::Reference(reference)] = call.args.iter().collect::<Vec<_>>()[..] else {
        return Err(unexpected());
    };
    match &*reference.expr {
        syn::Expr::MethodCall(to_string)
            if is_encode_path && to_string.method == "to_string" && to_string.args.is_empty() =>
        {
            Ok((*to_string.receiver).clone())
        }
        _ => Err(unexpected()),
    }
}

/// `header_map.append(HeaderName::from_static("api-version"), ..);`
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
        return false;
    };
    call.method == "append"
        && call.receiver.to_token_stream().to_string() == "header_map"
        && call.args.first().is_some_and(|name| {
            name.to_token_stream()
                .to_string()
                .contains("from_static (\"api-version\")")
        })
}

/// Whether `stmt` is the `let` that merges the map into the request.
fn merges_header_map(stmt: &syn::Stmt) -> bool {
    match stmt {
        syn::Stmt::Local(syn::Local {
            init: Some(init), ..
        }) => without_headers_call(&mut init.expr.clone()).is_some(),
        _ => false,
    }
}

fn mentions_header_map(stmt: &syn::Stmt) -> bool {
    idents(stmt.to_token_stream()).contains("header_map")
}

/// Removes `.headers(header_map)` from the chain of calls `expr` ends with;
/// `None` when there is none.
fn without_headers_call(expr: &mut syn::Expr) -> Option<()> {
    match expr {
        syn::Expr::Try(attempt) => without_headers_call(&mut attempt.expr),
        syn::Expr::MethodCall(call) => {
            let merges_map = call.method == "headers"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "header_map";
            if merges_map {
                *expr = (*call.receiver).clone();
                Some(())
            } else {
                without_headers_call(&mut call.receiver)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(send: syn::Block) -> syn::File {
        syn::parse_quote! {
            pub mod builder {
                impl<'a> ListThings<'a> {
                    pub async fn send(self) -> Result<(), ()> #send
                }
            }
        }
    }

    fn progenitors_send(url_value: syn::Expr, extra_header: Option<syn::Stmt>) -> syn::Block {
        let extra = extra_header.into_iter();
        syn::parse_quote! {{
            let Self { client, project_id, cluster_id } = self;
            let url = format!("{}/v2/{}/things/{}", client.baseurl, encode_path(&project_id.to_string()), #url_value,);
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            #(#extra)*
            #[allow(unused_mut)]
            let mut request = client
                .client
                .get(url)
                .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                .headers(header_map)
                .build()?;
            client.pre(&mut request, &info).await?;
        }}
    }

    fn text(file: &syn::File) -> String {
        prettyplease::unparse(file)
    }

    #[test]
    fn the_path_is_built_in_one_string_on_the_parsed_base_and_api_version_is_gone() {
        let mut file = builder(progenitors_send(
            syn::parse_quote!(encode_path(&cluster_id.to_string())),
            None,
        ));
        slim_send_paths(&mut file).unwrap();
        let text = text(&file);
        let expected_url = r#"
            let mut path = ::std::string::String::with_capacity(140usize);
            use crate::url_path::PushSegment as _;
            path.push_str("/v2/");
            project_id.push_segment(&mut path);
            path.push_str("/things/");
            cluster_id.push_segment(&mut path);
            let url = crate::url_path::request_url(&client.baseurl, client.inner.base_url(), &path)
                .map_err(Error::InvalidRequest)?;
            #[allow(unused_mut)]
            let mut request"#;
        // Layout aside (line breaks, a trailing comma).
        let squeezed = |text: &str| text.replace(',', "").split_whitespace().collect::<String>();
        assert!(squeezed(&text).contains(&squeezed(expected_url)), "{text}");
        for gone in ["format!", "encode_path", "api-version", "header_map"] {
            assert!(!text.contains(gone), "{gone} left in:\n{text}");
        }
        let request = r#".get(url)
            .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
            .build()?;"#;
        assert!(squeezed(&text).contains(&squeezed(request)), "{text}");
    }

    #[test]
    fn a_header_parameter_keeps_its_map() {
        let mut file = builder(progenitors_send(
            syn::parse_quote!(encode_path(&cluster_id.to_string())),
            Some(syn::parse_quote! {
                header_map.append("x-trace", value.to_string().try_into()?);
            }),
        ));
        slim_send_paths(&mut file).unwrap();
        let text = text(&file);
        assert!(!text.contains("api-version"), "{text}");
        assert!(text.contains("let mut header_map"), "{text}");
        assert!(text.contains(".headers(header_map)"), "{text}");
    }

    #[test]
    fn another_shape_fails_naming_the_builder_and_the_value() {
        let mut file = builder(progenitors_send(
            syn::parse_quote!(cluster_id.to_string()),
            None,
        ));
        let err = format!("{:#}", slim_send_paths(&mut file).unwrap_err());
        assert!(err.contains("builder::ListThings::send"), "{err}");
        assert!(err.contains("`cluster_id . to_string ()`"), "{err}");
    }
}
