//! Property tests of the runtime: whatever a caller, an upstream or an operator sends, nothing
//! panics, every bound holds, and what must never leave (a path segment's escape, a secret) does not.

use std::time::Duration;

use mcpgen_runtime::bodies::{FormStyle, form_pairs, xml_document};
use mcpgen_runtime::config::Config;
use mcpgen_runtime::descriptor::{ApiDescriptor, AuthSpec, InjectedSpec, ParamLocation, ToolSpec};
use mcpgen_runtime::request::UpstreamRequest;
use mcpgen_runtime::resilience::backoff;
use mcpgen_runtime::results::{self, CallContext};
use mcpgen_runtime::search::{SearchIndex, ToolText};
use mcpgen_runtime::upstream::{MAX_RETRY_AFTER_S, UpstreamResponse, retry_after};
use mcpgen_runtime::validate::Schema;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};

static API: ApiDescriptor = ApiDescriptor {
    crate_name: "test-mcp",
    title: "Test",
    version: "0.0.0",
    env_prefix: "TEST",
    default_base_url: None,
    auth: &[AuthSpec::Basic { username_var: "TEST_API_KEY", password_var: None }],
    injected: &[InjectedSpec {
        name: "x-hotelid",
        location: ParamLocation::Header,
        env_var: "TEST_HOTEL_ID",
        required: false,
        pattern: Some("^[A-Z0-9]+$"),
    }],
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

static TOOL: ToolSpec = ToolSpec {
    name: "get_patient",
    title: None,
    description: "Get a patient.",
    input_schema: "{}",
    validation: "{}",
    method: "GET",
    path: "/patients/{id}",
    tags: &[],
    read_only: true,
    destructive: false,
    idempotent: true,
    idempotency_key: None,
    cacheable: false,
    defaults: &[],
    build: |_| Err("not used".into()),
};

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("9999-12-31T23:59:59-01:00"),
            Just("0000-01-01T00:00:00+01:00"),
            Just("2025-02-30"),
            Just("1752849161776013508"),
            Just("99999999999999999999999"),
            Just(".."),
        ]
        .prop_map(|text| Value::String(text.to_string())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A schema of the kind the generator writes, with keywords chosen at random (some of them odd).
fn schema() -> impl Strategy<Value = Value> {
    let keyword = prop_oneof![
        prop_oneof![Just("string"), Just("integer"), Just("number"), Just("boolean"), Just("object"), Just("array")]
            .prop_map(|kind| ("type", json!(kind))),
        prop_oneof![
            Just("date-time"),
            Just("date"),
            Just("time"),
            Just("email"),
            Just("uuid"),
            Just("uri"),
            Just("int64"),
            Just("decimal"),
            Just("byte")
        ]
        .prop_map(|format| ("format", json!(format))),
        prop_oneof![Just("string"), Just("integer")].prop_map(|id| ("x-id", json!(id))),
        any::<bool>().prop_map(|b| ("nullable", json!(b))),
        (0u64..50).prop_map(|n| ("minLength", json!(n))),
        (0u64..50).prop_map(|n| ("maxLength", json!(n))),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| ("minimum", json!(f))),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| ("maximum", json!(f))),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| ("multipleOf", json!(f))),
        prop_oneof![Just("^[0-9]+$"), Just("^[A-Z]{2}$"), Just(".*")].prop_map(|p| ("pattern", json!(p))),
        prop::collection::vec(json_value(), 1..4).prop_map(|values| ("enum", Value::Array(values))),
        any::<bool>().prop_map(|b| ("uniqueItems", json!(b))),
        (0u64..5).prop_map(|n| ("maxItems", json!(n))),
        Just(("items", json!({"type": "string", "format": "date"}))),
        Just(("additionalProperties", json!(false))),
        Just(("properties", json!({"a": {"type": "integer"}, "b": {"type": "string", "nullable": true}}))),
        Just(("required", json!(["a"]))),
        Just(("anyOf", json!([{"type": "integer"}, {"type": "string", "format": "date"}]))),
    ];
    prop::collection::vec(keyword, 0..6)
        .prop_map(|keywords| Value::Object(keywords.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_validator_never_panics_and_names_each_problem(schema in schema(), mut value in json_value()) {
        if let Ok(compiled) = Schema::compile(&schema.to_string()) {
            for violation in compiled.check(&mut value) {
                prop_assert!(!violation.message.is_empty());
            }
        }
    }

    #[test]
    fn any_rfc3339_date_time_is_refused_or_sent_in_utc(
        // Weighted toward the last moments of the calendar, where a conversion to UTC overflows.
        year in prop_oneof![3 => Just(9999u32), 1 => 0u32..=9999],
        month in prop_oneof![3 => Just(12u32), 1 => 1u32..=12],
        day in prop_oneof![3 => Just(31u32), 1 => 1u32..=31],
        hour in prop_oneof![3 => Just(23u32), 1 => 0u32..24],
        (minute, second) in (0u32..60, 0u32..61),
        (east, offset_hours, offset_minutes) in (any::<bool>(), 0u32..24, 0u32..60),
    ) {
        let sign = if east { '+' } else { '-' };
        let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{sign}{offset_hours:02}:{offset_minutes:02}");
        let schema = Schema::compile(r#"{"type":"string","format":"date-time"}"#).expect("compiles");
        let mut value = Value::String(text.clone());
        if schema.check(&mut value).is_empty() {
            prop_assert!(value.as_str().is_some_and(|sent| sent.ends_with('Z')), "{text} went out as {value}");
        }
    }

    #[test]
    fn results_never_panic_and_never_quote_a_secret_or_more_than_a_kilobyte(
        status in 100u16..600,
        body in prop::collection::vec(any::<u8>(), 0..3000),
        json_body in json_value(),
        as_json in any::<bool>(),
        truncated in any::<bool>(),
        retry in prop::option::of(any::<u64>()),
    ) {
        let secret = "pw-0f9e8d7c6b5a4938";
        let body = if as_json {
            serde_json::to_vec(&json!({"errors": {"password": [secret]}, "detail": json_body, "api_key": secret})).expect("json")
        } else {
            body
        };
        let response = UpstreamResponse {
            status: reqwest::StatusCode::from_u16(status).expect("a status"),
            body,
            truncated,
            redirect_to: None,
            content_type: None,
            retry_after_seconds: retry.map(|seconds| seconds.min(MAX_RETRY_AFTER_S)),
        };
        let call = CallContext { api: &API, tool: &TOOL, path_params: &[("id", "1".to_string())] };
        let result = results::from_response(&call, response);
        let text: String = result.content.iter().filter_map(|block| block.as_text().map(|t| t.text.clone())).collect();
        if result.is_error == Some(true) {
            prop_assert!(!text.contains(secret), "{text}");
            prop_assert!(text.len() < 4096, "{} bytes", text.len());
        }
    }

    #[test]
    fn retry_after_is_bounded_whatever_the_header_says(value in "\\PC{0,40}", digits in "[0-9]{1,30}") {
        for text in [value, digits] {
            let mut headers = HeaderMap::new();
            if let Ok(header) = HeaderValue::from_str(&text) {
                headers.insert("retry-after", header.clone());
                headers.insert("x-ratelimit-reset", header);
            }
            prop_assert!(retry_after(&headers).is_none_or(|seconds| seconds <= MAX_RETRY_AFTER_S));
        }
    }

    #[test]
    fn a_path_parameter_is_one_segment_or_refused(value in "\\PC{0,16}|\\.{1,3}|/|%2e%2e") {
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.push_literal("/patients/");
        request.push_segment("id", value.as_str());
        let segment = request.path.trim_start_matches("/patients/");
        prop_assert!(!segment.contains('/') && !segment.contains('?') && !segment.contains('#'), "{}", request.path);
        let refused = !request.unsendable().is_empty();
        prop_assert_eq!(refused, matches!(value.as_str(), "" | "." | ".."));
        if !refused {
            let url = reqwest::Url::parse(&format!("http://127.0.0.1{}", request.path)).expect("a URL");
            prop_assert_eq!(url.path_segments().map(Iterator::count), Some(2), "{}", url);
        }
    }

    #[test]
    fn header_values_are_sendable_exactly_when_printable(value in "\\PC{0,12}|[\\x00-\\x1f\\x7f]{1,3}|[a-z]{1,4}\\r\\n[a-z]{1,4}") {
        let mut request = UpstreamRequest::new(reqwest::Method::GET);
        request.header("Accept-Language", value.as_str());
        let printable = value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        prop_assert_eq!(request.unsendable().is_empty(), printable);
    }

    #[test]
    fn any_settings_are_read_or_named_never_a_panic(values in prop::collection::vec("\\PC{0,12}|[0-9e.+-]{1,24}", 12)) {
        let names = [
            "TEST_BASE_URL", "TEST_API_KEY", "TEST_HOTEL_ID", "TEST_CONNECT_TIMEOUT_MS", "TEST_TIMEOUT_MS",
            "TEST_DEADLINE_MS", "TEST_MAX_RETRIES", "TEST_RATE_LIMIT_RPS", "TEST_RATE_LIMIT_BURST",
            "TEST_BREAKER_THRESHOLD", "TEST_BREAKER_COOLDOWN_S", "TEST_MAX_RESPONSE_BYTES",
        ];
        let lookup = |name: &str| names.iter().position(|n| *n == name).map(|at| values[at].clone());
        if let Ok(config) = Config::from_lookup(&API, lookup) {
            prop_assert!(config.timeout <= Duration::from_secs(3600) && config.deadline <= Duration::from_secs(3600));
            prop_assert!(config.rate_limit.0 == 0.0 || config.rate_limit.0 >= 0.001);
            prop_assert!(config.max_retries <= 10);
            prop_assert!(reqwest::Url::parse(&config.base_url).is_ok_and(|url| url.username().is_empty()));
            // A rate limiter and breaker can be built from whatever was accepted.
            let _ = mcpgen_runtime::resilience::RateLimit::new(config.rate_limit.0, config.rate_limit.1);
        }
    }

    #[test]
    fn backoff_never_passes_its_cap(attempt in any::<u32>(), base in 0u64..10_000, cap in 0u64..100_000) {
        let (base, cap) = (Duration::from_millis(base), Duration::from_millis(cap));
        prop_assert!(backoff(attempt, base, cap) <= cap);
    }

    /// Every form pair a field makes is named by the field (or, for an exploded flat object, by one
    /// of its keys), and nothing panics whatever the value.
    #[test]
    fn form_pairs_stay_under_their_field(value in json_value(), style in 0usize..5) {
        let style = [
            FormStyle::Form { explode: true },
            FormStyle::Form { explode: false },
            FormStyle::SpaceDelimited,
            FormStyle::PipeDelimited,
            FormStyle::DeepObject,
        ][style];
        let keys: Vec<String> = value.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for (name, _) in form_pairs("field", &value, style) {
            prop_assert!(name.starts_with("field") || keys.contains(&name), "{name} from {value}");
        }
    }

    /// Any query, over any tool texts, is answered without a panic, with at most `limit` distinct
    /// positions of indexed tools.
    #[test]
    fn search_answers_any_query_within_its_limit(
        texts in prop::collection::vec("\\PC{0,40}", 0..12),
        query in "\\PC{0,80}|[a-z ]{1,40}|[0-9]{1,3}(am|pm) [A-Z][a-z]{2,8}",
        limit in 0usize..8,
    ) {
        let index = SearchIndex::new(texts.iter().map(|text| ToolText {
            name: text,
            title: Some(text),
            description: text,
            tags: &[],
            method: "GET",
            path: text,
            fields: text,
        }));
        let found = index.search(&query, limit);
        prop_assert!(found.len() <= limit.min(texts.len()));
        let mut distinct = found.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(distinct.len(), found.len());
        prop_assert!(found.iter().all(|position| *position < texts.len()));
    }

    /// Text a caller gives never becomes XML markup: each scalar is escaped, and a key that is not an
    /// element name is refused.
    #[test]
    fn caller_text_never_becomes_xml_markup(text in "\\PC{0,24}", key in "\\PC{1,8}") {
        let mut fields = Map::new();
        fields.insert("Note".into(), Value::String(text.clone()));
        fields.insert(key.clone(), json!("x"));
        match xml_document("Root", &fields) {
            Ok(xml) => {
                let escaped = quick_xml::escape::escape(text.as_str());
                let expected = format!("<Note>{escaped}</Note>");
                prop_assert!(xml.contains(&expected), "{xml}");
                let tags = xml.matches('<').count();
                prop_assert_eq!(tags, 1 + 2 + 2 + 2, "{}", xml);
            }
            Err(message) => prop_assert!(message.contains("cannot be an XML element name"), "{message}"),
        }
    }
}
