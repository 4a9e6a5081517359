//! IR to files: Rust through quote and prettyplease, the rest through tera templates, the runtime
//! copied unchanged. Emitters read only the IR.

pub mod cases;
mod dashboard;
mod docs;
mod header;
mod lockfile;
mod rust;
mod shared;
mod templates;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;

use crate::ir::{Api, ToolGroup};

/// The runtime crate, copied into every generated crate as the crate `runtime/` it depends on, by
/// path in the generated crate. A crate of its own, it is compiled once: a changed spec rebuilds only
/// the API's tables.
const RUNTIME: &[(&str, &str)] = &[
    ("runtime/Cargo.toml", include_str!("../../runtime/Cargo.toml")),
    ("runtime/src/lib.rs", include_str!("../../runtime/src/lib.rs")),
    ("runtime/src/bodies.rs", include_str!("../../runtime/src/bodies.rs")),
    ("runtime/src/catalog.rs", include_str!("../../runtime/src/catalog.rs")),
    ("runtime/src/cli.rs", include_str!("../../runtime/src/cli.rs")),
    ("runtime/src/config.rs", include_str!("../../runtime/src/config.rs")),
    ("runtime/src/descriptor.rs", include_str!("../../runtime/src/descriptor.rs")),
    ("runtime/src/discovery.rs", include_str!("../../runtime/src/discovery.rs")),
    ("runtime/src/formats.rs", include_str!("../../runtime/src/formats.rs")),
    ("runtime/src/http.rs", include_str!("../../runtime/src/http.rs")),
    ("runtime/src/metrics.rs", include_str!("../../runtime/src/metrics.rs")),
    ("runtime/src/request.rs", include_str!("../../runtime/src/request.rs")),
    ("runtime/src/resilience.rs", include_str!("../../runtime/src/resilience.rs")),
    ("runtime/src/results.rs", include_str!("../../runtime/src/results.rs")),
    ("runtime/src/search.rs", include_str!("../../runtime/src/search.rs")),
    ("runtime/src/server.rs", include_str!("../../runtime/src/server.rs")),
    ("runtime/src/sessions.rs", include_str!("../../runtime/src/sessions.rs")),
    ("runtime/src/shared.rs", include_str!("../../runtime/src/shared.rs")),
    ("runtime/src/stdio.rs", include_str!("../../runtime/src/stdio.rs")),
    ("runtime/src/tls.rs", include_str!("../../runtime/src/tls.rs")),
    ("runtime/src/upstream.rs", include_str!("../../runtime/src/upstream.rs")),
    ("runtime/src/validate.rs", include_str!("../../runtime/src/validate.rs")),
];

/// Every file of the crate for `api`, by path relative to the crate folder.
pub fn emit(api: &Api) -> Result<BTreeMap<String, String>, String> {
    let header = header::text(api);
    let mut files = BTreeMap::new();
    for (path, text) in RUNTIME {
        let comment = if path.ends_with(".toml") { "#" } else { "//" };
        files.insert((*path).to_string(), format!("{comment} {header}\n{text}"));
    }
    files.insert("src/lib.rs".into(), format!("// {header}\n{}", include_str!("../../templates/lib.rs")));
    files.insert("src/main.rs".into(), rust_file(&header, rust::main_module(api))?);
    files.insert("src/api.rs".into(), rust_file(&header, rust::api_module(api))?);
    let (shared, groups) = shared_schemas(api);
    for (index, part) in schema_parts(&shared.texts).iter().enumerate() {
        files.insert(format!("src/schemas/part{}.rs", index + 1), rust_file(&header, rust::schemas_part(part))?);
    }
    let parts = schema_parts(&shared.texts).len();
    files.insert("src/schemas/mod.rs".into(), rust_file(&header, rust::schemas_module(parts))?);
    let mut taken: BTreeSet<String> = groups.iter().map(|group| group.module.clone()).collect();
    let mut modules = Vec::new();
    for group in groups {
        modules.extend(tool_modules(group, &header, &mut taken)?);
    }
    let groups: Vec<&ToolGroup> = modules.iter().map(|(group, _)| group).collect();
    files.insert("src/tools/mod.rs".into(), rust_file(&header, rust::tools_module(&groups))?);
    for (group, text) in modules {
        files.insert(format!("src/tools/{}.rs", group.module), text);
    }
    let cases = cases::cases(api);
    let valid = cases::valid_arguments(api);
    let fuzzed = sample(&valid, MAX_FUZZED_TOOLS);
    files.insert("tests/tools.rs".into(), rust_file(&header, rust::tests_module(api, &cases, &fuzzed))?);
    files.insert(
        "tests/support/mod.rs".into(),
        format!("// {header}\n{}", include_str!("../../templates/tests/support.rs")),
    );
    files.insert(
        "tests/support/faults.rs".into(),
        format!("// {header}\n{}", include_str!("../../templates/tests/faults.rs")),
    );
    if let Some(tokens) = rust::resilience_module(api, &valid) {
        files.insert("tests/resilience.rs".into(), rust_file(&header, tokens)?);
    }
    for (name, text) in templates::render(api)? {
        files.insert(name, text);
    }
    files.insert("Cargo.lock".into(), lockfile::lockfile(&api.crate_name)?);
    files.insert("deploy/grafana/dashboard.json".into(), dashboard::dashboard(api, &header)?);
    files.insert(".gitignore".into(), format!("# {header}\n/target\n.env\n"));
    files.extend(crate::surface::Surface::of(api).render(&header));
    Ok(files)
}

