//! Test support: a scriptable fake upstream on 127.0.0.1, and the server driven through a real MCP
//! session (rmcp's client over an in-memory stream), so tests see exactly what a client sees.

#![allow(dead_code, reason = "each test binary of the crate uses a different part of this support")]

use std::sync::{Arc, Mutex};

use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::server::api::API;
use crate::server::runtime::catalog::{CatalogOptions, listed_tool};
use crate::server::runtime::shared::SharedSchemas;
use crate::server::runtime::config::Config;
use crate::server::runtime::descriptor::AuthSpec;
use crate::server::runtime::server::McpServer;
use crate::server::tools::TOOLS;

pub mod faults;

/// What a case expects.
pub enum Expect {
    /// An error result containing every fragment, and no upstream request.
    Refused(&'static [&'static str]),
    /// A result that is not an error, and an upstream request containing this text.
    Sent(&'static str),
}

/// One row of a crate's table of argument rules.
pub struct Case {
    /// The rule checked.
    pub rule: &'static str,
    /// The tool called.
    pub tool: &'static str,
    /// The arguments, as JSON.
    pub arguments: &'static str,
    /// What must happen.
    pub expect: Expect,
}

/// How the fake upstream answers the next API request (token requests always get a token).
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with a small JSON body.
    Status(u16),
    /// This status with a `Retry-After` header of this value.
    RetryAfter(u16, String),
    /// 200 after this delay.
    Slow(std::time::Duration),
    /// The connection is dropped before the request is read.
    ResetBeforeRead,
    /// The request is read, then the connection is dropped without an answer.
    ResetAfterRead,
}

#[derive(Default)]
struct UpstreamState {
    script: std::collections::VecDeque<Reply>,
    requests: Vec<(std::time::Instant, String)>,
    tokens: usize,
    connections: usize,
}

/// A scriptable upstream on 127.0.0.1 that records each API request (decoded request line,
/// headers and body) with its arrival time, and counts token requests apart.
pub struct FakeUpstream {
    /// Its base URL.
    pub url: String,
    state: Arc<Mutex<UpstreamState>>,
}

impl FakeUpstream {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(UpstreamState::default()));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, Arc::clone(&shared)));
            }
        });
        Self { url, state }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, UpstreamState> {
        self.state.lock().expect("lock")
    }

    /// Answers the next API requests with `replies`, then with 200.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.lock().script.extend(replies);
    }

    /// How many API requests were read.
    pub fn count(&self) -> usize {
        self.lock().requests.len()
    }

    /// How many token requests arrived.
    pub fn token_count(&self) -> usize {
        self.lock().tokens
    }

    /// How many connections were opened.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// The latest API request.
    pub fn last(&self) -> String {
        self.lock().requests.last().map(|(_, text)| text.clone()).unwrap_or_default()
    }

    /// Every API request, in arrival order, with its arrival time.
    pub fn requests(&self) -> Vec<(std::time::Instant, String)> {
        self.lock().requests.clone()
    }
}

