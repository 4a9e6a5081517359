//! The server benchmark's driver: runs a generated server against a fixed-response upstream on
//! 127.0.0.1 and measures it with a minimal JSON-RPC client of its own (an SDK's cost would hide
//! the server's), over stdio and over Streamable HTTP, one call at a time and with 16 in flight.
//!
//! `scripts/bench` generates and builds the server and runs this; alone:
//! `cargo run --release --example bench-driver -- SERVER_BINARY [CALLS] [SOAK_CALLS]`.
//!
//! Reported per transport: the server's CPU time per call (its own utime + stime from /proc),
//! latency percentiles (and those of the same request sent straight to the upstream), calls per
//! second, resident memory after start and at its peak, start-up to an answered `initialize`, and
//! the size of `tools/list`; with `SOAK_CALLS`, resident memory sampled over that many more calls
//! per transport, 16 in flight, to show whether it stays flat.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the upstream answers to every request: a patient.
const PATIENT: &str = r#"{"id":"1","first_name":"Ada","last_name":"Lovelace","date_of_birth":"1815-12-10","email":"ada@example.com","phone":"+61 2 5550 1234"}"#;

/// The call measured: a GET of one patient.
fn call(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "get_patient", "arguments": {"id": "1"}}})
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
const TOOLS_LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

/// Calls in flight for the concurrent runs.
const IN_FLIGHT: usize = 16;

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = args.next().expect("usage: bench-driver SERVER_BINARY [CALLS] [SOAK_CALLS]");
    let calls: u64 = args.next().and_then(|calls| calls.parse().ok()).unwrap_or(5000);
    let soak: u64 = args.next().and_then(|calls| calls.parse().ok()).unwrap_or(0);
    let upstream = start_upstream();
    let base_url = format!("http://{upstream}");
    let direct = direct_latencies(&upstream, calls.min(5000));
    let mut rows = Vec::new();
    rows.push(("direct upstream call".to_string(), Summary::of(&direct, None, Duration::ZERO, calls.min(5000))));
    let stdio = measure_stdio(&binary, &base_url, calls, soak);
    let http = measure_http(&binary, &base_url, calls, soak);
    let soak_table = soak_table(soak, [("stdio", &stdio), ("HTTP", &http)]);
    println!("## Server benchmark ({calls} calls per run, {IN_FLIGHT} in flight in the concurrent runs)\n");
    println!("| transport | start-up to initialize | tools/list bytes | RSS after start | peak RSS |");
    println!("|---|---:|---:|---:|---:|");
    for (name, run) in [("stdio", &stdio), ("HTTP", &http)] {
        println!(
            "| {name} | {:.1} ms | {} | {:.1} MB | {:.1} MB |",
            run.startup.as_secs_f64() * 1000.0,
            run.tools_list_bytes,
            run.rss_after_start_kb as f64 / 1024.0,
            run.peak_rss_kb as f64 / 1024.0
        );
    }
    println!();
    rows.push(("stdio, one at a time".into(), stdio.sequential));
    rows.push((format!("stdio, {IN_FLIGHT} in flight"), stdio.concurrent));
    rows.push(("HTTP, one at a time".into(), http.sequential));
    rows.push((format!("HTTP, {IN_FLIGHT} in flight"), http.concurrent));
    println!("| run | server CPU per call | of it in the kernel | p50 | p90 | p99 | calls/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, summary) in rows {
        let cpu = summary.cpu_per_call.map_or(String::new(), |cpu| format!("{:.3} ms", ms(cpu.total())));
        let kernel = summary.cpu_per_call.map_or(String::new(), |cpu| {
            format!("{:.0} %", 100.0 * cpu.system.as_secs_f64() / cpu.total().as_secs_f64().max(1e-12))
        });
        println!(
            "| {name} | {cpu} | {kernel} | {:.3} ms | {:.3} ms | {:.3} ms | {:.0} |",
            ms(summary.p50),
            ms(summary.p90),
            ms(summary.p99),
            summary.calls_per_second
        );
    }
    print!("{soak_table}");
}

