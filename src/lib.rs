//! mcpgen: OpenAPI descriptions in, production MCP server crates out.
//!
//! The core is pure: [`generate`] turns a loaded [`load::Document`] and [`settings::Settings`] into
//! an [`Output`] of files and diagnostics, touching no file system. Data flows one way:
//! [`load`] -> [`lower`] -> [`emit`]; only the CLI writes files.

pub mod diag;
pub mod emit;
pub mod ir;
pub mod listing;
pub mod load;
pub mod lower;
pub mod manifest;
pub mod naming;
pub mod settings;

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
    let (mut api, lowered) = lower::lower(document, settings);
    let mut diagnostics = document.diagnostics.clone();
    diagnostics.extend(lowered.into_iter().map(|d| document.locate(d)));
    diagnostics.extend(lower::apply_profiles(&mut api, settings));
    let mut files = BTreeMap::new();
    if !diagnostics.iter().any(Diagnostic::is_error) {
        match emit::emit(&api) {
            Ok(emitted) => files = emitted,
            Err(message) => diagnostics.push(document.locate(Diagnostic::error(
                "#",
                message,
                "this is a bug in mcpgen; please report it with the spec",
            ))),
        }
    }
    Output { api, files, diagnostics }
}
