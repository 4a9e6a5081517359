//! `mcpgen update` against a spec server on 127.0.0.1 that publishes two versions of a spec:
//! the lock, the printed diff and the regeneration; nothing changes for an unchanged spec (304 or
//! the same hash); and a failed fetch, an oversized answer, an unsafe redirect or a spec that does
//! not generate leave every file as it was. `generate` and `check` never touch the network.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// What the spec server answers, and what it was asked.
#[derive(Default)]
struct Published {
    status: u16,
    body: Vec<u8>,
    etag: Option<String>,
    location: Option<String>,
    /// The `If-None-Match` of every request, in order.
    requests: Vec<Option<String>>,
}

/// A one-file HTTP server on 127.0.0.1.
struct SpecServer {
    url: String,
    published: Arc<Mutex<Published>>,
}

impl SpecServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v1/openapi.yaml", listener.local_addr().expect("address"));
        let published = Arc::new(Mutex::new(Published { status: 200, ..Published::default() }));
        let shared = Arc::clone(&published);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &shared);
            }
        });
        Self { url, published }
    }

    fn publish(&self, status: u16, body: &[u8], etag: Option<&str>) {
        let mut published = self.published.lock().expect("lock");
        (published.status, published.body, published.etag) = (status, body.to_vec(), etag.map(str::to_string));
        published.location = None;
    }

    fn redirect(&self, location: &str) {
        let mut published = self.published.lock().expect("lock");
        (published.status, published.location) = (302, Some(location.to_string()));
    }

    fn requests(&self) -> Vec<Option<String>> {
        self.published.lock().expect("lock").requests.clone()
    }
}

fn answer(stream: TcpStream, published: &Mutex<Published>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_string());
        }
    }
    let mut published = published.lock().expect("lock");
    published.requests.push(if_none_match.clone());
    let mut head = String::new();
    let body: &[u8] = if published.etag.is_some() && if_none_match == published.etag {
        head.push_str("HTTP/1.1 304 Not Modified\r\n");
        &[]
    } else {
        head.push_str(&format!("HTTP/1.1 {} Answer\r\n", published.status));
        if let Some(location) = &published.location {
            head.push_str(&format!("Location: {location}\r\n"));
        }
        if let Some(etag) = &published.etag {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        &published.body
    };
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut stream = stream;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}

fn mcpgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(dir).output().expect("mcpgen runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/diff").join(name)).expect("fixture")
}

/// A project whose API `clinic` takes its spec from `url`.
fn project(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!("[apis.clinic]\nspec = \"{url}\"\nout = \"generated/clinic-mcp\"\n");
    std::fs::write(dir.path().join("mcpgen.toml"), config).expect("toml");
    dir
}

/// Every file under `dir`, with its contents.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files
                    .insert(path.strip_prefix(dir).expect("inside").to_path_buf(), std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

fn lock(dir: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(dir.join("mcpgen.lock")).expect("lock file")).expect("lock parses")
}

