//! `mcpgen init`: start a project with a commented `mcpgen.toml`, for a spec or as a skeleton.

use std::path::Path;

use mcpgen::init::{FILE_HEADER, api_table, name_from_title};
use mcpgen::settings::{ProjectConfig, Settings, is_url};

use crate::Exit;
use crate::fetch::Fetcher;
use crate::project::{self, load_spec};
use crate::ui::Ui;

/// The table written when no spec is given.
const SKELETON: &str = r#"
# [apis.petstore]
# spec = "specs/petstore.yaml"      # a file relative to this one, or an https:// URL (`mcpgen update` fetches it)
# out = "generated/petstore-mcp"    # the crate folder; crate and binary `petstore-mcp`
# env_prefix = "PETSTORE"           # prefix of the server's environment variables
"#;

/// Writes `config` for `spec` (or a skeleton), or adds the spec's API to an existing one.
pub fn init(
    config: &Path,
    spec: Option<&str>,
    name: Option<String>,
    fetcher: &dyn Fn() -> Result<Fetcher, String>,
    ui: &Ui,
) -> Exit {
    let existing = std::fs::read_to_string(config).ok();
    let Some(spec) = spec else {
        if existing.is_some() {
            ui.error(format!("{} exists; `mcpgen init SPEC` adds an API to it", config.display()));
            return Exit::Invalid;
        }
        return write(config, &format!("{FILE_HEADER}{SKELETON}"), ui).map_or(Exit::Invalid, |()| {
            ui.say(format!("wrote {}; give it a spec, then run `mcpgen generate`", config.display()));
            Exit::Success
        });
    };
    let document = match load_spec(spec, fetcher) {
        Ok(document) => document,
        Err(message) => {
            ui.error(message);
            return Exit::Invalid;
        }
    };
    let name = name.unwrap_or_else(|| default_name(spec, &document.spec.info.title));
    let (api, diagnostics) = mcpgen::lower_merged(std::slice::from_ref(&document), &Settings::new(&name));
    if diagnostics.iter().any(mcpgen::diag::Diagnostic::is_error) {
        ui.diagnostics(&diagnostics);
        ui.error(format!("{spec} does not generate; nothing written"));
        return Exit::Invalid;
    }
    let relative = if is_url(spec) { spec.to_string() } else { relative_to_config(config, spec) };
    let table = api_table(&relative, &api);
    let text = match existing {
        Some(text) => {
            let known = ProjectConfig::parse(&text).map(|project| project.apis.contains_key(&name));
            if known.unwrap_or(false) {
                ui.error(format!("{} already has an API `{name}`; choose another with --name", config.display()));
                return Exit::Invalid;
            }
            format!("{}{table}", if text.ends_with('\n') { text } else { format!("{text}\n") })
        }
        None => format!("{FILE_HEADER}{table}"),
    };
    if let Err(message) = ProjectConfig::parse(&text) {
        ui.error(format!("the project file would not read back ({message}); nothing written"));
        return Exit::Invalid;
    }
    if write(config, &text, ui).is_err() {
        return Exit::Invalid;
    }
    let next = if is_url(spec) { format!("mcpgen update {name}") } else { "mcpgen generate".to_string() };
    ui.say(format!("wrote {}: API `{name}`, {} tools", config.display(), api.tools().count()));
    ui.say(format!(
        "next: `{next}`, then `cargo build --release --manifest-path generated/{}/Cargo.toml`",
        api.crate_name
    ));
    Exit::Success
}

/// The spec's file stem, unless it says nothing (`openapi.json`), then its title.
fn default_name(spec: &str, title: &str) -> String {
    const GENERIC: [&str; 7] = ["openapi", "swagger", "spec", "api", "schema", "docs", "index"];
    let stem = project::file_stem(spec).to_ascii_lowercase();
    let stem: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let stem = stem.trim_matches(['_', '-']);
    if stem.is_empty() || GENERIC.contains(&stem) || stem.starts_with(|c: char| c.is_ascii_digit()) {
        name_from_title(title, "api")
    } else {
        stem.to_string()
    }
}

fn write(config: &Path, text: &str, ui: &Ui) -> Result<(), ()> {
    std::fs::write(config, text).map_err(|error| ui.error(format!("cannot write {}: {error}", config.display())))
}

/// `spec` (relative to the working folder) relative to the folder of `config`, when it is inside it.
fn relative_to_config(config: &Path, spec: &str) -> String {
    let folder =
        std::path::absolute(config.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new(".")))
            .ok();
    let absolute = std::path::absolute(spec).ok();
    match (folder, absolute) {
        (Some(folder), Some(absolute)) => absolute
            .strip_prefix(&folder)
            .map_or(spec.to_string(), |relative| relative.to_string_lossy().replace('\\', "/")),
        _ => spec.to_string(),
    }
}
