//! `cargo xtask generate`: spec → progenitor → prettyplease → the client
//! (`generated.rs`), and spec → [`crate::codegen::rules`] → its rules (`rules.rs`)
//! and its path parameters' rules and types (`params.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use progenitor::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl, TypePatch,
};
use quote::{ToTokens as _, quote};

use crate::codegen::spec::{self, Spec};
use crate::codegen::syntax::idents;
use crate::paths;

/// Whether to write the generated file or only compare it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// Every path comes from `root`, the workspace found at run time, and the
/// messages print them in full, so that a run names the checkout it acted on.
pub fn run(root: &Path, mode: Mode) -> Result<()> {
    let spec_path = root.join(paths::SPEC);
    let spec = spec::load(&spec_path, &spec_path.display().to_string())?;
    let files = render_all(&spec)?;
    match mode {
        Mode::Write => {
            for (path, code) in &files {
                let target = root.join(path);
                if write_if_changed(&target, code.as_bytes())? {
                    println!(
                        "generated {} ({} bytes) from {}",
                        target.display(),
                        code.len(),
                        spec_path.display()
                    );
                } else {
                    println!(
                        "{} is up to date with {}",
                        target.display(),
                        spec_path.display()
                    );
                }
            }
            Ok(())
        }
        Mode::Check => check_all_fresh(root, &files),
    }
}

