//! The exact texts a model reads when a call goes wrong, for each generated server: refused
//! arguments (one per rule) and upstream failures (401, 404, 422 with the API's own error body, 429,
//! 503). Each server binary runs over stdio and is spoken to in JSON-RPC, as a client would.
//! Changes to these texts are reviewed as snapshot changes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpgen::emit::cases::{self, Expect};
use mcpgen::ir::{Api, Auth, Method};
use serde_json::{Value, json};

/// One canned upstream answer.
struct Canned {
    status: u16,
    retry_after: Option<u32>,
    body: Value,
}

/// Canned upstream failures, answered in order to non-token requests. With OAuth2 the server answers
/// a 401 by fetching a new token and retrying once, so a 401 is canned twice.
fn failures(api: &str, oauth: bool) -> Vec<Canned> {
    let unprocessable = match api {
        "cliniko" => {
            json!({"message": "Validation Failed", "errors": {"starts_at": "is already booked for this practitioner"}})
        }
        "opera" => {
            json!({"type": "https://example.com/errors", "title": "Invalid reservation", "detail": "Room type KING is not available", "o:errorCode": "RSV-100234"})
        }
        "medcor" => {
            json!({"scheduled_at": ["This slot is already taken."], "non_field_errors": ["Doctor is on leave."]})
        }
        _ => json!({"status": "error", "error": {"code": "BadRequest", "message": "Attendee e-mail is invalid"}}),
    };
    let canned = |status, retry_after, body| Canned { status, retry_after, body };
    let unauthorized = || canned(401, None, json!({"message": "Invalid API key sk_live_4eC39HqLyjWDarjtT1zdp7dc"}));
    let mut answers = vec![unauthorized()];
    if oauth {
        answers.push(unauthorized());
    }
    answers.extend([
        canned(404, None, json!({"message": "Not found"})),
        canned(422, None, unprocessable),
        canned(429, Some(30), json!({"message": "Rate limit exceeded"})),
        canned(503, None, json!({"message": "Service unavailable"})),
    ]);
    answers
}

/// A fake upstream: token requests get a token; other requests get the next canned failure.
fn start_upstream(mut canned: Vec<Canned>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    canned.reverse();
    let canned = Arc::new(Mutex::new(canned));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            let _ = stream.read_exact(&mut body);
            let is_token = head.lines().next().is_some_and(|line| line.contains("/token"));
            let answer = if is_token {
                Canned {
                    status: 200,
                    retry_after: None,
                    body: json!({"access_token": "test-token", "expires_in": 3600}),
                }
            } else {
                canned.lock().expect("lock").pop().unwrap_or(Canned {
                    status: 200,
                    retry_after: None,
                    body: json!({"ok": true}),
                })
            };
            let body = answer.body.to_string();
            let mut reply = format!(
                "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                answer.status,
                body.len()
            );
            if let Some(seconds) = answer.retry_after {
                reply.push_str(&format!("retry-after: {seconds}\r\n"));
            }
            reply.push_str("\r\n");
            reply.push_str(&body);
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    url
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
}

