//! `mcpgen inspect`: the tools a spec or an API gives, the size of their list per profile and
//! mode, and the diagnostics.

use mcpgen::listing;
use mcpgen::settings::ApiJob;
use serde::Serialize;

use crate::Exit;
use crate::generate::print_json;
use crate::project;
use crate::ui::Ui;

#[derive(Serialize)]
struct ToolRow<'a> {
    name: &'a str,
    method: &'static str,
    path: &'a str,
    parameters: usize,
}

#[derive(Serialize)]
struct ProfileRow {
    profile: String,
    tools: usize,
    all_bytes: usize,
    discovery_bytes: usize,
    auto: &'static str,
}

/// Prints what `job` generates; exits 2 on errors (or warnings when `strict`).
pub fn inspect(job: &ApiJob, output: &mcpgen::Output, strict: bool, ui: &Ui) -> Exit {
    ui.diagnostics(&output.diagnostics);
    let tools: Vec<ToolRow> = output
        .api
        .tools()
        .map(|tool| ToolRow {
            name: &tool.name,
            method: tool.method.as_str(),
            path: &tool.path,
            parameters: tool.fields.len(),
        })
        .collect();
    let profiles: Vec<ProfileRow> = listing::profiles(&output.api)
        .into_iter()
        .map(|profile| ProfileRow {
            auto: profile.auto_mode(),
            profile: profile.profile,
            tools: profile.tools,
            all_bytes: profile.all_bytes,
            discovery_bytes: listing::DISCOVERY_LIST_BYTES,
        })
        .collect();
    let (errors, warnings) = project::counts(&output.diagnostics);
    if ui.json {
        print_json(&serde_json::json!({
            "name": job.settings.name,
            "tools": tools,
            "profiles": profiles,
            "default_profile": output.api.default_profile,
            "skipped": output.skipped(),
            "diagnostics": output.diagnostics,
        }));
    } else {
        println!("{:<48} {:<7} {:<60} {:>6}", "TOOL", "METHOD", "PATH", "PARAMS");
        for tool in &tools {
            println!("{:<48} {:<7} {:<60} {:>6}", tool.name, tool.method, tool.path, tool.parameters);
        }
        println!();
        println!(
            "{:<24} {:>6} {:>12} {:>8} {:>16} {:>8}  AUTO",
            "PROFILE", "TOOLS", "ALL: BYTES", "TOKENS", "DISCOVERY: BYTES", "TOKENS"
        );
        for profile in &profiles {
            println!(
                "{:<24} {:>6} {:>12} {:>8} {:>16} {:>8}  {}",
                profile.profile,
                profile.tools,
                profile.all_bytes,
                profile.all_bytes / 4,
                profile.discovery_bytes,
                profile.discovery_bytes / 4,
                profile.auto
            );
        }
        println!(
            "(tokens are estimated at 4 bytes each; `auto` lists all up to {} tools and {} bytes, else discovery; default profile: {})",
            listing::AUTO_MAX_TOOLS,
            listing::AUTO_MAX_BYTES,
            output.api.default_profile
        );
        println!("{}; {errors} errors, {warnings} warnings", output.tool_summary());
    }
    if errors > 0 || (strict && warnings > 0) { Exit::Invalid } else { Exit::Success }
}
