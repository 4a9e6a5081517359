"""Each generated server, driven over stdio by the official MCP Python SDK against a recording fake
upstream: it lists its tools, and its GET and POST tools send the requests the API expects."""

import base64
import json
import os
import socket
import subprocess

import pytest
from mcp import Client, StdioServerParameters

from conftest import server_binary

ID = "1752849161776013508"  # above 2^53: exact only as a string

# The raw JSON-RPC opening of a session, for the tests that speak it without the SDK.
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def cliniko_env(url):
    return {"CLINIKO_BASE_URL": f"{url}/v1", "CLINIKO_API_KEY": "MS0xLWFiY2RlZg-au2"}


def opera_env(url):
    return {
        "OPERA_BASE_URL": url, "OPERA_CLIENT_ID": "client", "OPERA_CLIENT_SECRET": "secret", "OPERA_SCOPE": "urn:opc:hgbu:ws:__myscopes__",
        "OPERA_APP_KEY": "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a", "OPERA_HOTEL_ID": "HOTEL1",
        # Its 26 tools list in over 30 KB, where `auto` would offer discovery: these tests list them whole.
        "MCP_TOOLS_MODE": "all",
    }


def medcor_env(url):
    return {"MEDCOR_BASE_URL": url, "MEDCOR_TOKEN": "jwt-access-token"}


def calcom_env(url):
    return {"CALCOM_BASE_URL": url, "CALCOM_API_KEY": "cal_live_abc123"}


def basic(user, password=""):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# crate, environment, tool count, GET call and expectations, POST call and expectations
CASES = {
    "cliniko-mcp": dict(
        env=cliniko_env, tools=30,
        get=("get_patient", {"id": ID}, "GET", f"/v1/patients/{ID}"),
        post=(
            "create_individual_appointment",
            {"appointment_type_id": "1", "business_id": "2", "patient_id": ID, "practitioner_id": "3", "starts_at": "2025-09-05T10:00:00Z"},
            "POST", "/v1/individual_appointments",
            {"appointment_type_id": "1", "business_id": "2", "patient_id": ID, "practitioner_id": "3", "starts_at": "2025-09-05T10:00:00Z"},
        ),
        auth=lambda headers: headers["authorization"] == basic("MS0xLWFiY2RlZg-au2")
        and headers["user-agent"] == "Cliniko MCP server (support@example.com)",
    ),
    "opera-mcp": dict(
        env=opera_env, tools=26,
        get=("get_reservation", {"hotelId": "HOTEL1", "reservationId": "123456"}, "GET", "/rsv/v1/hotels/HOTEL1/reservations/123456"),
        post=(
            "post_cancel_reservation",
            {"hotelId": "HOTEL1", "reservationId": "123456", "reason": {"code": "GUEST"}, "reservations": [{"hotelId": "HOTEL1", "reservationIdList": [{"id": "123456", "type": "Reservation"}]}]},
            "POST", "/rsv/v1/hotels/HOTEL1/reservations/123456/cancellations",
            {"reason": {"code": "GUEST"}, "reservations": [{"hotelId": "HOTEL1", "reservationIdList": [{"id": "123456", "type": "Reservation"}]}]},
        ),
        auth=lambda headers: headers["authorization"] == "Bearer token-from-fake"
        and headers["x-app-key"] == "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a" and headers["x-hotelid"] == "HOTEL1",
    ),
    "medcor-mcp": dict(
        env=medcor_env, tools=33,
        get=("patients_retrieve", {"id": "7"}, "GET", "/api/patients/7/"),
        post=(
            "appointments_create", {"patient": "7", "doctor": "3", "scheduled_at": "2025-09-05T20:00:00+10:00", "reason": "Check-up"},
            "POST", "/api/appointments/", {"patient": 7, "doctor": 3, "scheduled_at": "2025-09-05T10:00:00Z", "reason": "Check-up"},
        ),
        auth=lambda headers: headers["authorization"] == "Bearer jwt-access-token",
    ),
    "calcom-mcp": dict(
        env=calcom_env, tools=9,
        get=("get_booking", {"bookingUid": "bk_9f8e"}, "GET", "/v2/bookings/bk_9f8e"),
        post=(
            "create_booking",
            {"start": "2025-09-05T10:00:00Z", "eventTypeId": 42, "attendee": {"name": "Ann Lee", "email": "ann@example.com", "timeZone": "Europe/London"}},
            "POST", "/v2/bookings",
            {"start": "2025-09-05T10:00:00Z", "eventTypeId": 42, "attendee": {"name": "Ann Lee", "email": "ann@example.com", "timeZone": "Europe/London"}},
        ),
        auth=lambda headers: headers["authorization"] == "Bearer cal_live_abc123" and headers["cal-api-version"] == "2024-08-13",
    ),
}


