//! Profiles of `mcpgen.toml` resolved against a spec's tools: selectors by tool name, operationId,
//! tag, path and method; exclusions and renames; and a located diagnostic for every mistake.

mod common;

use mcpgen::Output;
use mcpgen::settings::ProjectConfig;

/// Generates the repository's Cliniko spec with `profiles` (TOML) added to its settings.
fn cliniko_with(profiles: &str) -> Output {
    let text = format!("[apis.cliniko]\nspec = \"specs/cliniko.yaml\"\nout = \"x\"\n{profiles}");
    let config = ProjectConfig::parse(&text).expect("the test's TOML parses");
    let job = config.jobs(&common::root()).remove(0);
    common::generate_job(&job)
}

fn profile<'a>(output: &'a Output, name: &str) -> Vec<(&'a str, &'a str)> {
    let profile = output.api.profiles.iter().find(|profile| profile.name == name).expect("the profile exists");
    profile.tools.iter().map(|tool| (tool.name.as_str(), tool.tool.as_str())).collect()
}

#[test]
fn selectors_exclusions_and_renames_make_the_profile() {
    let output = cliniko_with(
        r#"
        default_profile = "voice"
        [apis.cliniko.profiles.voice]
        description = "Phone agent"
        include = ["list_patients", { tool = "create_patient" }, { tag = "Individual Appointment", method = "{POST,DELETE}" }, { operation = "ListIndividualAppointments*" }]
        exclude = [{ path = "/individual_appointments/*/cancel" }]
        rename = { create_individual_appointment = "book_appointment" }

        [apis.cliniko.profiles.reading]
        include = [{ method = "get", path = "/patients*" }]
        "#,
    );
    assert!(!output.has_errors(), "{:#?}", output.diagnostics);
    assert!(output.diagnostics.iter().all(|d| d.file != "mcpgen.toml"), "{:#?}", output.diagnostics);
    assert_eq!(
        profile(&output, "voice"),
        [
            ("book_appointment", "create_individual_appointment"),
            ("create_patient", "create_patient"),
            ("delete_individual_appointment", "delete_individual_appointment"),
            ("list_individual_appointments", "list_individual_appointments"),
            ("list_patients", "list_patients"),
        ]
    );
    assert_eq!(profile(&output, "reading"), [("get_patient", "get_patient"), ("list_patients", "list_patients")]);
    assert_eq!(output.api.default_profile, "voice");
    let api_rs = &output.files["src/api.rs"];
    assert!(api_rs.contains(r#"("create_individual_appointment", "book_appointment")"#), "{api_rs}");
    assert!(api_rs.contains(r#"default_profile: "voice""#));
    let readme = &output.files["README.md"];
    assert!(
        readme.contains("### Profile `voice` (5 tools)")
            && readme.contains("`book_appointment` (the tool `create_individual_appointment`)")
    );
}

#[test]
fn every_mistake_is_a_diagnostic_located_in_mcpgen_toml() {
    let output = cliniko_with(
        r#"
        default_profile = "front_desk"
        [apis.cliniko.profiles.all]
        include = ["list_patients"]
        [apis.cliniko.profiles.typo]
        include = ["list_patients", "list_patient"]
        exclude = [{ tag = "Nothing*" }]
        rename = { get_patient = "x" }
        [apis.cliniko.profiles.empty_selector]
        include = [{}]
        [apis.cliniko.profiles.bad_glob]
        include = [{ path = "/patients/[" }]
        [apis.cliniko.profiles.clash]
        include = ["list_patients", "get_patient"]
        rename = { get_patient = "list_patients" }
        [apis.cliniko.profiles.bad_name]
        include = ["list_patients"]
        rename = { list_patients = "List Patients" }
        [apis.cliniko.profiles.nothing]
        include = ["no_such_tool"]
        [apis.cliniko.profiles."two words"]
        include = ["list_patients"]
        "#,
    );
    assert!(output.has_errors());
    let ours: Vec<_> = output.diagnostics.iter().filter(|d| d.file == "mcpgen.toml").collect();
    let rendered: Vec<String> = ours.iter().map(|d| d.to_string()).collect();
    insta::assert_snapshot!(rendered.join("\n\n"));
    assert!(output.files.is_empty(), "errors write nothing");
    assert!(ours.iter().all(|d| d.pointer.starts_with("apis.cliniko.")));
    let typo = profile(&output, "typo");
    assert_eq!(typo, [("list_patients", "list_patients")], "warnings keep the profile");
}