/// Reads one request (unless the script says to drop it first), records it, then replies as the
/// script says: a test that sees the reply sees the record.
async fn answer(mut socket: TcpStream, state: Arc<Mutex<UpstreamState>>) -> Option<()> {
    {
        let mut state = state.lock().ok()?;
        state.connections += 1;
        if matches!(state.script.front(), Some(Reply::ResetBeforeRead)) {
            state.script.pop_front();
            return None;
        }
    }
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let (head_end, length) = loop {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        raw.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&raw);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                .unwrap_or(0usize);
            break (head_end, length);
        }
    };
    while raw.len() < head_end + 4 + length {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    let request = percent_decode_str(&String::from_utf8_lossy(&raw)).decode_utf8_lossy().into_owned();
    let is_token = request.lines().next().is_some_and(|line| line.split(' ').nth(1).is_some_and(|path| path.ends_with("/token")));
    let reply = {
        let mut state = state.lock().ok()?;
        if is_token {
            state.tokens += 1;
            None
        } else {
            state.requests.push((std::time::Instant::now(), request));
            Some(state.script.pop_front())
        }
    };
    let (status, extra, body) = match reply {
        None => (200, String::new(), r#"{"access_token":"test-token","expires_in":3600}"#.to_string()),
        Some(None) => (200, String::new(), r#"{"ok":true}"#.to_string()),
        Some(Some(Reply::Status(status))) => (status, String::new(), format!(r#"{{"message":"scripted {status}"}}"#)),
        Some(Some(Reply::RetryAfter(status, value))) => {
            (status, format!("retry-after: {value}\r\n"), r#"{"message":"slow down"}"#.to_string())
        }
        Some(Some(Reply::Slow(delay))) => {
            tokio::time::sleep(delay).await;
            (200, String::new(), r#"{"ok":true}"#.to_string())
        }
        Some(Some(Reply::ResetBeforeRead | Reply::ResetAfterRead)) => return None,
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    socket.write_all(reply.as_bytes()).await.ok()
}

/// The server under test, reached through an MCP client session.
pub struct Session {
    client: RunningService<RoleClient, ()>,
    /// The fake upstream the server calls.
    pub upstream: FakeUpstream,
}

impl Session {
    /// Starts the fake upstream, the server configured for it, and a client session.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Like [`Session::start`], with settings by name without the prefix (`("MAX_RETRIES", "3")`).
    pub async fn start_with(overrides: &[(&str, &str)]) -> Self {
        let upstream = FakeUpstream::start().await;
        let config =
            Config::from_lookup(&API, |var| test_setting(var, &upstream.url, overrides)).expect("test configuration");
        let every_tool = |var: &str| match var {
            "MCP_PROFILE" | "MCP_TOOLS_MODE" => Some("all".to_string()),
            _ => None,
        };
        let options = CatalogOptions::from_lookup(&API, every_tool).expect("tool options");
        let server = McpServer::new(&API, TOOLS, config, &options).expect("server");
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await.expect("MCP session");
        Self { client, upstream }
    }

    /// Calls a tool with arguments given as JSON text.
    pub async fn call_json(&self, (tool, arguments): (&str, &str)) -> CallToolResult {
        self.call(tool, object(arguments)).await
    }

    /// Calls a tool; a protocol error fails the test.
    pub async fn call(&self, tool: &str, arguments: Map<String, Value>) -> CallToolResult {
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        self.client.call_tool(params).await.expect("tools/call answers with a result, not a protocol error")
    }
}

/// A value for each setting the server needs: the fake upstream's URL, placeholders that match the
/// patterns the API gives injected values, no client-side rate limit; `overrides` first.
fn test_setting(var: &str, url: &str, overrides: &[(&str, &str)]) -> Option<String> {
    let tuning = |name: &str| var == format!("{}_{name}", API.env_prefix);
    if let Some((_, value)) = overrides.iter().find(|(name, _)| tuning(name)) {
        return Some((*value).to_string());
    }
    if tuning("BASE_URL") {
        return Some(url.to_string());
    }
    if tuning("RATE_LIMIT_RPS") {
        return Some("0".into());
    }
    if let Some(pattern) = API.injected.iter().find(|spec| spec.env_var == var).and_then(|spec| spec.pattern) {
        let regex = regex::Regex::new(pattern).ok()?;
        let candidates = ["test-value", "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a", "TEST1", "1"];
        return candidates.into_iter().find(|candidate| regex.is_match(candidate)).map(str::to_string);
    }
    let token_url = API.auth.iter().any(|auth| matches!(auth, AuthSpec::OAuth2ClientCredentials { token_url_var, .. } if *token_url_var == var));
    if token_url {
        return Some(format!("{url}/token"));
    }
    Config::variables(&API).into_iter().any(|(name, required)| required && name == var).then(|| "test-value".to_string())
}

/// The text of a result.
pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|block| block.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

fn object(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).expect("case arguments are JSON") {
        Value::Object(map) => map,
        other => panic!("case arguments must be an object, not {other}"),
    }
}

/// Runs every case through one session.
pub async fn run_cases(cases: &[Case]) {
    let session = Session::start().await;
    for case in cases {
        let before = session.upstream.count();
        let result = session.call(case.tool, object(case.arguments)).await;
        let text = text(&result);
        let refused = result.is_error == Some(true);
        match &case.expect {
            Expect::Refused(fragments) => {
                assert!(refused, "{}: `{}` was not refused: {text}", case.rule, case.tool);
                for fragment in *fragments {
                    assert!(text.contains(fragment), "{}: `{}` result lacks {fragment:?}:\n{text}", case.rule, case.tool);
                }
                assert_eq!(session.upstream.count(), before, "{}: a refused call reached the upstream", case.rule);
            }
            Expect::Sent(expected) => {
                assert!(!refused, "{}: `{}` was refused: {text}", case.rule, case.tool);
                assert!(session.upstream.count() > before, "{}: nothing reached the upstream", case.rule);
                let request = session.upstream.last();
                assert!(request.contains(expected), "{}: the upstream request lacks {expected:?}:\n{request}", case.rule);
            }
        }
    }
}

/// Random changes to valid arguments.
#[derive(Debug, Clone)]
enum Change {
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        Just(Value::String("2025-09-05T10:00:00".into())),
        Just(Value::String("1752849161776013508".into())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<usize>().prop_map(Change::Remove),
        (any::<usize>(), json_value()).prop_map(|(at, value)| Change::Replace(at, value)),
        ("[a-z_]{1,10}", json_value()).prop_map(|(name, value)| Change::Add(name, value)),
    ]
}

/// Random arguments (valid arguments, changed at random) to every tool: the server never fails the
/// protocol; a refused call never reaches the upstream; a call with a field the tool does not have
/// is always refused; an accepted call always does.
pub fn fuzz(valid: &[(&'static str, &'static str)], cases: u32) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let session = runtime.block_on(Session::start());
    let shared = SharedSchemas::new(API.shared_schemas);
    let known: Vec<(&str, Map<String, Value>)> = TOOLS
        .iter()
        .flat_map(|group| group.iter())
        .map(|spec| {
            let schema = shared.expand(spec.validation).expect("schema");
            (spec.name, schema["properties"].as_object().cloned().unwrap_or_default())
        })
        .collect();
    let mut runner = TestRunner::new(RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() });
    let strategy = (0..valid.len(), prop::collection::vec(change(), 0..4));
    let outcome = runner.run(&strategy, |(which, changes)| {
        let (tool, arguments) = valid[which];
        let mut arguments = object(arguments);
        for change in changes {
            match change {
                Change::Remove(at) if !arguments.is_empty() => {
                    let key = arguments.keys().nth(at % arguments.len()).cloned().unwrap_or_default();
                    arguments.remove(&key);
                }
                Change::Replace(at, value) if !arguments.is_empty() => {
                    let key = arguments.keys().nth(at % arguments.len()).cloned().unwrap_or_default();
                    arguments.insert(key, value);
                }
                Change::Add(name, value) => {
                    arguments.insert(name, value);
                }
                _ => {}
            }
        }
        let fields = known.iter().find(|(name, _)| *name == tool).map(|(_, fields)| fields);
        let has_unknown_field = arguments.keys().any(|key| fields.is_none_or(|fields| !fields.contains_key(key)));
        let has_wrong_type = fields.is_some_and(|fields| {
            arguments.iter().any(|(key, value)| fields.get(key).is_some_and(|schema| !fits_type(schema, value)))
        });
        let before = session.upstream.count();
        let result = runtime.block_on(session.call(tool, arguments));
        let refused = result.is_error == Some(true);
        let reached = session.upstream.count() > before;
        prop_assert!(!(refused && reached), "`{tool}`: a refused call reached the upstream: {}", text(&result));
        prop_assert!(refused || reached, "`{tool}`: an accepted call did not reach the upstream: {}", text(&result));
        prop_assert!(!has_unknown_field || refused, "`{tool}`: a call with an unknown field was accepted");
        prop_assert!(!has_wrong_type || refused, "`{tool}`: a call with a value of the wrong type was accepted");
        Ok::<(), TestCaseError>(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

/// Whether `value` has the JSON type the field's schema names (`null` only where nullable; an ID is
/// a string).
fn fits_type(schema: &Value, value: &Value) -> bool {
    if value.is_null() {
        return schema.get("nullable") == Some(&Value::Bool(true)) || schema.get("type").is_none();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        _ => true,
    }
}

/// Every tool of the table: listable with an object schema, a unique name of `[a-z0-9_]` of at most
/// 64 characters, and a validation schema that compiles and refuses a field the tool does not have.
pub fn check_tool_table() {
    let shared = SharedSchemas::new(API.shared_schemas);
    let mut names = std::collections::BTreeSet::new();
    for spec in TOOLS.iter().flat_map(|group| group.iter()) {
        let listed = listed_tool(spec, spec.description, shared.expand(spec.input_schema).expect("the input schema expands"))
            .expect("the tool is listable");
        assert_eq!(listed.input_schema.get("type").and_then(Value::as_str), Some("object"), "{}", spec.name);
        assert!(
            spec.name.len() <= 64 && spec.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{}",
            spec.name
        );
        assert!(names.insert(spec.name), "duplicate tool {}", spec.name);
        let validation = shared.expand(spec.validation).expect("the validation schema expands");
        let validator = crate::server::runtime::validate::Schema::from_value(&validation).expect("the schema compiles");
        let mut arguments = serde_json::json!({"surely_not_a_parameter": true});
        let violations = validator.check(&mut arguments);
        assert!(violations.iter().any(|v| v.path == "surely_not_a_parameter"), "{}: {violations:?}", spec.name);
    }
    assert!(!names.is_empty());
}