/// Resident memory over the soak runs: after start, after the first tenth of the calls, at the end,
/// and every tenth's sample.
fn soak_table(soak: u64, runs: [(&str, &Run); 2]) -> String {
    if soak == 0 {
        return String::new();
    }
    let mb = |kb: u64| format!("{:.1}", kb as f64 / 1024.0);
    let mut table = format!("\n## Resident memory over {soak} more calls per transport, {IN_FLIGHT} in flight\n\n");
    table += &format!(
        "| transport | after start | after {} calls | after {soak} calls | peak | after each tenth |\n",
        soak / SOAK_SAMPLES
    );
    table += "|---|---:|---:|---:|---:|---|\n";
    for (name, run) in runs {
        let first = run.soak_rss_kb.first().copied().unwrap_or(0);
        let last = run.soak_rss_kb.last().copied().unwrap_or(0);
        let samples: Vec<String> = run.soak_rss_kb.iter().map(|kb| mb(*kb)).collect();
        table += &format!(
            "| {name} | {} MB | {} MB | {} MB | {} MB | {} |\n",
            mb(run.rss_after_start_kb),
            mb(first),
            mb(last),
            mb(run.peak_rss_kb),
            samples.join(", ")
        );
    }
    table
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Latency percentiles, server CPU per call and throughput of one run.
struct Summary {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    cpu_per_call: Option<Cpu>,
    calls_per_second: f64,
}

impl Summary {
    fn of(latencies: &[Duration], cpu: Option<Cpu>, wall: Duration, calls: u64) -> Self {
        let mut sorted = latencies.to_vec();
        sorted.sort();
        let at = |share: f64| {
            sorted
                .get(((sorted.len() as f64 * share) as usize).min(sorted.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let wall = if wall.is_zero() { latencies.iter().sum() } else { wall };
        Self {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            cpu_per_call: cpu.map(|cpu| cpu.per(calls)),
            calls_per_second: calls as f64 / wall.as_secs_f64().max(1e-9),
        }
    }
}

/// Everything measured of one transport.
struct Run {
    startup: Duration,
    tools_list_bytes: usize,
    rss_after_start_kb: u64,
    peak_rss_kb: u64,
    sequential: Summary,
    concurrent: Summary,
    /// Resident memory after each tenth of the soak calls.
    soak_rss_kb: Vec<u64>,
}

/// How many times resident memory is sampled over a soak run.
const SOAK_SAMPLES: u64 = 10;

/// First request ID of the soak calls: unique in the session, after every measured run's.
const SOAK_FIRST_ID: u64 = 100_000_000;

/// Runs `soak` calls in tenths through `run_calls` (first ID, count) and samples resident memory
/// after each tenth.
fn soak_rss(pid: u32, soak: u64, mut run_calls: impl FnMut(u64, u64)) -> Vec<u64> {
    let tenth = soak / SOAK_SAMPLES;
    (0..if tenth == 0 { 0 } else { SOAK_SAMPLES })
        .map(|sample| {
            run_calls(SOAK_FIRST_ID + sample * tenth, tenth);
            proc_status(pid, "VmRSS:")
        })
        .collect()
}

/// A fixed-response HTTP/1.1 upstream, a thread per keep-alive connection.
fn start_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the upstream");
    let address = listener.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_upstream(stream));
        }
    });
    address
}

fn serve_upstream(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{PATIENT}",
        PATIENT.len()
    );
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() || writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// The latency of the server's request sent straight to the upstream, over one kept-alive connection.
fn direct_latencies(upstream: &str, calls: u64) -> Vec<Duration> {
    let stream = TcpStream::connect(upstream).expect("connect to the upstream");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let request = format!(
        "GET /v1/patients/1 HTTP/1.1\r\nHost: {upstream}\r\nAuthorization: Bearer bench\r\nAccept: application/json\r\n\r\n"
    );
    (0..calls)
        .map(|_| {
            let started = Instant::now();
            writer.write_all(request.as_bytes()).expect("send");
            read_http_response(&mut reader).expect("upstream answer");
            started.elapsed()
        })
        .collect()
}

/// The server's environment: the upstream, a token, quiet logs.
fn server_command(binary: &str, base_url: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env("CLINIC_BASE_URL", format!("{base_url}/v1"))
        .env("CLINIC_TOKEN", "bench")
        .env("CLINIC_RATE_LIMIT_RPS", "1000000")
        .env("CLINIC_RATE_LIMIT_BURST", "1000000")
        .env("MCP_CLIENT_RATE_LIMIT_RPS", "0")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null());
    command
}

/// A server over stdio, with a line-oriented JSON-RPC client.
struct StdioServer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl StdioServer {
    fn start(binary: &str, base_url: &str) -> (Self, Duration) {
        let started = Instant::now();
        let mut child = server_command(binary, base_url)
            .args(["serve", "--transport", "stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut server = Self { child, stdin, stdout };
        server.send(INITIALIZE);
        server.answer();
        let startup = started.elapsed();
        server.send(INITIALIZED);
        (server, startup)
    }

    fn send(&mut self, message: &str) {
        self.stdin.write_all(message.as_bytes()).expect("write");
        self.stdin.write_all(b"\n").expect("write");
        self.stdin.flush().expect("flush");
    }

    /// The next response (a line with an `id`), as text.
    fn answer(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).expect("read") > 0, "the server closed stdout");
            if line.contains("\"id\"") {
                return line;
            }
        }
    }
}