def params(crate, upstream, extra=None):
    return StdioServerParameters(
        command=str(server_binary(crate)), args=["serve", "--transport", "stdio"],
        env={**CASES[crate]["env"](upstream.url), "RUST_LOG": "warn", **(extra or {})},
    )


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("crate", sorted(CASES))
async def test_lists_tools_and_proxies_get_and_post(crate, mode, upstream):
    case = CASES[crate]
    async with Client(params(crate, upstream), mode=mode) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == case["tools"]
        names = {tool.name for tool in tools}
        assert len(names) == len(tools)
        for tool in tools:
            assert tool.input_schema["type"] == "object"
            assert tool.input_schema.get("additionalProperties") is False

        name, arguments, method, path = case["get"]
        result = await client.call_tool(name, arguments)
        assert not result.is_error, result.content
        assert result.structured_content == {"ok": True, "path": path}
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == (method, path)
        assert case["auth"](sent.headers), sent.headers

        name, arguments, method, path, body = case["post"]
        result = await client.call_tool(name, arguments)
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == (method, path)
        assert sent.headers["content-type"].startswith("application/json")
        assert sent.json() == body
        assert case["auth"](sent.headers), sent.headers
        assert len(upstream.requests) == 2


async def test_opera_fetches_one_token_with_client_credentials(upstream):
    async with Client(params("opera-mcp", upstream), mode="legacy") as client:
        for _ in range(3):
            result = await client.call_tool("get_reservation", {"hotelId": "HOTEL1", "reservationId": "1"})
            assert not result.is_error, result.content
    assert len(upstream.token_requests) == 1
    token = upstream.token_requests[0]
    assert token.headers["authorization"] == basic("client", "secret")
    assert token.headers["x-app-key"] == "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a"
    assert token.form() == {"grant_type": ["client_credentials"], "scope": ["urn:opc:hgbu:ws:__myscopes__"]}


async def test_cliniko_query_arrays_and_path_encoding(upstream):
    async with Client(params("cliniko-mcp", upstream), mode="legacy") as client:
        result = await client.call_tool("list_patients", {"q": ["last_name:=Smith", "first_name:~Jo"], "per_page": 10, "sort": ["last_name", "first_name"]})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert sent.query == {"q[]": ["last_name:=Smith", "first_name:~Jo"], "per_page": ["10"], "sort": ["last_name,first_name"]}

        before = len(upstream.requests)
        result = await client.call_tool("get_patient", {"id": "../admin"})
        assert result.is_error and "strings of digits" in result.content[0].text
        assert len(upstream.requests) == before


async def test_path_parameters_stay_one_segment(upstream):
    async with Client(params("opera-mcp", upstream), mode="legacy") as client:
        result = await client.call_tool("get_reservation", {"hotelId": "HOTEL1", "reservationId": "../admin?x=1"})
        assert not result.is_error, result.content
        assert upstream.requests[-1].path == "/rsv/v1/hotels/HOTEL1/reservations/..%2Fadmin%3Fx=1"


async def test_upstream_errors_and_bad_arguments_are_tool_errors(upstream):
    async with Client(params("cliniko-mcp", upstream), mode="legacy") as client:
        result = await client.call_tool("get_patient", {"id": "404404"})
        assert result.is_error
        text = result.content[0].text
        assert "HTTP 404" in text and "`id` = \"404404\"" in text and "must-not-leak" not in text

        before = len(upstream.requests)
        result = await client.call_tool("get_patient", {"id": "1", "surprise": True})
        assert result.is_error
        assert "surprise" in result.content[0].text
        result = await client.call_tool("create_individual_appointment", {"patient_id": "1"})
        assert result.is_error
        assert len(upstream.requests) == before, "invalid calls must not reach the upstream"


async def test_cliniko_appointment_times_go_upstream_in_utc(upstream):
    arguments = {"appointment_type_id": "1", "business_id": "2", "patient_id": ID, "practitioner_id": "3", "starts_at": "2025-09-05T20:00:00+10:00"}
    async with Client(params("cliniko-mcp", upstream), mode="legacy") as client:
        result = await client.call_tool("create_individual_appointment", arguments)
        assert not result.is_error, result.content
        assert upstream.requests[-1].json()["starts_at"] == "2025-09-05T10:00:00Z"

        before = len(upstream.requests)
        result = await client.call_tool("create_individual_appointment", {**arguments, "starts_at": "2025-09-05T20:00:00", "patient_id": int(ID)})
        assert result.is_error
        text = result.content[0].text
        assert "2 problems" in text and "has no UTC offset" in text and "IDs are strings of digits" in text
        assert len(upstream.requests) == before


