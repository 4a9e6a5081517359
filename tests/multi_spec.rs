//! One API from several spec files (`spec = [...]`): paths under each file's base path, tool-name
//! clashes settled by file order and reported where they are, shared headers injected once, the
//! token operation of another file driving OAuth2, and a located error for files on other hosts.

mod common;

use std::path::PathBuf;

use mcpgen::ir::{Auth, Location};
use mcpgen::settings::{ApiJob, Settings, SpecSource};

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/multi").join(name)
}

fn job(files: &[&str], settings: Settings) -> ApiJob {
    ApiJob { specs: files.iter().map(|file| SpecSource::File(fixture(file))).collect(), out: PathBuf::new(), settings }
}

#[test]
fn modules_merge_into_one_server() {
    let mut settings = Settings::new("hotel");
    settings.with_oauth2_token_operation("getToken");
    settings.with_injected("x-hotelid", "HOTEL_HOTEL_ID").with_injected("x-app-key", "HOTEL_APP_KEY");
    let output = common::generate_job(&job(&["reservations.yaml", "rates.yaml", "oauth.yaml"], settings));
    assert!(!output.has_errors(), "{:#?}", output.diagnostics);
    let tools: Vec<(&str, &str)> = output.api.tools().map(|tool| (tool.name.as_str(), tool.path.as_str())).collect();
    assert_eq!(
        tools,
        [
            ("get_packages", "/rsv/v1/hotels/{hotelId}/packages"),
            ("rates_get_packages", "/rtp/v1/hotels/{hotelId}/packages"),
            ("get_reservation", "/rsv/v1/hotels/{hotelId}/reservations/{reservationId}"),
        ]
    );
    let clash: Vec<_> =
        output.diagnostics.iter().filter(|d| d.message.contains("is named `rates_get_packages`")).collect();
    assert_eq!(clash.len(), 1, "{:#?}", output.diagnostics);
    assert!(clash[0].file.ends_with("rates.yaml") && clash[0].position.is_some(), "{:?}", clash[0]);
    assert!(clash[0].message.contains("reservations.yaml has a tool of that name"));

    let injected: Vec<(&str, bool)> =
        output.api.injected.iter().map(|param| (param.wire_name.as_str(), param.required)).collect();
    assert_eq!(
        injected,
        [("x-hotelid", true), ("x-app-key", true)],
        "each header once, required where any file requires it"
    );
    assert!(output.api.injected.iter().all(|param| param.location == Location::Header));
    match output.api.auth.as_slice() {
        [Auth::OAuth2ClientCredentials { default_token_url, .. }] => {
            assert_eq!(default_token_url.as_deref(), Some("/oauth/v1/tokens"));
        }
        other => panic!("the token operation's OAuth2 stands for the other files' Authorization header: {other:?}"),
    }
    assert_eq!(output.api.default_base_url, None, "relative servers leave the host to PREFIX_BASE_URL");
    let warnings: Vec<_> = output.diagnostics.iter().filter(|d| d.message.contains("no tools")).collect();
    assert!(warnings.is_empty(), "the token file alone gives no tools, the API does: {warnings:#?}");
    let api_rs = &output.files["src/api.rs"];
    assert!(api_rs.contains("\"/oauth/v1/tokens\""), "{api_rs}");
}

#[test]
fn files_on_other_hosts_are_an_error() {
    let output = common::generate_job(&job(&["here.yaml", "elsewhere.yaml"], Settings::new("mixed")));
    let error = output.diagnostics.iter().find(|d| d.is_error()).expect("an error");
    assert!(error.message.contains("https://api.example.com, https://other.example.com"), "{error}");
    assert!(error.file.ends_with("here.yaml"));
    assert!(output.files.is_empty());
}

#[test]
fn files_on_one_server_keep_their_paths() {
    let output = common::generate_job(&job(&["here.yaml", "here.yaml"], Settings::new("twice")));
    assert!(!output.has_errors(), "{:#?}", output.diagnostics);
    let paths: Vec<&str> = output.api.tools().map(|tool| tool.path.as_str()).collect();
    assert_eq!(paths, ["/items", "/items"]);
    assert_eq!(output.api.default_base_url.as_deref(), Some("https://api.example.com/v1"));
    let names: Vec<&str> = output.api.tools().map(|tool| tool.name.as_str()).collect();
    assert_eq!(names, ["here_list_items", "list_items"]);
}
