//! Docs on the generated builders' setters: progenitor (0.15) writes the
//! setters of `builder::<Operation>` (one per parameter, `body`, `body_map`,
//! `new`) without any, so after generation each gets the description the
//! spec gives its parameter (the request body's for `body` and `body_map`),
//! what it takes, and when a bad value is reported.
//!
//! A parameter (or body) the spec gives no description still gets the
//! second paragraph; a builder no operation matches fails the generation, so
//! that nothing is left undocumented silently when progenitor's naming
//! changes.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use heck::{ToSnakeCase as _, ToUpperCamelCase as _};
use quote::ToTokens as _;
use serde_json::Value;

use crate::codegen::spec::{self, METHODS, Spec};
use crate::codegen::syntax::builder_impls;

/// Documents every undocumented method of the `builder` module's
/// operation builders in `file`, from `spec`.
pub fn document_setters(file: &mut syn::File, spec: &Spec) -> Result<()> {
    let operations = operations(&spec.json)?;
    for (builder, block) in builder_impls(file)? {
        let operation = operations
            .get(&builder)
            .ok_or_else(|| anyhow!("builder::{builder}: no operation of the spec has this name"))?;
        for member in &mut block.items {
            let syn::ImplItem::Fn(method) = member else {
                continue;
            };
            if method.attrs.iter().any(|attr| attr.path().is_ident("doc")) {
                continue;
            }
            let paragraphs = operation.docs(&method.sig).with_context(|| {
                format!(
                    "builder::{builder}::{}: cannot document this setter",
                    method.sig.ident
                )
            })?;
            let mut docs = Vec::new();
            for (i, paragraph) in paragraphs.iter().enumerate() {
                if i > 0 {
                    docs.push(syn::parse_quote!(#[doc = ""]));
                }
                let line = format!(" {paragraph}");
                docs.push(syn::parse_quote!(#[doc = #line]));
            }
            method.attrs.splice(0..0, docs);
        }
    }
    Ok(())
}

/// What the spec says about one operation's inputs.
struct Operation {
    id: String,
    summary: Option<String>,
    /// Setter name (progenitor's snake case of the parameter's name) → the
    /// parameter.
    params: BTreeMap<String, Param>,
    /// The request body's description, when the operation takes a body.
    body: Option<Option<String>>,
}

struct Param {
    name: String,
    location: String,
    required: bool,
    description: Option<String>,
}

impl Operation {
    /// The doc paragraphs of the setter `sig`.
    fn docs(&self, sig: &syn::Signature) -> Result<Vec<String>> {
        let setter = sig.ident.to_string();
        let client_method = format!(
            "[`Client::{0}`](super::Client::{0})",
            self.id.to_snake_case()
        );
        let described = |description: &Option<String>| {
            description
                .as_deref()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
        };
        Ok(match setter.as_str() {
            "new" => vec![
                format!(
                    "A `{}` request with nothing set yet; {client_method} makes the same.",
                    self.id
                ),
                self.summary
                    .clone()
                    .map(|summary| format!("{summary}."))
                    .unwrap_or_default(),
            ]
            .into_iter()
            .filter(|paragraph| !paragraph.is_empty())
            .collect(),
            "body" | "body_map" => {
                let description = self
                    .body
                    .as_ref()
                    .ok_or_else(|| anyhow!("{} takes no request body in the spec", self.id))?;
                let what = if setter == "body" {
                    format!(
                        "The request body: {}, or a value that converts into one; a failed \
                         conversion is reported by `send()`.",
                        link(converted_type(sig, "TryInto")?)
                    )
                } else {
                    format!(
                        "Changes the request body through its builder ({}), starting from the \
                         body set so far.",
                        link(converted_type(sig, "FnOnce")?)
                    )
                };
                described(description).into_iter().chain([what]).collect()
            }
            _ => {
                let param = self
                    .params
                    .get(&setter)
                    .ok_or_else(|| anyhow!("{} has no parameter for it in the spec", self.id))?;
                let required = if param.required {
                    "required"
                } else {
                    "optional"
                };
                described(&param.description)
                    .into_iter()
                    .chain([format!(
                        "The {} parameter `{}` ({required}): {}, or a value that converts into \
                         one; a value that breaks its rule is reported by `send()`, before \
                         anything is sent.",
                        param.location,
                        param.name,
                        link(converted_type(sig, "TryInto")?)
                    )])
                    .collect()
            }
        })
    }
}

/// The type a setter converts its argument into: `T` of a `V: TryInto<T>`
/// bound, or of an `F: FnOnce(T) -> T` one, as the generated code spells it
/// (so that the link resolves where the setter is).
fn converted_type(sig: &syn::Signature, bound: &str) -> Result<String> {
    let predicates = sig
        .generics
        .where_clause
        .iter()
        .flat_map(|clause| &clause.predicates);
    for predicate in predicates {
        let syn::WherePredicate::Type(predicate) = predicate else {
            continue;
        };
        for trait_bound in &predicate.bounds {
            let syn::TypeParamBound::Trait(trait_bound) = trait_bound else {
                continue;
            };
            let Some(last) = trait_bound.path.segments.last() else {
                continue;
            };
            if last.ident != bound {
                continue;
            }
            let ty = match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => {
                    args.args.first().and_then(|arg| match arg {
                        syn::GenericArgument::Type(ty) => Some(ty.clone()),
                        _ => None,
                    })
                }
                syn::PathArguments::Parenthesized(args) => {
                    args.inputs.first().map(|arg| arg.ty.clone())
                }
                syn::PathArguments::None => None,
            };
            if let Some(ty) = ty {
                return Ok(ty
                    .to_token_stream()
                    .to_string()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect());
            }
        }
    }
    bail!("no `{bound}` bound in its signature")
}

/// An intra-doc link to `path`, shown by its last segment.
fn link(path: String) -> String {
    let shown = path.rsplit("::").next().unwrap_or(&path).to_owned();
    format!("[`{shown}`]({path})")
}

/// The spec's operations, by the name progenitor gives their builders.
fn operations(doc: &Value) -> Result<BTreeMap<String, Operation>> {
    let mut found = BTreeMap::new();
    let paths = doc.get("paths").and_then(Value::as_object);
    for (template, item) in paths.into_iter().flatten() {
        if template.starts_with("x-") {
            continue;
        }
        let item = spec::resolve(doc, item).value;
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("at `paths.{template}.{method}`: no operationId"))?;
            let mut params = BTreeMap::new();
            // The operation's own parameters override the path's.
            let shared = item.get("parameters").and_then(Value::as_array);
            let own = operation.get("parameters").and_then(Value::as_array);
            for param in shared
                .into_iter()
                .flatten()
                .chain(own.into_iter().flatten())
            {
                let param = spec::resolve(doc, param).value;
                let text = |key: &str| param.get(key).and_then(Value::as_str).map(str::to_owned);
                let (Some(name), Some(location)) = (text("name"), text("in")) else {
                    continue;
                };
                params.insert(
                    name.to_snake_case(),
                    Param {
                        required: param.get("required").and_then(Value::as_bool) == Some(true),
                        description: text("description"),
                        name,
                        location,
                    },
                );
            }
            let body = operation.get("requestBody").map(|body| {
                spec::resolve(doc, body)
                    .value
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            found.insert(
                id.to_upper_camel_case(),
                Operation {
                    id: id.to_owned(),
                    summary: operation
                        .get("summary")
                        .and_then(Value::as_str)
                        .map(|summary| summary.trim().trim_end_matches('.').to_owned()),
                    params,
                    body,
                },
            );
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /v1/{project_id}/things:
    parameters:
      - name: project_id
        in: path
        required: true
        description: The project.
        schema: {type: string}
    post:
      operationId: CreateThing
      summary: Make a thing.
      parameters:
        - name: dryRun
          in: query
          description: Only check.
          schema: {type: boolean}
      requestBody:
        description: The thing.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201': {description: made}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: string}
"#;

    fn docs_of(spec: &str) -> Result<BTreeMap<String, Vec<String>>> {
        let spec = spec::parse(spec, "test.yaml")?;
        let mut generator = progenitor::Generator::new(
            progenitor::GenerationSettings::new()
                .with_interface(progenitor::InterfaceStyle::Builder),
        );
        let mut file: syn::File = syn::parse2(generator.generate_tokens(&spec.openapi)?)?;
        document_setters(&mut file, &spec)?;
        let mut out = BTreeMap::new();
        let builders = file.items.iter().find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, i)| i),
            _ => None,
        });
        for item in builders.into_iter().flatten() {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            for member in &block.items {
                let syn::ImplItem::Fn(method) = member else {
                    continue;
                };
                let lines = method
                    .attrs
                    .iter()
                    .filter_map(|attr| match &attr.meta {
                        syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => {
                            Some(nv.value.to_token_stream().to_string())
                        }
                        _ => None,
                    })
                    .collect();
                out.insert(method.sig.ident.to_string(), lines);
            }
        }
        Ok(out)
    }

    #[test]
    fn every_setter_gets_the_specs_description() {
        let docs = docs_of(SPEC).unwrap();
        for setter in ["new", "project_id", "dry_run", "body", "body_map", "send"] {
            assert!(!docs[setter].is_empty(), "{setter} has no docs: {docs:#?}");
        }
        assert_eq!(docs["project_id"][0], r#"" The project.""#);
        assert!(docs["project_id"][2].contains("path parameter `project_id` (required)"));
        assert_eq!(docs["dry_run"][0], r#"" Only check.""#);
        assert!(docs["dry_run"][2].contains("query parameter `dryRun` (optional)"));
        assert_eq!(docs["body"][0], r#"" The thing.""#);
        assert!(
            docs["body"][2].contains("[`Thing`](types::Thing)"),
            "{:?}",
            docs["body"]
        );
        assert!(docs["body_map"][2].contains("[`Thing`](types::builder::Thing)"));
        assert!(docs["new"][2].contains("Make a thing."));
    }

    #[test]
    fn a_parameter_without_a_description_still_gets_what_it_takes() {
        let undescribed = SPEC.replace("          description: Only check.\n", "");
        let docs = docs_of(&undescribed).unwrap();
        assert_eq!(docs["dry_run"].len(), 1, "{:?}", docs["dry_run"]);
        assert!(docs["dry_run"][0].contains("query parameter `dryRun` (optional)"));
    }

    #[test]
    fn a_builder_no_operation_matches_fails_the_generation() {
        let spec = spec::parse(SPEC, "test.yaml").unwrap();
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                pub struct Unknown<'a>(&'a ());
                impl<'a> Unknown<'a> {
                    pub fn new() {}
                }
            }
        };
        let err = document_setters(&mut file, &spec).unwrap_err();
        assert_eq!(
            err.to_string(),
            "builder::Unknown: no operation of the spec has this name"
        );
    }
}