def test_malformed_credentials_stop_the_server_naming_the_variable():
    import subprocess

    env = {"CLINIKO_API_KEY": "MS0xLWFi Y2RlZg-au2", "CLINIKO_BASE_URL": "http://127.0.0.1:9/v1"}
    run = subprocess.run([str(server_binary("cliniko-mcp")), "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode != 0
    assert "CLINIKO_API_KEY" in run.stderr and "spaces" in run.stderr
    assert run.stdout == ""


async def test_opera_hotel_defaults_to_the_configured_hotel(upstream):
    async with Client(params("opera-mcp", upstream), mode="legacy") as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "get_reservation")
        assert "hotelId" not in tool.input_schema.get("required", [])
        result = await client.call_tool("get_reservation", {"reservationId": "123456"})
        assert not result.is_error, result.content
        assert upstream.requests[-1].path == "/rsv/v1/hotels/HOTEL1/reservations/123456"


# Standard streams of every kind a client may hand a server: pipes (the Python SDK, the benchmark),
# socket pairs (Node's child_process, so Claude Desktop and Cursor), a standard output that standard
# error shares (the server must keep it blocking, so log lines are not lost), and plain files.
GET_PATIENT = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_patient", "arguments": {"id": ID}}}


def json_rpc_answers(lines):
    """The JSON-RPC messages among `lines`, by id; other lines (logs on a shared stream) are skipped."""
    answers = {}
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "id" in message:
            answers[message["id"]] = message
    return answers


def served_over(stdin, stdout, stderr, upstream):
    env = {**cliniko_env(upstream.url), "RUST_LOG": "info"}
    return subprocess.Popen([str(server_binary("cliniko-mcp")), "serve", "--transport", "stdio"],
                            env=env, stdin=stdin, stdout=stdout, stderr=stderr)


@pytest.mark.parametrize("streams", ["pipes", "socket pairs", "stdout shared with stderr"])
def test_stdio_serves_on_pipes_and_sockets_and_stops_when_input_closes(streams, upstream):
    if streams == "socket pairs":
        client_in, server_in = socket.socketpair()
        client_out, server_out = socket.socketpair()
        process = served_over(server_in.fileno(), server_out.fileno(), subprocess.DEVNULL, upstream)
        server_in.close()
        server_out.close()
        writer, reader = client_in.makefile("wb"), client_out.makefile("rb")
    else:
        stderr = subprocess.STDOUT if streams == "stdout shared with stderr" else subprocess.DEVNULL
        process = served_over(subprocess.PIPE, subprocess.PIPE, stderr, upstream)
        writer, reader = process.stdin, process.stdout
    try:
        answers = {}
        for message, wanted in [(INITIALIZE, 1), (INITIALIZED, None), (GET_PATIENT, 2)]:
            writer.write((json.dumps(message) + "\n").encode())
            writer.flush()
            while wanted is not None and wanted not in answers:
                line = reader.readline()
                assert line, f"the server closed its output before answering {wanted}"
                answers.update(json_rpc_answers([line]))
        assert answers[1]["result"]["serverInfo"]["name"] == "cliniko-mcp"
        result = answers[2]["result"]
        assert not result.get("isError"), result
        assert result["structuredContent"] == {"ok": True, "path": f"/v1/patients/{ID}"}
        assert [(sent.method, sent.path) for sent in upstream.requests] == [("GET", f"/v1/patients/{ID}")]
        # Pipes and sockets are served on the runtime's one thread, with no blocking-pool thread for
        # reads and writes; a standard output shared with standard error is written from one.
        threads = len(os.listdir(f"/proc/{process.pid}/task"))
        if streams == "stdout shared with stderr":
            assert threads > 1, threads
        else:
            assert threads == 1, threads
        writer.close()
        if streams == "socket pairs":
            client_in.close()
        assert process.wait(timeout=10) == 0, "the server stops cleanly when its input closes"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if streams == "socket pairs":
            client_out.close()


def test_stdio_serves_from_and_to_plain_files(upstream, tmp_path):
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(message) + "\n" for message in [INITIALIZE, INITIALIZED, GET_PATIENT]))
    answers = tmp_path / "answers.jsonl"
    with open(requests, "rb") as stdin, open(answers, "wb") as stdout:
        process = served_over(stdin, stdout, subprocess.DEVNULL, upstream)
        assert process.wait(timeout=10) == 0
    answered = json_rpc_answers(answers.read_text().splitlines())
    assert answered[1]["result"]["serverInfo"]["name"] == "cliniko-mcp"
    assert answered[2]["result"]["structuredContent"] == {"ok": True, "path": f"/v1/patients/{ID}"}
