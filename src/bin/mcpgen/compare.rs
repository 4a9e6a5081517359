//! `mcpgen diff`: what changes for a client that calls the tools, between two specs, or between
//! an API as last generated and its specs now.

use clap::ValueEnum;
use mcpgen::diff::{self, Report};
use mcpgen::load::Document;
use mcpgen::settings::{ApiJob, Settings, SpecSource};
use mcpgen::surface::Surface;

use crate::Exit;
use crate::fetch::Fetcher;
use crate::generate::print_json;
use crate::project::{self, load_source, load_spec, spec_source};
use crate::ui::Ui;
use crate::write::read_surface;

/// Which changes make `mcpgen diff` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// None: report only.
    #[default]
    Never,
    /// A change that may break a client or a deployment.
    Breaking,
}

/// Compares the tools of two specs (files or URLs), lowered with default settings under one name.
pub fn specs(
    old: &str,
    new: &str,
    name: Option<String>,
    fetcher: &dyn Fn() -> Result<Fetcher, String>,
    ui: &Ui,
) -> Result<Report, Exit> {
    let settings = Settings::new(name.unwrap_or_else(|| project::file_stem(old)));
    let mut surfaces = Vec::new();
    for spec in [old, new] {
        let document = load_spec(spec, fetcher).map_err(|message| fail(ui, &message))?;
        surfaces.push(surface(&[document], &settings, ui)?);
    }
    Ok(diff::diff(&surfaces[0], &surfaces[1]))
}

/// Compares an API as last generated (the surface its crate recorded) with its specs now: files as
/// they are, and URLs fetched again (or, `offline`, the copies `mcpgen update` kept).
pub fn api(
    job: &ApiJob,
    offline: bool,
    fetcher: &dyn Fn() -> Result<Fetcher, String>,
    ui: &Ui,
) -> Result<Report, Exit> {
    let name = &job.settings.name;
    let recorded = read_surface(&job.out).map_err(|message| fail(ui, &message))?.ok_or_else(|| {
        fail(ui, &format!("{name} has not been generated into {} yet; run `mcpgen generate` first", job.out.display()))
    })?;
    let mut documents = Vec::new();
    for source in &job.specs {
        let source = match source {
            SpecSource::Url { url, .. } if !offline => {
                spec_source(url, fetcher).map_err(|message| fail(ui, &message))?
            }
            source => source.clone(),
        };
        documents.push(load_source(&source));
    }
    let now = surface(&documents, &job.settings, ui)?;
    Ok(diff::diff(&recorded, &now))
}

/// Prints `report` and says how to exit.
pub fn print(report: &Report, fail_on: FailOn, ui: &Ui) -> Exit {
    if ui.json {
        print_json(report);
    } else {
        print!("{}", report.render());
    }
    if fail_on == FailOn::Breaking && !report.breaking.is_empty() {
        if !ui.json {
            ui.error(format!("{} breaking changes (--fail-on breaking)", report.breaking.len()));
        }
        return Exit::Changed;
    }
    Exit::Success
}

fn surface(documents: &[Document], settings: &Settings, ui: &Ui) -> Result<Surface, Exit> {
    let (api, diagnostics) = mcpgen::lower_merged(documents, settings);
    if diagnostics.iter().any(mcpgen::diag::Diagnostic::is_error) {
        ui.diagnostics(&diagnostics);
        let file = documents.first().map_or("", |document| document.file.as_str());
        return Err(fail(ui, &format!("{file} does not generate; see the errors above")));
    }
    Ok(Surface::of(&api))
}

fn fail(ui: &Ui, message: &str) -> Exit {
    ui.error(message);
    Exit::Invalid
}