#[test]
fn update_locks_the_spec_prints_the_diff_and_regenerates() {
    let server = SpecServer::start();
    let dir = project(&server.url);
    let before_fetch = mcpgen(dir.path(), &["generate"]);
    assert_eq!(before_fetch.status.code(), Some(2));
    assert!(
        text(&before_fetch).contains("has not been fetched yet; run `mcpgen update clinic`"),
        "{}",
        text(&before_fetch)
    );
    assert!(server.requests().is_empty(), "generate never fetches");

    server.publish(200, &fixture("old.yaml"), Some("\"v1\""));
    let first = mcpgen(dir.path(), &["update"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(text(&first).contains("clinic: 5 tools"), "{}", text(&first));
    assert_eq!(std::fs::read(dir.path().join("specs/clinic/openapi.yaml")).expect("copy"), fixture("old.yaml"));
    let locked = lock(dir.path());
    let spec = &locked["spec"][0];
    assert_eq!(spec["api"].as_str(), Some("clinic"));
    assert_eq!(spec["url"].as_str(), Some(server.url.as_str()));
    assert_eq!(spec["file"].as_str(), Some("specs/clinic/openapi.yaml"));
    assert_eq!(spec["sha256"].as_str(), Some(mcpgen::manifest::digest(&fixture("old.yaml")).as_str()));
    assert_eq!(spec["etag"].as_str(), Some("\"v1\""));
    assert!(spec["fetched_at"].as_str().is_some_and(|at| at.ends_with('Z') && at.contains('T')), "{spec}");
    assert!(dir.path().join("generated/clinic-mcp/src/tools/mod.rs").exists(), "regenerated");

    let check = mcpgen(dir.path(), &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert_eq!(server.requests().len(), 1, "check reads the locked copy, not the network");

    // Unchanged: the server answers 304 to the ETag, and nothing is written.
    let files_before = files(dir.path());
    let not_modified = mcpgen(dir.path(), &["update", "clinic"]);
    assert!(not_modified.status.success(), "{}", text(&not_modified));
    assert!(text(&not_modified).contains("clinic: up to date"), "{}", text(&not_modified));
    assert_eq!(server.requests().last(), Some(&Some("\"v1\"".to_string())), "If-None-Match sent");
    assert_eq!(files(dir.path()), files_before, "a 304 changes nothing");
    // Unchanged: a server without ETags sends the same bytes.
    server.publish(200, &fixture("old.yaml"), None);
    let same = mcpgen(dir.path(), &["update"]);
    assert!(text(&same).contains("clinic: up to date"), "{}", text(&same));
    assert_eq!(files(dir.path()), files_before, "the same hash changes nothing");

    server.publish(200, &fixture("new.yaml"), Some("\"v2\""));
    let second = mcpgen(dir.path(), &["update"]);
    let report = text(&second);
    assert!(second.status.success(), "{report}");
    assert!(report.contains(&format!("clinic: {} changed", server.url)), "{report}");
    assert!(
        report.contains("12 breaking, 11 non-breaking")
            && report.contains("retrieve_patient: renamed from `get_patient`"),
        "{report}"
    );
    assert_eq!(std::fs::read(dir.path().join("specs/clinic/openapi.yaml")).expect("copy"), fixture("new.yaml"));
    let locked = lock(dir.path());
    assert_eq!(locked["spec"][0]["etag"].as_str(), Some("\"v2\""));
    assert_eq!(locked["spec"][0]["sha256"].as_str(), Some(mcpgen::manifest::digest(&fixture("new.yaml")).as_str()));
    let changelog = std::fs::read_to_string(dir.path().join("generated/clinic-mcp/CHANGELOG.md")).expect("changelog");
    assert!(
        changelog.contains("## API version 2.0.0 (was 1.0.0)") && changelog.contains("- list_practitioners: added"),
        "{changelog}"
    );
    assert_eq!(mcpgen(dir.path(), &["check"]).status.code(), Some(0));
}

#[test]
fn a_failed_fetch_or_a_bad_spec_changes_nothing() {
    let server = SpecServer::start();
    let dir = project(&server.url);
    server.publish(200, &fixture("old.yaml"), None);
    assert!(mcpgen(dir.path(), &["update"]).status.success());
    let before = files(dir.path());

    let mut failures = Vec::new();
    server.publish(500, b"upstream down", None);
    failures.push(("answered HTTP 500", mcpgen(dir.path(), &["update"])));
    server.publish(200, &vec![b'#'; 4096], None);
    failures.push(("sent more than 1000 bytes", mcpgen(dir.path(), &["update", "--max-spec-bytes", "1000"])));
    server.publish(200, b"openapi: [unclosed", None);
    failures.push(("does not generate", mcpgen(dir.path(), &["update", "--color", "never"])));
    server.redirect("http://example.com/openapi.yaml");
    failures.push(("plain http:// is allowed only to this machine", mcpgen(dir.path(), &["update"])));
    let shown = text(&failures[2].1);
    assert!(shown.contains("1 | openapi: [unclosed"), "the fetched text is shown, not the old copy:\n{shown}");
    for (expected, output) in failures {
        assert_eq!(output.status.code(), Some(2), "{expected}: {}", text(&output));
        assert!(
            text(&output).contains(expected) && text(&output).contains("nothing changed"),
            "{expected}: {}",
            text(&output)
        );
        assert_eq!(files(dir.path()), before, "{expected}: every file is as it was");
    }
}

#[test]
fn diff_of_an_api_fetches_its_url_and_offline_uses_the_locked_copy() {
    let server = SpecServer::start();
    let dir = project(&server.url);
    server.publish(200, &fixture("old.yaml"), None);
    assert!(mcpgen(dir.path(), &["update"]).status.success());
    server.publish(200, &fixture("new.yaml"), None);
    let fetched = mcpgen(dir.path(), &["diff", "clinic", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&fetched.stdout).expect("JSON");
    assert_eq!(report["breaking"].as_array().map(Vec::len), Some(12), "{report}");
    let offline = mcpgen(dir.path(), &["diff", "clinic", "--offline"]);
    assert_eq!(String::from_utf8_lossy(&offline.stdout), "no changes to the tools\n");
    assert_eq!(
        std::fs::read(dir.path().join("specs/clinic/openapi.yaml")).expect("copy"),
        fixture("old.yaml"),
        "diff writes nothing"
    );
}

#[test]
fn plain_http_is_refused_except_to_this_machine() {
    let dir = project("http://example.com/openapi.yaml");
    let refused = mcpgen(dir.path(), &["update"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).contains("plain http:// is allowed only to this machine"), "{}", text(&refused));
    assert!(!dir.path().join("mcpgen.lock").exists() && !dir.path().join("specs").exists());
    let inspected = mcpgen(dir.path(), &["inspect", "http://192.0.2.1/openapi.yaml"]);
    assert_eq!(inspected.status.code(), Some(2));
    assert!(text(&inspected).contains("plain http:// is allowed only to this machine"), "{}", text(&inspected));
}

#[test]
fn init_from_a_url_names_the_api_from_its_title_and_update_takes_over() {
    let server = SpecServer::start();
    server.publish(200, &fixture("old.yaml"), Some("\"v1\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let started = mcpgen(dir.path(), &["init", &server.url]);
    assert!(started.status.success(), "{}", text(&started));
    assert!(
        text(&started).contains("API `clinic`, 5 tools") && text(&started).contains("next: `mcpgen update clinic`")
    );
    let config = std::fs::read_to_string(dir.path().join("mcpgen.toml")).expect("written");
    assert!(config.contains(&format!("spec = \"{}\"", server.url)), "{config}");
    assert!(!dir.path().join("specs").exists() && !dir.path().join("mcpgen.lock").exists(), "init keeps no copy");
    let updated = mcpgen(dir.path(), &["update"]);
    assert!(updated.status.success(), "{}", text(&updated));
    assert!(dir.path().join("generated/clinic-mcp/Cargo.toml").exists());
}
