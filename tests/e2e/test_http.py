"""Each generated server over Streamable HTTP, driven by the official MCP Python SDK in both protocol
modes, with its inbound security, health endpoints, metrics and logs checked from outside."""

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from mcp import Client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import server_binary
import test_stdio as stdio
from test_stdio import CASES

TOKENS = "primary-token-7f3a,backup-token-19c2"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base, process, name):
    """Polls `/healthz` until the server answers; fails if it exits or takes more than 15 s."""
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{name} did not start on HTTP (exit {process.poll()})")
            time.sleep(0.05)


@contextlib.contextmanager
def http_server(crate, upstream, extra=None, log=None):
    """Starts `crate` on HTTP at a free loopback port and yields its base URL; stops it after."""
    port = free_port()
    env = {**CASES[crate]["env"](upstream.url), "MCP_AUTH_TOKENS": TOKENS, "LOG_FORMAT": "json", "RUST_LOG": "info", **(extra or {})}
    stderr = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [str(server_binary(crate)), "serve", "--transport", "http", "--listen", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, crate)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        if log:
            stderr.close()


def client(base, token="primary-token-7f3a", mode="legacy", terminate_on_close=True):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = create_mcp_http_client(headers=headers)
    transport = streamable_http_client(f"{base}/mcp", http_client=http, terminate_on_close=terminate_on_close)
    return Client(transport, mode=mode)