/// The largest generated source file: a tag whose module would be larger is split in parts.
const MAX_FILE_BYTES: usize = 1_000_000;

/// The most tools whose valid arguments `tests/tools.rs` lists for its random-arguments test (of
/// 256 cases): a huge API's whole table would pass 1 MB.
const MAX_FUZZED_TOOLS: usize = 500;

/// At most `most` of `items`, evenly spread.
fn sample<T: Clone>(items: &[T], most: usize) -> Vec<T> {
    let step = items.len().div_ceil(most.max(1)).max(1);
    items.iter().step_by(step).cloned().collect()
}

/// The tool groups as their modules store them: with the schema subtrees the tools share taken out
/// into the crate's table.
fn shared_schemas(api: &Api) -> (shared::Shared, Vec<ToolGroup>) {
    let mut groups = api.groups.clone();
    let mut schemas: Vec<&mut serde_json::Value> = groups
        .iter_mut()
        .flat_map(|group| group.tools.iter_mut())
        .flat_map(|tool| [&mut tool.input_schema, &mut tool.validation_schema])
        .collect();
    let shared = shared::Shared::extract(&mut schemas);
    (shared, groups)
}

/// The shared schema texts in parts of at most 90 % of [`MAX_FILE_BYTES`] (at least one part).
fn schema_parts(texts: &[String]) -> Vec<&[String]> {
    let mut parts = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, text) in texts.iter().enumerate() {
        if bytes + text.len() > MAX_FILE_BYTES * 9 / 10 && index > start {
            parts.push(&texts[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += text.len() * 11 / 10 + 8;
    }
    parts.push(&texts[start..]);
    parts
}

/// The module of a tag's tools with its text, or, when that passes [`MAX_FILE_BYTES`], parts of it
/// (`repos`, `repos_part2`, ...) of even tool counts, each split again until it fits (a part of one
/// tool is as small as it gets).
fn tool_modules(
    group: ToolGroup,
    header: &str,
    taken: &mut BTreeSet<String>,
) -> Result<Vec<(ToolGroup, String)>, String> {
    let text = rust_file(header, rust::group_module(&group))?;
    if text.len() <= MAX_FILE_BYTES || group.tools.len() < 2 {
        return Ok(vec![(group, text)]);
    }
    // Parts a little under the limit, so that most fit at the first try.
    let count = (text.len() / (MAX_FILE_BYTES * 9 / 10) + 1).min(group.tools.len());
    let per_part = group.tools.len().div_ceil(count);
    let base = group.module.clone();
    let mut parts = Vec::new();
    for (index, tools) in group.tools.chunks(per_part).enumerate() {
        let module = if index == 0 {
            base.clone()
        } else {
            let module =
                (2..).map(|n| format!("{base}_part{n}")).find(|name| !taken.contains(name)).unwrap_or_default();
            taken.insert(module.clone());
            module
        };
        let part = ToolGroup { module, tag: group.tag.clone(), tools: tools.to_vec() };
        parts.extend(tool_modules(part, header, taken)?);
    }
    Ok(parts)
}

/// Formats tokens as a Rust file with the `@generated` line first.
fn rust_file(header: &str, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|error| format!("internal error: generated Rust does not parse: {error}"))?;
    Ok(format!("// {header}\n{}", separate_items(&prettyplease::unparse(&file))))
}

/// A blank line between top-level items, which prettyplease packs together.
fn separate_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 16);
    let mut previous = "";
    for line in code.lines() {
        let starts_item = !line.starts_with([' ', '}', ')', ']']) && !line.is_empty();
        let after_item = previous == "}" || previous == "};" || previous.ends_with(';') && !previous.starts_with(' ');
        if starts_item && after_item && !previous.starts_with("//!") {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_bounded_and_spread() {
        let items: Vec<usize> = (0..1_188).collect();
        let sampled = sample(&items, 500);
        assert!(sampled.len() <= 500 && sampled.len() > 390, "{}", sampled.len());
        assert_eq!((sampled[0], sampled[1]), (0, 3));
        assert!(*sampled.last().unwrap() > 1_100, "the sample reaches the end");
        assert_eq!(sample(&items[..10], 500), items[..10]);
    }

    #[test]
    fn every_runtime_template_is_emitted() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| format!("runtime/src/{}", entry.unwrap().file_name().to_string_lossy()))
            .chain(["runtime/Cargo.toml".to_string()])
            .collect();
        on_disk.sort();
        let mut emitted: Vec<&str> = RUNTIME.iter().map(|(path, _)| *path).collect();
        emitted.sort_unstable();
        assert_eq!(on_disk, emitted);
    }
}