/// Every generated file: its path relative to the root, and its text.
pub fn render_all(spec: &Spec) -> Result<[(&'static str, String); 3]> {
    Ok([
        (paths::GENERATED, render(spec)?),
        (paths::PARAMS, render_params(spec)?),
        (paths::RULES, render_rules(spec)?),
    ])
}

/// Checks every generated file, reporting each stale one with its diff.
pub fn check_all_fresh(root: &Path, files: &[(&'static str, String)]) -> Result<()> {
    let stale: Vec<String> = files
        .iter()
        .filter_map(|(path, code)| check_fresh(&root.join(path), code).err())
        .map(|err| err.to_string())
        .collect();
    if stale.is_empty() {
        Ok(())
    } else {
        bail!(stale.join("\n"))
    }
}

/// The JSON-Schema derive of the generated types, behind the client crate's
/// non-default `schemars` feature: the type snapshots use it, a dependant
/// need not build schemars.
const SCHEMARS_DERIVE: &str = r#"#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]"#;

/// What a response-only type gets: a field or variant the service adds
/// later is then a minor change for dependants (they read these types, and
/// build them through `T::builder()` in tests), where it would otherwise
/// break every struct literal and exhaustive `match`.
const NON_EXHAUSTIVE: &str = "#[non_exhaustive]";

/// The settings of the generator: part of the source of the generated file.
/// `patched` lists the generated types to annotate, with whether each is
/// response-only (see [`response_only_types`]).
fn settings(spec: &Spec, patched: &BTreeMap<String, bool>) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // Builder style, as in Oxide's SDK: `client.op().cluster_id(..).send()`.
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The runtime (signing, retries) lives in the hand-written crate; a
        // missing `ClientHooks` impl must be a compile error, not a silent
        // unsigned client.
        .with_inner_type(quote!(crate::Runtime))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq")
        // Error bodies come in three shapes (`ErrorBody`, with a `not` that
        // typify cannot turn into a type); the runtime normalises each into
        // `ErrorResponse` before decoding (`body.rs`), so that is the error
        // type of every operation.
        .with_replacement(
            "ErrorBody",
            "crate::types::ErrorResponse",
            std::iter::empty(),
        )
        .with_replacement(
            "NestedErrorResponse",
            "::serde_json::Map<::std::string::String, ::serde_json::Value>",
            [TypeImpl::Default].into_iter(),
        );
    // The path parameters' types are generated with their rules (`params.rs`),
    // which check their patterns without typify's regex engine; the client
    // crate re-exports them in `types`.
    for name in crate::codegen::rules::path_param_types(spec) {
        settings.with_replacement(
            &name,
            format!("crate::types::{name}"),
            [TypeImpl::FromStr].into_iter(),
        );
    }
    // Other constrained strings (IAM names) stay plain strings
    // (`vec!["alice".into()]`): their rule is checked by the generated rules
    // before sending (and by the server), not by a newtype every caller
    // would have to build, nor by typify's regex engine.
    for name in rule_checked_strings(spec) {
        settings.with_replacement(
            &name,
            "::std::string::String",
            [TypeImpl::Default, TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    // progenitor sets attributes per type name (one patch per name).
    for (name, response_only) in patched {
        let mut patch = TypePatch::default();
        patch.with_attr(SCHEMARS_DERIVE);
        if *response_only {
            patch.with_attr(NON_EXHAUSTIVE);
        }
        settings.with_patch(name, &patch);
    }
    settings
}

/// Generates the complete file text, header included. Deterministic: the same
/// spec gives the same bytes.
///
/// Two passes: the first finds the types progenitor emits and which of them
/// only come back from the service; the second emits them with their
/// attributes (the JSON-Schema derive on every type, `#[non_exhaustive]` on
/// the response-only ones). Inline schemas get their generated names in the
/// first pass, so they are covered as named ones are.
pub fn render(spec: &Spec) -> Result<String> {
    let first = generate_file(spec, &BTreeMap::new())?;
    let response_only = response_only_types(&first);
    let patched: BTreeMap<String, bool> = declared_types(&first)
        .into_keys()
        .map(|name| {
            let only = response_only.contains(&name);
            (name, only)
        })
        .collect();
    let mut file = generate_file(spec, &patched)?;
    crate::codegen::builder_docs::document_setters(&mut file, spec)?;
    crate::codegen::send_path::slim_send_paths(&mut file)?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{}{body}", header()))
}

fn generate_file(spec: &Spec, patched: &BTreeMap<String, bool>) -> Result<syn::File> {
    let mut generator = Generator::new(&settings(spec, patched));
    let tokens = generator
        .generate_tokens(&without_patterns(spec)?)
        .map_err(|err| anyhow!("{}: progenitor cannot generate a client: {err}", spec.name))?;
    syn::parse2(tokens).context("progenitor produced code that does not parse")
}

/// The component schemas that are strings with a rule the generated rules
/// check (`minLength`, `maxLength`, `pattern`; no `enum` or `format`, which
/// give their own types), other than the parameters' (a path parameter's
/// has a newtype of its own in `params.rs`; when the rules cannot be
/// generated, progenitor's newtype keeps its name for the spec review).
fn rule_checked_strings(spec: &Spec) -> Vec<String> {
    let params = parameter_schemas(&spec.json);
    let schemas = spec
        .json
        .pointer("/components/schemas")
        .and_then(|s| s.as_object());
    schemas
        .into_iter()
        .flatten()
        .filter(|(name, schema)| {
            schema.get("type").and_then(|t| t.as_str()) == Some("string")
                && ["minLength", "maxLength", "pattern"]
                    .iter()
                    .any(|keyword| schema.get(keyword).is_some())
                && schema.get("enum").is_none()
                && schema.get("format").is_none()
                && !params.contains(name.as_str())
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The component schemas that parameters refer to: those of
/// `components.parameters` and of the parameters written in `paths`.
fn parameter_schemas(doc: &serde_json::Value) -> BTreeSet<&str> {
    let in_paths = doc
        .get("paths")
        .and_then(|p| p.as_object())
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| {
            let operations = item
                .as_object()
                .into_iter()
                .flat_map(|item| item.values())
                .filter_map(|op| op.get("parameters"));
            item.get("parameters").into_iter().chain(operations)
        })
        .filter_map(|list| list.as_array())
        .flatten();
    let components = doc
        .pointer("/components/parameters")
        .and_then(|p| p.as_object())
        .into_iter()
        .flat_map(|p| p.values());
    in_paths
        .chain(components)
        .filter_map(|param| param.pointer("/schema/$ref")?.as_str())
        .filter_map(|target| target.strip_prefix("#/components/schemas/"))
        .collect()
}

/// The spec as progenitor reads it: without `pattern`s, which the generated
/// rules check (DFA tables, [`crate::codegen::pattern`]). typify would otherwise make
/// every string with a pattern a newtype checked with a regex engine
/// (`regress`) that the client would have to depend on. (A key `pattern`
/// whose value is a string is the keyword; a property named `pattern` has
/// a schema object as its value and stays.)
fn without_patterns(spec: &Spec) -> Result<openapiv3::OpenAPI> {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("pattern").is_some_and(serde_json::Value::is_string) {
                    map.remove("pattern");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut json = spec.json.clone();
    strip(&mut json);
    serde_json::from_value(json).with_context(|| {
        format!(
            "{}: the spec without its patterns does not parse",
            spec.name
        )
    })
}

/// The structs and enums of the generated `types` module, each with the
/// names of the identifiers its fields and variants mention.
fn declared_types(file: &syn::File) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let types = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    for item in types.into_iter().flatten() {
        let (name, body) = match item {
            syn::Item::Struct(s) => (&s.ident, s.fields.to_token_stream()),
            syn::Item::Enum(e) => (&e.ident, e.variants.to_token_stream()),
            _ => continue,
        };
        out.insert(name.to_string(), idents(body));
    }
    out
}

/// The generated types that no request reaches: not a parameter or body of
/// any operation builder's setters (every method but `new` and `send`), nor
/// a field or variant of one of those, transitively. Callers only read them
/// (a decoded answer), so they can be non-exhaustive; request types stay
/// exhaustive, so that `T { field, ..Default::default() }` keeps working.
pub fn response_only_types(file: &syn::File) -> BTreeSet<String> {
    let declared = declared_types(file);
    let builders = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for item in builders.into_iter().flatten() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &block.items {
            if let syn::ImplItem::Fn(method) = member
                && method.sig.ident != "new"
                && method.sig.ident != "send"
            {
                let mentioned = idents(method.sig.to_token_stream());
                reached.extend(mentioned.into_iter().filter(|n| declared.contains_key(n)));
            }
        }
    }
    let mut pending: Vec<String> = reached.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        for inner in declared.get(&name).into_iter().flatten() {
            if declared.contains_key(inner) && reached.insert(inner.clone()) {
                pending.push(inner.clone());
            }
        }
    }
    declared
        .into_keys()
        .filter(|name| !reached.contains(name))
        .collect()
}

/// Generates the rules module, header included. Deterministic too.
pub fn render_rules(spec: &Spec) -> Result<String> {
    let tokens = crate::codegen::rules::render_tokens(spec)
        .map_err(|err| anyhow!("{}: cannot generate the rules: {err:#}", spec.name))?;
    unparse(tokens)
}

/// Generates the path parameters' module (rules and newtypes), header
/// included. Deterministic too.
pub fn render_params(spec: &Spec) -> Result<String> {
    let tokens = crate::codegen::rules::render_param_tokens(spec).map_err(|err| {
        anyhow!(
            "{}: cannot generate the path parameters: {err:#}",
            spec.name
        )
    })?;
    unparse(tokens)
}

fn unparse(tokens: proc_macro2::TokenStream) -> Result<String> {
    let file: syn::File =
        syn::parse2(tokens).context("the rules generator produced code that does not parse")?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{}{body}", header()))
}

fn header() -> String {
    format!(
        "\
// @generated by `cargo xtask generate` from `{spec}`.
// Do not modify this file by hand: edit the spec (or the generator settings in
// `xtask/src/codegen/generate.rs`) and run `cargo xtask generate`.
#![allow(clippy::all, clippy::pedantic, missing_docs, unused_imports)]

",
        spec = paths::SPEC
    )
}

/// Writes `bytes` to `target` through a temporary file and a rename, so that
/// a reader never sees half a file; does nothing when the bytes are the same.
/// Returns whether it wrote.
pub fn write_if_changed(target: &Path, bytes: &[u8]) -> Result<bool> {
    if std::fs::read(target).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let dir = target.parent().context("the target has no parent folder")?;
    let name = target.file_name().context("the target has no file name")?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        use std::io::Write;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, target)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err).with_context(|| format!("cannot write {}", target.display()));
    }
    Ok(true)
}

/// Fails with a unified diff when the file on disk differs from `fresh`.
pub fn check_fresh(target: &Path, fresh: &str) -> Result<()> {
    let shown = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let current = std::fs::read_to_string(target).unwrap_or_default();
    if current == fresh {
        println!("{} is fresh", target.display());
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(current.as_str(), fresh);
    print!(
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{shown}"), &format!("b/{shown} (from the spec)"))
    );
    bail!(
        "{} is stale: it does not match the spec; run `cargo xtask generate` and commit the result",
        target.display()
    )
}