def post(url, body=b"{}", headers=None):
    """A raw POST; returns (status, headers, body)."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **(headers or {}),
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


INITIALIZE = json.dumps(stdio.INITIALIZE).encode()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("crate", sorted(CASES))
async def test_tools_resources_and_calls_over_http(crate, mode, upstream):
    case = CASES[crate]
    with http_server(crate, upstream) as base:
        async with client(base, mode=mode) as session:
            assert len((await session.list_tools()).tools) == case["tools"]
            uris = {str(resource.uri) for resource in (await session.list_resources()).resources}
            assert uris == {"health://live", "health://ready", "health://status"}
            status = json.loads((await session.read_resource("health://status")).contents[0].text)
            assert status["name"] == crate and status["breaker"] == "closed"

            name, arguments, method, path = case["get"]
            result = await session.call_tool(name, arguments)
            assert not result.is_error, result.content
            assert (upstream.requests[-1].method, upstream.requests[-1].path) == (method, path)

            name, arguments, method, path, body = case["post"]
            result = await session.call_tool(name, arguments)
            assert not result.is_error, result.content
            sent = upstream.requests[-1]
            assert (sent.method, sent.path, sent.json()) == (method, path, body)
            assert case["auth"](sent.headers), sent.headers


async def test_stateless_mode_serves_legacy_clients(upstream):
    with http_server("cliniko-mcp", upstream, {"MCP_STATELESS": "true"}) as base:
        async with client(base, mode="legacy") as session:
            for _ in range(2):
                result = await session.call_tool("get_patient", {"id": "42"})
                assert not result.is_error, result.content
    assert len(upstream.requests) == 2


async def test_bearer_tokens(upstream):
    with http_server("calcom-mcp", upstream) as base:
        status, headers, _ = post(f"{base}/mcp", INITIALIZE)
        assert status == 401 and headers.get("www-authenticate", headers.get("WWW-Authenticate")) == "Bearer"
        assert post(f"{base}/mcp", INITIALIZE, {"Authorization": "Bearer wrong-token"})[0] == 401
        assert post(f"{base}/mcp", INITIALIZE, {"Authorization": "Bearer primary-token-7f3"})[0] == 401
        async with client(base, token="backup-token-19c2") as session:
            assert len((await session.list_tools()).tools) == 9
        _, metrics = get(f"{base}/metrics")
        assert "mcp_inbound_auth_failures_total 3" in metrics


def test_origin_body_size_and_client_rate_limit(upstream):
    extra = {
        "MCP_ALLOWED_ORIGINS": "https://app.example.com",
        "MCP_MAX_BODY_BYTES": "2048",
        "MCP_CLIENT_RATE_LIMIT_RPS": "1",
        "MCP_CLIENT_RATE_LIMIT_BURST": "3",
    }
    auth = {"Authorization": "Bearer primary-token-7f3a"}
    with http_server("calcom-mcp", upstream, extra) as base:
        assert post(f"{base}/mcp", INITIALIZE, {**auth, "Origin": "https://evil.example.com"})[0] == 403
        big = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"pad": "x" * 4096}}).encode()
        assert post(f"{base}/mcp", big, {**auth, "Origin": "https://app.example.com"})[0] == 413
        statuses = [post(f"{base}/mcp", INITIALIZE, {**auth, "Origin": "https://app.example.com"}) for _ in range(6)]
        codes = [status for status, _, _ in statuses]
        assert 429 in codes, codes
        limited = next(headers for status, headers, _ in statuses if status == 429)
        assert {k.lower(): v for k, v in limited.items()}["retry-after"] == "1"


def test_refuses_a_public_address_without_tokens(upstream):
    env = {**CASES["calcom-mcp"]["env"](upstream.url)}
    run = subprocess.run(
        [str(server_binary("calcom-mcp")), "serve", "--transport", "http", "--listen", f"0.0.0.0:{free_port()}"],
        env=env, capture_output=True, text=True, timeout=30,
    )
    assert run.returncode != 0 and "MCP_AUTH_TOKENS" in run.stderr


def test_health_readiness_and_healthcheck(upstream):
    with http_server("opera-mcp", upstream) as base:
        assert get(f"{base}/healthz") == (200, '{"status":"alive"}')
        status, body = get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["checks"]["credentials"] == "ok"
        assert len(upstream.token_requests) == 1, "readiness fetches a token"
        port = base.rsplit(":", 1)[1]
        check = subprocess.run([str(server_binary("opera-mcp")), "healthcheck", "--listen", f"127.0.0.1:{port}"], capture_output=True, timeout=30)
        assert check.returncode == 0
    dead = f"http://127.0.0.1:{free_port()}/token"
    with http_server("opera-mcp", upstream, {"OPERA_TOKEN_URL": dead}) as base:
        status, body = get(f"{base}/readyz")
        assert status == 503 and json.loads(body)["status"] == "not_ready"
        port = base.rsplit(":", 1)[1]
        check = subprocess.run([str(server_binary("opera-mcp")), "healthcheck", "--listen", f"127.0.0.1:{port}"], capture_output=True, timeout=30)
        assert check.returncode != 0


async def test_metrics_after_calls(upstream):
    with http_server("cliniko-mcp", upstream) as base:
        async with client(base) as session:
            assert not (await session.call_tool("get_patient", {"id": "42"})).is_error
            assert (await session.call_tool("get_patient", {"id": 42})).is_error
            assert (await session.call_tool("get_patient", {"id": "404404"})).is_error
        status, text = get(f"{base}/metrics")
        assert status == 200
        for line in [
            'mcp_tool_calls_total{tool="get_patient",outcome="ok"} 1',
            'mcp_tool_calls_total{tool="get_patient",outcome="invalid_arguments"} 1',
            'mcp_tool_calls_total{tool="get_patient",outcome="upstream_error"} 1',
            'mcp_upstream_requests_total{operation="get_patient",status="200"} 1',
            'mcp_upstream_requests_total{operation="get_patient",status="404"} 1',
            'mcp_tool_call_duration_seconds_count{tool="get_patient"} 3',
            "mcp_breaker_state 0",
            "mcp_upstream_retries_total 0",
            "mcp_rate_limit_waits_total 0",
            'mcp_build_info{crate_name="cliniko-mcp",version="0.1.0"} 1',
        ]:
            assert line in text, f"{line!r} missing from /metrics:\n{text}"
        assert 'mcp_tool_call_duration_seconds_bucket{le="0.05",tool="get_patient"}' in text


async def test_logs_hold_no_credentials_or_patient_data(upstream, tmp_path):
    log = tmp_path / "server.log"
    secrets = ["MS0xLWFiY2RlZg-au2", "primary-token-7f3a", "Margaret", "Okonkwo-Thatcher", "1962-04-17", "margaret.ot@example.com"]
    with http_server("cliniko-mcp", upstream, log=log) as base:
        async with client(base) as session:
            result = await session.call_tool("create_patient", {
                "first_name": "Margaret", "last_name": "Okonkwo-Thatcher", "date_of_birth": "1962-04-17", "email": "margaret.ot@example.com",
            })
            assert not result.is_error, result.content
            assert (await session.call_tool("create_patient", {"first_name": "Margaret", "email": "margaret.ot@example"})).is_error
    request_id = upstream.requests[-1].headers["x-request-id"]
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(line.get("fields", {}).get("request_id") == request_id for line in lines), "the call's request ID is logged"
    text = log.read_text()
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into the logs"


async def test_prompts_from_settings(upstream):
    with http_server("medcor-mcp", upstream) as base:
        async with client(base) as session:
            names = {prompt.name for prompt in (await session.list_prompts()).prompts}
            assert names == {"schedule_appointment", "tenant_setup", "system_maintenance"}
            prompt = await session.get_prompt("schedule_appointment", {"patient_name": "Ann Lee", "preferred_date": "2025-09-05"})
            text = prompt.messages[0].content.text
            assert "Ann Lee" in text and "2025-09-05" in text and "appointments_create" in text


def test_graceful_shutdown_finishes_calls_in_flight(upstream):
    """SIGTERM during a slow call: the call's result still arrives, then the server exits cleanly. Spoken
    in raw Streamable HTTP, so nothing but the server decides what happens to the open stream."""
    import signal
    import threading

    port = free_port()
    env = {**CASES["opera-mcp"]["env"](upstream.url), "MCP_AUTH_TOKENS": TOKENS}
    process = subprocess.Popen(
        [str(server_binary("opera-mcp")), "serve", "--transport", "http", "--listen", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, "opera-mcp")
        auth = {"Authorization": "Bearer primary-token-7f3a"}
        status, headers, _ = post(f"{base}/mcp", INITIALIZE, auth)
        assert status == 200
        session = {k.lower(): v for k, v in headers.items()}["mcp-session-id"]
        session_headers = {**auth, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
        initialized = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
        assert post(f"{base}/mcp", initialized, session_headers)[0] == 202

        answer = {}
        call = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                           "params": {"name": "get_reservation", "arguments": {"reservationId": "slow-1"}}}).encode()
        caller = threading.Thread(target=lambda: answer.update(reply=post(f"{base}/mcp", call, session_headers)))
        caller.start()
        while not any("slow" in request.path for request in upstream.requests):
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        caller.join(timeout=20)
        status, _, body = answer["reply"]
        assert status == 200
        messages = [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:") and line[5:].strip()]
        result = next(message["result"] for message in messages if message.get("id") == 2)
        assert result["isError"] is False and result["structuredContent"]["path"].endswith("/reservations/slow-1")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()


async def test_metrics_on_their_own_port(upstream):
    metrics_port = free_port()
    with http_server("calcom-mcp", upstream, {"MCP_METRICS_LISTEN": f"127.0.0.1:{metrics_port}"}) as base:
        assert get(f"{base}/metrics")[0] == 404
        status, text = get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200 and "mcp_build_info" in text
