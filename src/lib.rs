//! mcpgen: OpenAPI descriptions in, production MCP server crates out.
//!
//! The core is pure: [`generate`] turns a loaded [`load::Document`] and [`settings::Settings`] into
//! an [`Output`] of files and diagnostics, touching no file system. Data flows one way:
//! [`load`] -> [`lower`] -> [`emit`]; only the CLI writes files.

pub mod changelog;
pub mod config_location;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod init;
pub mod ir;
pub mod listing;
pub mod load;
pub mod lock;
pub mod lower;
pub mod manifest;
pub mod naming;
pub mod render;
pub mod settings;
pub mod surface;

use std::collections::BTreeMap;

use diag::{Diagnostic, SkipReason};
use ir::Api;
use load::Document;
use settings::Settings;

/// What generating one API produces.
#[derive(Debug, Clone)]
pub struct Output {
    /// The lowered API.
    pub api: Api,
    /// Files of the generated crate, by path relative to its folder. Empty when there are errors.
    pub files: BTreeMap<String, String>,
    /// Every diagnostic of loading and lowering, located, in a stable order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Output {
    /// Whether any diagnostic is an error (then no files are produced).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Operations that did not become tools, counted by reason.
    pub fn skipped(&self) -> BTreeMap<SkipReason, usize> {
        let mut skipped = BTreeMap::new();
        for reason in self.diagnostics.iter().filter_map(|d| d.skipped) {
            *skipped.entry(reason).or_insert(0) += 1;
        }
        skipped
    }

    /// How many operations became tools and how many were skipped, by reason: `12 tools, 2
    /// operations skipped (1 unresolved $ref, 1 request body media type not supported)`.
    pub fn tool_summary(&self) -> String {
        let skipped = self.skipped();
        let total: usize = skipped.values().sum();
        let mut summary = format!("{} tools, {total} operations skipped", self.api.tools().count());
        if total > 0 {
            let reasons: Vec<String> =
                skipped.iter().map(|(reason, count)| format!("{count} {}", reason.label())).collect();
            summary.push_str(&format!(" ({})", reasons.join(", ")));
        }
        summary
    }
}

/// Generates the MCP server crate for one API.
pub fn generate(document: &Document, settings: &Settings) -> Output {
    generate_merged(std::slice::from_ref(document), settings)
}

/// Generates one MCP server crate from the spec files of one API (at least one), merged: each
/// file's paths under its own base path, tool-name clashes settled by file order and reported.
/// The OAuth2 token operation the settings name is looked for in every file.
pub fn generate_merged(documents: &[Document], settings: &Settings) -> Output {
    let (api, mut diagnostics) = lower_merged(documents, settings);
    let mut files = BTreeMap::new();
    if !diagnostics.iter().any(Diagnostic::is_error) {
        match emit::emit(&api) {
            Ok(emitted) => files = emitted,
            Err(message) => {
                let bug = Diagnostic::error("#", message, "this is a bug in mcpgen; please report it with the spec");
                diagnostics.extend(documents.first().map(|document| document.locate(bug)));
            }
        }
    }
    Output { api, files, diagnostics }
}

/// Lowers the spec files of one API, merged, without emitting its crate: the API and every
/// diagnostic, as [`generate_merged`] gives them.
pub fn lower_merged(documents: &[Document], settings: &Settings) -> (Api, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut parts = Vec::new();
    let token_file = settings
        .oauth2_token_operation
        .as_deref()
        .and_then(|id| documents.iter().position(|document| lower::has_operation_id(&document.spec, id)));
    for (index, document) in documents.iter().enumerate() {
        let mut part_settings = settings.clone();
        if token_file.is_some_and(|file| file != index) || (token_file.is_none() && index > 0) {
            part_settings.oauth2_token_operation = None;
        }
        let (api, lowered) = lower::lower(document, &part_settings);
        diagnostics.extend(document.diagnostics.iter().cloned());
        diagnostics.extend(lowered.into_iter().map(|d| document.locate(d)));
        let server = lower::server_url(&document.spec);
        parts.push(lower::Part { api, file: document.file.clone(), server });
    }
    let (mut api, merged) = lower::merge(parts);
    diagnostics.extend(merged.into_iter().filter_map(|(index, d)| documents.get(index).map(|doc| doc.locate(d))));
    let failed_to_load = documents.iter().any(|document| document.diagnostics.iter().any(Diagnostic::is_error));
    if let Some(first) = documents.first() {
        let checked = lower::settings_diagnostics(&api, settings, failed_to_load);
        diagnostics.extend(checked.into_iter().map(|d| first.locate(d)));
    }
    diagnostics.extend(lower::apply_profiles(&mut api, settings));
    (api, diagnostics)
}
