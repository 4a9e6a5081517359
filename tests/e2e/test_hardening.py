"""Attacks and failures, each reproduced through the interface an attacker or a user has: MCP over
stdio or HTTP with the official Python SDK or raw JSON-RPC, raw sockets, the server's command line,
and a recording upstream on 127.0.0.1 that shows what reached the API."""

import asyncio
import json
import os
import socket
import subprocess
import time

import pytest
from mcp import Client

from conftest import server_binary
from test_http import INITIALIZE, client, free_port, get, http_server, post
from test_stdio import CASES, ID, INITIALIZED, params
from test_stdio import INITIALIZE as INITIALIZE_MESSAGE
from upstream import FakeUpstream

AUTH = {"Authorization": "Bearer primary-token-7f3a"}


def text_of(result):
    return "\n".join(block.text for block in result.content if hasattr(block, "text"))


def metric(text, name):
    """The sum of every series of `name` in a Prometheus scrape."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{") or line.startswith(name + " "))


# 5. Path traversal: a path parameter of `.` or `..` would make the URL parser drop or climb a
# segment (`DELETE /crm/v1/profiles/..` reaches `DELETE /crm/v1/`).
async def test_dot_segments_never_reach_the_upstream(upstream):
    async with Client(params("opera-mcp", upstream), mode="legacy") as session:
        for value in ["..", "."]:
            result = await session.call_tool("delete_profile", {"profileId": value})
            assert result.is_error and "profileId" in text_of(result) and "path parameter" in text_of(result), text_of(result)
        assert upstream.requests == [], [r.path for r in upstream.requests]
        result = await session.call_tool("delete_profile", {"profileId": "..."})
        assert not result.is_error, text_of(result)
        assert upstream.requests[-1].path == "/crm/v1/profiles/...", "three dots are an ordinary value, one segment"


# 6. A header value that HTTP cannot carry is the caller's error: no request, no retry, no breaker
# count, so no client can open the breaker (and fail readiness) for everyone.
def test_unsendable_header_values_are_argument_errors_and_never_open_the_breaker(upstream):
    extra = {"OPERA_BREAKER_THRESHOLD": "2"}
    with http_server("opera-mcp", upstream, extra) as base:
        async def attack():
            async with client(base) as session:
                for value in ["en\r\nx-evil: 1", "en\nx", "en\x00"]:
                    result = await session.call_tool("get_reservation", {"reservationId": "1", "Accept-Language": value})
                    assert result.is_error and "Accept-Language" in text_of(result), text_of(result)
                assert not (await session.call_tool("get_reservation", {"reservationId": "1"})).is_error

        asyncio.run(attack())
        assert [r.path for r in upstream.requests] == ["/rsv/v1/hotels/HOTEL1/reservations/1"]
        status, body = get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["checks"]["breaker"] == "closed", body
        _, metrics = get(f"{base}/metrics")
        assert 'status="error"' not in metrics and "mcp_upstream_retries_total 0" in metrics, metrics


# 7. Redirects to another origin are not followed: injected headers and bodies stay with the API.
async def test_cross_origin_redirects_are_refused_and_same_origin_ones_followed(upstream):
    elsewhere = FakeUpstream().start()
    upstream.redirect_target = elsewhere.url
    try:
        async with Client(params("opera-mcp", upstream), mode="legacy") as session:
            arguments = {"reservationId": "redirectaway", "reason": {"code": "GUEST"}, "reservations": [{"hotelId": "HOTEL1"}]}
            result = await session.call_tool("post_cancel_reservation", arguments)
            assert result.is_error, text_of(result)
            assert elsewhere.url.replace("http://", "") in text_of(result) and "not followed" in text_of(result)
            assert elsewhere.requests == [], "nothing, no x-app-key and no body, went to the other host"
            result = await session.call_tool("get_reservation", {"reservationId": "redirecthere"})
            assert not result.is_error and result.structured_content["path"] == "/landed", text_of(result)
    finally:
        elsewhere.stop()


def test_browser_origins_other_than_the_servers_own_are_refused_by_default(upstream):
    with http_server("calcom-mcp", upstream) as base:
        port = base.rsplit(":", 1)[1]
        assert post(f"{base}/mcp", INITIALIZE, {**AUTH, "Origin": "http://evil.example"})[0] == 403
        assert post(f"{base}/mcp", INITIALIZE, {**AUTH, "Origin": f"http://127.0.0.1:{int(port) + 1}"})[0] == 403
        for own in [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]:
            assert post(f"{base}/mcp", INITIALIZE, {**AUTH, "Origin": own})[0] == 200
        assert post(f"{base}/mcp", INITIALIZE, AUTH)[0] == 200, "clients that send no Origin are unaffected"


# 8. Bounded state: sessions, the per-client limiter's keys, slow and idle connections.
def test_sessions_are_capped_and_expire(upstream):
    with http_server("calcom-mcp", upstream, {"MCP_MAX_SESSIONS": "5", "MCP_SESSION_IDLE_S": "2"}) as base:
        statuses = [post(f"{base}/mcp", INITIALIZE, AUTH) for _ in range(7)]
        assert [status for status, _, _ in statuses] == [200] * 5 + [503] * 2
        refused = json.loads(statuses[-1][2])
        assert refused["error"]["code"] == -32000 and "maximum of 5" in refused["error"]["message"], refused
        time.sleep(3)
        assert post(f"{base}/mcp", INITIALIZE, AUTH)[0] == 200, "idle sessions expired and freed their places"


def test_the_client_limiter_keys_on_the_peer_not_on_a_made_up_token(upstream):
    # No tokens configured (loopback): a client must not get a fresh bucket per invented bearer value.
    env = {**CASES["calcom-mcp"]["env"](upstream.url), "MCP_CLIENT_RATE_LIMIT_RPS": "1", "MCP_CLIENT_RATE_LIMIT_BURST": "2"}
    port = free_port()
    process = subprocess.Popen([str(server_binary("calcom-mcp")), "serve", "--transport", "http", "--listen", f"127.0.0.1:{port}"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        from test_http import wait_until_healthy
        wait_until_healthy(base, process, "calcom-mcp")
        codes = [post(f"{base}/mcp", INITIALIZE, {"Authorization": f"Bearer invented-{n}"})[0] for n in range(6)]
        assert codes.count(429) >= 3, codes
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_slow_header_connections_are_capped_and_timed_out(upstream):
    metrics_port = free_port()
    extra = {"MCP_HEADER_READ_TIMEOUT_S": "1", "MCP_MAX_CONNECTIONS": "10", "MCP_METRICS_LISTEN": f"127.0.0.1:{metrics_port}"}
    with http_server("calcom-mcp", upstream, extra) as base:
        port = int(base.rsplit(":", 1)[1])
        sockets = []
        for _ in range(30):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        time.sleep(0.5)
        _, scrape = get(f"http://127.0.0.1:{metrics_port}/metrics")
        # The cap, plus the scrape's own connection to the metrics listener.
        assert metric(scrape, "mcp_http_connections_open") <= 11, scrape
        deadline = time.monotonic() + 15
        closed = sum(closed_by_peer(sock, deadline) for sock in sockets)
        assert closed == 30, f"{closed} of 30 slow connections were closed by the server"
        assert get(f"{base}/healthz")[0] == 200


def test_idle_keep_alive_connections_are_closed(upstream):
    with http_server("calcom-mcp", upstream, {"MCP_HEADER_READ_TIMEOUT_S": "1"}) as base:
        sock = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "the first request is served"
        assert closed_by_peer(sock, time.monotonic() + 5), "an idle kept-alive connection is closed"


def closed_by_peer(sock, deadline):
    """Whether the server closes `sock` before `deadline` (whatever it sends first)."""
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            if sock.recv(4096) == b"":
                return True
        return False
    except socket.timeout:
        return False
    except OSError:
        return True
    finally:
        sock.close()


# 9. Readiness probes do not storm the token endpoint, and a token answer is read only so far.
def test_readiness_probes_do_not_storm_a_failing_token_endpoint(upstream):
    upstream.token_status = 500
    with http_server("opera-mcp", upstream) as base:
        statuses = [get(f"{base}/readyz")[0] for _ in range(200)]
        assert set(statuses) == {503}
        assert len(upstream.token_requests) <= 2, f"{len(upstream.token_requests)} token requests for 200 probes"


def test_an_oversized_token_answer_is_not_read_whole(upstream):
    upstream.token_body_bytes = 64 * 1024 * 1024
    with http_server("opera-mcp", upstream) as base:
        status, body = get(f"{base}/readyz")
        assert status == 503 and "more than 65536 bytes" in body, body


# 10. Leaks: quoted error bodies, logs at every level, and caller-chosen request IDs.
async def test_error_results_hold_no_secrets_or_personal_data(upstream):
    async with Client(params("opera-mcp", upstream), mode="legacy") as session:
        result = await session.call_tool("get_reservation", {"reservationId": "unprocessable"})
    text = text_of(result)
    assert result.is_error and "starts_at: is already taken" in text, text
    for leaked in ["sk_live", "hunter2", "1980-04-02", "ann.lee@example.com", "412 345 678", "9876 5432"]:
        assert leaked not in text, f"{leaked!r} leaked: {text}"


@pytest.mark.parametrize("level", ["debug", "trace"])
async def test_logs_hold_no_arguments_or_bodies_at_any_level(level, upstream, tmp_path):
    log = tmp_path / "server.log"
    secrets = ["Margaret", "Okonkwo-Thatcher", "1962-04-17", "margaret.ot@example.com", "MS0xLWFiY2RlZg-au2", "primary-token-7f3a"]
    with http_server("cliniko-mcp", upstream, {"RUST_LOG": level}, log=log) as base:
        async with client(base) as session:
            result = await session.call_tool("create_patient", {
                "first_name": "Margaret", "last_name": "Okonkwo-Thatcher", "date_of_birth": "1962-04-17", "email": "margaret.ot@example.com",
            })
            assert not result.is_error, result.content
    text = log.read_text()
    assert len(text) > 0
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into the {level} logs"


async def test_a_long_caller_request_id_is_replaced(upstream, tmp_path):
    log = tmp_path / "server.log"
    long_id = "r" * 5000
    with http_server("opera-mcp", upstream, log=log) as base:
        async with client(base) as session:
            assert not (await session.call_tool("get_reservation", {"reservationId": "1", "x-request-id": long_id})).is_error
            assert not (await session.call_tool("get_reservation", {"reservationId": "2", "x-request-id": "call-42"})).is_error
    sent = [r.headers["x-request-id"] for r in upstream.requests]
    assert len(sent[0]) <= 64 and sent[0] != long_id and sent[1] == "call-42", sent
    assert "rrrrrrrrrrrrrrrr" not in log.read_text()


# 11. No panics: every call is answered (a panic used to leave the call unanswered: the waits fail).
async def test_edge_values_are_answered_not_panics(upstream):
    answered = lambda session, tool, arguments: asyncio.wait_for(session.call_tool(tool, arguments), timeout=30)
    async with Client(params("cliniko-mcp", upstream), mode="legacy") as session:
        arguments = {"appointment_type_id": "1", "business_id": "2", "patient_id": ID, "practitioner_id": "3", "starts_at": "9999-12-31T23:59:59-01:00"}
        result = await answered(session, "create_individual_appointment", arguments)
        assert result.is_error and "out of the range" in text_of(result), text_of(result)
    async with Client(params("opera-mcp", upstream), mode="legacy") as session:
        result = await answered(session, "get_reservation", {"reservationId": "retryafterhuge"})
        assert result.is_error and "HTTP 429" in text_of(result) and "wait 24 hours" in text_of(result), text_of(result)
        assert not (await answered(session, "get_reservation", {"reservationId": "1"})).is_error, "the server lives on"


# 12. Cancellation stops upstream work; a gone stdio client ends the server.
class RawStdio:
    """A stdio server driven by raw JSON-RPC lines."""

    def __init__(self, crate, upstream, extra=None):
        env = {**CASES[crate]["env"](upstream.url), "RUST_LOG": "warn", **(extra or {})}
        self.process = subprocess.Popen([str(server_binary(crate)), "serve", "--transport", "stdio"], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(self, message):
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def receive(self):
        return json.loads(self.process.stdout.readline())

    def initialize(self):
        self.send(INITIALIZE_MESSAGE)
        assert "result" in self.receive()
        self.send(INITIALIZED)

    def close(self):
        self.process.kill()
        self.process.wait(timeout=10)


def test_a_cancelled_call_stops_its_upstream_request_and_retries(upstream):
    server = RawStdio("opera-mcp", upstream)
    try:
        server.initialize()
        server.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_reservation", "arguments": {"reservationId": "slow503"}}})
        time.sleep(0.5)
        server.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2, "reason": "caller hung up"}})
        time.sleep(4.5)
        assert len(upstream.requests) == 1, f"{len(upstream.requests)} upstream requests after the cancellation (retries go on)"
        server.send({"jsonrpc": "2.0", "id": 3, "method": "ping"})
        assert server.receive()["id"] == 3, "the server still answers"
    finally:
        server.close()


def test_a_stdio_server_whose_client_is_gone_stops(upstream):
    server = RawStdio("opera-mcp", upstream)
    try:
        server.initialize()
        server.process.stdout.close()
        sent = 0
        for n in range(50):
            try:
                server.send({"jsonrpc": "2.0", "id": 10 + n, "method": "tools/call", "params": {"name": "get_reservation", "arguments": {"reservationId": str(n)}}})
                sent += 1
            except (BrokenPipeError, OSError):
                break
            time.sleep(0.05)
        server.process.wait(timeout=10)
        assert len(upstream.requests) <= 2, f"{len(upstream.requests)} upstream requests after the client was gone ({sent} sent)"
    finally:
        if server.process.poll() is None:
            server.close()


# 13. An answer too large to read is an error that says how to ask for less, not cut JSON.
async def test_an_oversized_answer_is_an_error_that_says_how_to_ask_for_less(upstream):
    upstream.huge_bytes = 300_000
    async with Client(params("opera-mcp", upstream, {"OPERA_MAX_RESPONSE_BYTES": "100000"}), mode="legacy") as session:
        result = await session.call_tool("get_reservation", {"reservationId": "huge"})
    assert result.is_error and "larger than this server reads" in text_of(result) and "Ask for less" in text_of(result), text_of(result)


# 14. Settings are checked in range before anything runs; JSON-RPC parse errors are 400/-32700.
@pytest.mark.parametrize("setting, value", [
    ("OPERA_RATE_LIMIT_RPS", "1e-300"),
    ("MCP_CLIENT_RATE_LIMIT_RPS", "4294967296"),
    ("OPERA_BASE_URL", "http://user:secret@127.0.0.1:9"),
    ("OPERA_TIMEOUT_MS", "99999999999"),
    ("MCP_MAX_SESSIONS", "0"),
])
def test_out_of_range_settings_are_named_by_check_config_and_stop_serve(setting, value):
    env = {**CASES["opera-mcp"]["env"]("http://127.0.0.1:9"), setting: value}
    binary = str(server_binary("opera-mcp"))
    check = subprocess.run([binary, "check-config"], env=env, capture_output=True, text=True, timeout=30)
    assert check.returncode == 1 and setting in check.stderr, check.stderr
    assert "secret" not in check.stderr
    serve = subprocess.run([binary, "serve", "--transport", "http", "--listen", f"127.0.0.1:{free_port()}"],
                           env=env, capture_output=True, text=True, timeout=30)
    assert serve.returncode == 1 and setting in serve.stderr and "panicked" not in serve.stderr, serve.stderr


def test_malformed_json_rpc_is_a_parse_error(upstream):
    with http_server("calcom-mcp", upstream) as base:
        status, _, body = post(f"{base}/mcp", b"{not json", AUTH)
        assert status == 400 and json.loads(body)["error"]["code"] == -32700, (status, body)


# 15. What users expect: `.env` is read; a nullable field can be cleared; null is published.
def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    binary = str(server_binary("calcom-mcp"))
    (tmp_path / ".env").write_text("CALCOM_API_KEY=cal_live_from_dotenv\nCALCOM_TIMEOUT_MS=soon\n")
    run = subprocess.run([binary, "check-config"], cwd=tmp_path, env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=30)
    problems = [line for line in run.stderr.splitlines() if line.startswith("  - ")]
    assert run.returncode == 1 and len(problems) == 1 and "CALCOM_TIMEOUT_MS" in problems[0], run.stderr
    env = {"PATH": os.environ["PATH"], "CALCOM_TIMEOUT_MS": "5000"}
    run = subprocess.run([binary, "check-config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and "configuration is complete" in run.stdout, run.stderr


async def test_an_explicit_null_clears_a_nullable_field(upstream):
    async with Client(params("medcor-mcp", upstream), mode="legacy") as session:
        tool = next(t for t in (await session.list_tools()).tools if t.name == "patients_partial_update")
        assert {"type": "null"} in tool.input_schema["properties"]["email"]["anyOf"], tool.input_schema["properties"]["email"]
        result = await session.call_tool("patients_partial_update", {"id": "7", "email": None, "first_name": "Ann"})
        assert not result.is_error, text_of(result)
        assert upstream.requests[-1].json() == {"email": None, "first_name": "Ann"}
        result = await session.call_tool("patients_partial_update", {"id": "7", "first_name": None})
        assert result.is_error, "a field that is not nullable still refuses null"
