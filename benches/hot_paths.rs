//! The per-call work of a generated server, piece by piece, on the benchmark's clinic API
//! (`benches/server/clinic.yaml`): checking a booking's arguments against its validation schema,
//! building the upstream request, and turning the upstream answer into a tool result. (Tool
//! search has its own bench, `search`.) Run with `cargo bench --bench hot_paths`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpgen::settings::Settings;
use mcpgen_runtime::descriptor::{ApiDescriptor, AuthSpec, ToolSpec};
use mcpgen_runtime::request::UpstreamRequest;
use mcpgen_runtime::results::{self, CallContext};
use mcpgen_runtime::upstream::UpstreamResponse;
use mcpgen_runtime::validate::Schema;
use serde_json::{Map, Value, json};

/// The upstream's answer in the server benchmark.
const PATIENT: &str = r#"{"id":"1","first_name":"Ada","last_name":"Lovelace","date_of_birth":"1815-12-10","email":"ada@example.com","phone":"+61 2 5550 1234"}"#;

static API: ApiDescriptor = ApiDescriptor {
    crate_name: "clinic-mcp",
    title: "Clinic",
    version: "1.0.0",
    env_prefix: "CLINIC",
    default_base_url: Some("https://api.clinic.example/v1"),
    auth: &[AuthSpec::Bearer { token_var: "CLINIC_TOKEN" }],
    injected: &[],
    default_vars: &[],
    rate_limit_rps: 10.0,
    rate_limit_burst: 20,
    cache_ttl_seconds: 0,
    user_agent: None,
    shard: None,
    prompts: &[],
    profiles: &[],
    default_profile: "all",
    shared_schemas: &[],
};

/// `get_patient`, as its generated module builds it.
fn build_get_patient(arguments: Map<String, Value>) -> Result<UpstreamRequest, String> {
    let id = arguments.get("id").and_then(Value::as_str).ok_or("id")?;
    let mut request = UpstreamRequest::new(reqwest::Method::GET);
    request.push_literal("/patients/");
    request.push_segment("id", id);
    Ok(request)
}

static GET_PATIENT: ToolSpec = ToolSpec {
    name: "get_patient",
    title: Some("Get a patient"),
    description: "Get a patient.",
    input_schema: r#"{"type":"object"}"#,
    validation: r#"{"type":"object"}"#,
    method: "GET",
    path: "/patients/{id}",
    tags: &[],
    read_only: true,
    destructive: false,
    idempotent: true,
    idempotency_key: None,
    cacheable: false,
    defaults: &[],
    build: build_get_patient,
};

/// The validation schema mcpgen lowers for the clinic's `book_appointment`.
fn booking_schema() -> Value {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/server/clinic.yaml");
    let (api, _) = mcpgen::lower::lower(&mcpgen::load::load_file(&spec), &Settings::new("clinic"));
    api.tools()
        .find(|tool| tool.name == "book_appointment")
        .map(|tool| tool.validation_schema.clone())
        .unwrap_or_default()
}

fn hot_paths(c: &mut Criterion) {
    let schema = Schema::from_value(&booking_schema()).unwrap_or_else(|e| panic!("{e}"));
    let booking = json!({
        "patient_id": "1752849161776013508",
        "practitioner_id": "1752849161776013509",
        "starts_at": "2026-12-01T10:00:00+10:00",
        "notes": "First visit."
    });
    assert!(schema.check(&mut booking.clone()).is_empty(), "the booking is valid");
    c.bench_function("validate a booking (4 fields, a date-time to normalize)", |b| {
        b.iter(|| schema.check(&mut booking.clone()))
    });

    let arguments: Map<String, Value> = json!({"id": "1"}).as_object().cloned().unwrap_or_default();
    c.bench_function("build the upstream request of get_patient", |b| {
        b.iter(|| (GET_PATIENT.build)(arguments.clone()))
    });

    let call = CallContext { api: &API, tool: &GET_PATIENT, path_params: &[("id", "1".to_string())] };
    c.bench_function("turn a 200 answer (a patient) into a tool result", |b| {
        b.iter(|| {
            let response = UpstreamResponse {
                status: reqwest::StatusCode::OK,
                body: PATIENT.as_bytes().to_vec(),
                truncated: false,
                redirect_to: None,
                content_type: Some("application/json".into()),
                retry_after_seconds: None,
            };
            results::from_response(&call, response)
        })
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