impl StdioServer {
    /// Calls with IDs from `first`, `IN_FLIGHT` at a time; their latencies.
    fn in_flight(&mut self, first: u64, calls: u64) -> Vec<Duration> {
        let mut sent_at = std::collections::BTreeMap::new();
        let mut latencies = Vec::with_capacity(calls as usize);
        let (mut next, end) = (first, first + calls);
        while next < end && sent_at.len() < IN_FLIGHT {
            sent_at.insert(next, Instant::now());
            self.send(&call(next).to_string());
            next += 1;
        }
        while !sent_at.is_empty() {
            let answer: Value = serde_json::from_str(&self.answer()).expect("JSON");
            check_result(&answer.to_string());
            let id = answer["id"].as_u64().expect("id");
            latencies.push(sent_at.remove(&id).expect("sent").elapsed());
            if next < end {
                sent_at.insert(next, Instant::now());
                self.send(&call(next).to_string());
                next += 1;
            }
        }
        latencies
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn measure_stdio(binary: &str, base_url: &str, calls: u64, soak: u64) -> Run {
    let startup = (0..5).map(|_| StdioServer::start(binary, base_url).1).min().unwrap_or_default();
    let (mut server, _) = StdioServer::start(binary, base_url);
    let pid = server.child.id();
    server.send(TOOLS_LIST);
    let tools_list_bytes = result_bytes(&server.answer());
    let rss_after_start_kb = proc_status(pid, "VmRSS:");
    for id in 0..200 {
        server.send(&call(id).to_string());
        check_result(&server.answer());
    }

    let sequential = measured(pid, || {
        (0..calls)
            .map(|id| {
                let sent = Instant::now();
                server.send(&call(id).to_string());
                check_result(&server.answer());
                sent.elapsed()
            })
            .collect()
    });
    let concurrent = measured(pid, || server.in_flight(0, calls));
    let soak_rss_kb = soak_rss(pid, soak, |first, count| {
        server.in_flight(first, count);
    });
    Run {
        startup,
        tools_list_bytes,
        rss_after_start_kb,
        peak_rss_kb: proc_status(pid, "VmHWM:"),
        sequential,
        concurrent,
        soak_rss_kb,
    }
}

/// A server over Streamable HTTP on a free loopback port.
struct HttpServer {
    child: Child,
    address: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl HttpServer {
    fn start(binary: &str, base_url: &str) -> (Self, Duration, String) {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let address = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let child = server_command(binary, base_url)
            .args(["serve", "--transport", "http", "--listen", &address])
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let server = Self { child, address };
        let connection = loop {
            match Connection::open(&server.address) {
                Ok(connection) => break connection,
                Err(_) if started.elapsed() < Duration::from_secs(10) => std::thread::sleep(Duration::from_micros(200)),
                Err(error) => panic!("the server does not listen: {error}"),
            }
        };
        let mut connection = connection;
        let (headers, _) = connection.post(INITIALIZE, None);
        let startup = started.elapsed();
        let session = headers
            .lines()
            .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("mcp-session-id")))
            .map(|(_, value)| value.trim().to_string())
            .expect("a session id");
        connection.post(INITIALIZED, Some(&session));
        (server, startup, session)
    }
}

/// One kept-alive HTTP/1.1 connection to the server.
struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    address: String,
}

impl Connection {
    fn open(address: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Self { writer: stream.try_clone()?, reader: BufReader::new(stream), address: address.to_string() })
    }

    /// POSTs a JSON-RPC message to /mcp; returns the response headers and body.
    fn post(&mut self, body: &str, session: Option<&str>) -> (String, String) {
        let session = session.map(|id| format!("Mcp-Session-Id: {id}\r\n")).unwrap_or_default();
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
             MCP-Protocol-Version: 2025-11-25\r\n{session}Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        );
        self.writer.write_all(request.as_bytes()).expect("send");
        read_http_response(&mut self.reader).expect("the server answers")
    }
}

/// Reads one HTTP/1.1 response (Content-Length or chunked); returns its headers and body.
fn read_http_response(reader: &mut impl BufRead) -> std::io::Result<(String, String)> {
    let mut headers = String::new();
    loop {
        let before = headers.len();
        if reader.read_line(&mut headers)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if &headers[before..] == "\r\n" {
            break;
        }
    }
    let header = |wanted: &str| {
        headers.lines().find_map(|line| {
            line.split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.trim().to_string())
        })
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).map_err(|_| std::io::ErrorKind::InvalidData)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = header("content-length").and_then(|length| length.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok((headers, String::from_utf8_lossy(&body).into_owned()))
}