impl Server {
    fn start(api: &Api, upstream: &str) -> Self {
        let binary = common::generated_target().join("debug").join(&api.crate_name);
        let mut command = Command::new(&binary);
        command.args(["serve", "--transport", "stdio"]).env_clear().env("RUST_LOG", "error");
        for (var, value) in settings(&binary, api, upstream) {
            command.env(var, value);
        }
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("server starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self { child, stdin, lines, next_id: 1 };
        let init = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "snapshots", "version": "1"}});
        server.request("initialize", init);
        server.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        server
    }

    fn send(&mut self, message: Value) {
        writeln!(self.stdin, "{message}").expect("write");
        self.stdin.flush().expect("flush");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(20)).expect("the server answers");
            let message: Value = serde_json::from_str(&line).expect("JSON-RPC");
            if message["id"] == id {
                return message;
            }
        }
    }

    fn call(&mut self, tool: &str, arguments: &Value) -> String {
        let response = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        let result = &response["result"];
        assert_eq!(result["isError"], true, "{tool} {arguments}: {response}");
        result["content"][0]["text"].as_str().expect("text").to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every variable `check-config` names, filled: the base URL with the fake upstream, placeholders
/// for credentials and injected values.
fn settings(binary: &std::path::Path, api: &Api, upstream: &str) -> Vec<(String, String)> {
    let output = Command::new(binary).arg("check-config").env_clear().output().expect("check-config runs");
    let report = String::from_utf8_lossy(&output.stderr);
    let listed = report.split("Variables this server reads:").nth(1).unwrap_or_default();
    listed
        .lines()
        .filter(|line| line.ends_with("(required)") || line.trim().ends_with("_BASE_URL"))
        .filter_map(|line| line.split_whitespace().next())
        .map(|var| {
            let pattern =
                api.injected.iter().find(|param| param.env_var == var).and_then(|param| param.pattern.as_deref());
            let value = if var.ends_with("_BASE_URL") {
                upstream.to_string()
            } else if var.ends_with("_TOKEN_URL") {
                format!("{upstream}/token")
            } else if let Some(regex) = pattern.and_then(|pattern| regex::Regex::new(pattern).ok()) {
                ["TEST1", "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a"]
                    .into_iter()
                    .find(|v| regex.is_match(v))
                    .unwrap_or("TEST1")
                    .to_string()
            } else {
                format!("test-{}", var.to_ascii_lowercase())
            };
            (var.to_string(), value)
        })
        .chain([
            (format!("{}_BASE_URL", api.env_prefix), upstream.to_string()),
            (format!("{}_RATE_LIMIT_RPS", api.env_prefix), "0".to_string()),
        ])
        .collect()
}

#[test]
fn error_texts_of_every_server() {
    for job in common::project_jobs() {
        common::cargo(&job.out, &["build", "--locked", "--quiet"]);
        let output = common::generate_job(&job);
        let api = &output.api;
        let oauth = api.auth.iter().any(|auth| matches!(auth, Auth::OAuth2ClientCredentials { .. }));
        let mut server = Server::start(api, &start_upstream(failures(&job.settings.name, oauth)));
        let mut texts = Vec::new();
        for case in cases::cases(api) {
            if let Expect::Refused(_) = case.expect {
                texts.push(json!({"rule": case.rule, "tool": case.tool, "arguments": case.arguments, "text": server.call(&case.tool, &case.arguments)}));
            }
        }
        // Upstream failures: a read tool with a path parameter (for the 404 hint), then a write tool.
        let valid = cases::valid_arguments(api);
        // A 503 is retried for idempotent methods, so the write tool is a POST or PATCH.
        let pick = |read_only: bool| {
            api.tools()
                .filter(|tool| {
                    if read_only {
                        tool.method.is_read_only() && tool.path.contains('{')
                    } else {
                        matches!(tool.method, Method::Post | Method::Patch) && tool.idempotency_key.is_none()
                    }
                })
                .find_map(|tool| {
                    valid.iter().find(|(name, _)| *name == tool.name).map(|(name, args)| (name.clone(), args.clone()))
                })
        };
        let (read_tool, read_args) = pick(true).expect("a read tool with a path parameter");
        let (write_tool, write_args) = pick(false).expect("a write tool");
        for (status, (tool, arguments)) in [401, 404, 422].into_iter().zip(std::iter::repeat((&read_tool, &read_args)))
        {
            texts.push(json!({"upstream": status, "tool": tool, "text": server.call(tool, arguments)}));
        }
        for status in [429, 503] {
            let (tool, arguments) = if status == 503 { (&write_tool, &write_args) } else { (&read_tool, &read_args) };
            texts.push(json!({"upstream": status, "tool": tool, "text": server.call(tool, arguments)}));
        }
        let method = api.tools().find(|t| t.name == write_tool).map(|t| t.method);
        assert!(matches!(method, Some(Method::Post | Method::Patch | Method::Put | Method::Delete)));
        insta::assert_yaml_snapshot!(format!("{}_error_texts", job.settings.name), texts);
    }
}