/// The JSON-RPC message of an HTTP answer: the body, or the `data:` of its server-sent event.
fn message_of(body: &str) -> String {
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .find(|data| data.contains("\"id\""))
        .unwrap_or(body)
        .to_string()
}

fn measure_http(binary: &str, base_url: &str, calls: u64, soak: u64) -> Run {
    let startup = (0..5).map(|_| HttpServer::start(binary, base_url).1).min().unwrap_or_default();
    let (server, _, session) = HttpServer::start(binary, base_url);
    let pid = server.child.id();
    let mut connection = Connection::open(&server.address).expect("connect");
    let tools_list_bytes = result_bytes(&message_of(&connection.post(TOOLS_LIST, Some(&session)).1));
    let rss_after_start_kb = proc_status(pid, "VmRSS:");
    for id in 0..200 {
        check_result(&message_of(&connection.post(&call(id).to_string(), Some(&session)).1));
    }

    let sequential = measured(pid, || {
        (0..calls)
            .map(|id| {
                let sent = Instant::now();
                check_result(&message_of(&connection.post(&call(id).to_string(), Some(&session)).1));
                sent.elapsed()
            })
            .collect()
    });
    let concurrent = measured(pid, || http_in_flight(&server.address, &session, 1_000_000, calls));
    let soak_rss_kb = soak_rss(pid, soak, |first, count| {
        http_in_flight(&server.address, &session, first, count);
    });
    Run {
        startup,
        tools_list_bytes,
        rss_after_start_kb,
        peak_rss_kb: proc_status(pid, "VmHWM:"),
        sequential,
        concurrent,
        soak_rss_kb,
    }
}

/// Calls with IDs from `first` on `IN_FLIGHT` connections of one session, one call at a time on
/// each; their latencies.
fn http_in_flight(address: &str, session: &str, first: u64, calls: u64) -> Vec<Duration> {
    let per_connection = calls / IN_FLIGHT as u64;
    let workers: Vec<_> = (0..IN_FLIGHT as u64)
        .map(|worker| {
            let (address, session) = (address.to_string(), session.to_string());
            std::thread::spawn(move || {
                let mut connection = Connection::open(&address).expect("connect");
                // Request IDs are unique in the session: a repeated one in flight is another call's.
                let ids = (0..per_connection).map(|n| first + worker * per_connection + n);
                ids.map(|id| {
                    let sent = Instant::now();
                    check_result(&message_of(&connection.post(&call(id).to_string(), Some(&session)).1));
                    sent.elapsed()
                })
                .collect::<Vec<_>>()
            })
        })
        .collect();
    workers.into_iter().flat_map(|worker| worker.join().expect("worker")).collect()
}

/// Runs `calls` (which returns each call's latency) and sums it up with the server's CPU time meanwhile.
fn measured(pid: u32, calls: impl FnOnce() -> Vec<Duration>) -> Summary {
    let (cpu_before, started) = (cpu_time(pid), Instant::now());
    let latencies = calls();
    let (wall, cpu) = (started.elapsed(), cpu_time(pid).since(cpu_before));
    Summary::of(&latencies, Some(cpu), wall, latencies.len() as u64)
}

/// Fails loudly when a call did not succeed: a benchmark of errors measures nothing.
fn check_result(message: &str) {
    assert!(message.contains("Lovelace") && !message.contains("\"isError\":true"), "the call failed: {message}");
}

/// The bytes of a response's `result`, as a client receives it.
fn result_bytes(message: &str) -> usize {
    let value: Value = serde_json::from_str(message).expect("JSON");
    value["result"].to_string().len()
}

/// CPU time of a process, in user space and in the kernel.
#[derive(Clone, Copy)]
struct Cpu {
    user: Duration,
    system: Duration,
}

impl Cpu {
    fn total(self) -> Duration {
        self.user + self.system
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu { user: self.user.saturating_sub(before.user), system: self.system.saturating_sub(before.system) }
    }

    fn per(self, calls: u64) -> Cpu {
        let calls = calls.max(1) as u32;
        Cpu { user: self.user / calls, system: self.system / calls }
    }
}

/// The process's CPU time, user and system, from /proc/PID/stat.
fn cpu_time(pid: u32) -> Cpu {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
    let seconds = |ticks: u64| Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second());
    Cpu { user: seconds(ticks(11)), system: seconds(ticks(12)) }
}

fn clock_ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output().ok();
    output.and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok()).unwrap_or(100.0)
}

/// A `kB` figure of /proc/PID/status.
fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
