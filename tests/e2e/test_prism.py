"""Each generated server against Stoplight Prism mocking its API from the spec with `--errors`: Prism
refuses any request that breaks the spec (a missing credential, a bad path ID, a wrong body), so calls
that succeed prove the requests the server sends conform to the spec. Over stdio and over HTTP."""

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from mcp import Client, StdioServerParameters

from conftest import ROOT, npm_tool, server_binary
from test_http import client as http_client
from test_http import free_port, http_server
from test_stdio import CASES

SPECS = {"cliniko-mcp": "cliniko.yaml", "opera-mcp": "opera.json", "medcor-mcp": "medcor.yaml", "calcom-mcp": "calcom.yaml"}

# A read call and a write call per API, with arguments the spec accepts.
CALLS = {
    "cliniko-mcp": [
        ("get_patient", {"id": "1752849161776013508"}),
        ("create_individual_appointment", {"appointment_type_id": "1", "business_id": "2", "patient_id": "3", "practitioner_id": "4", "starts_at": "2025-09-05T20:00:00+10:00"}),
    ],
    "opera-mcp": [
        ("get_reservation", {"reservationId": "123456"}),
        ("post_cancel_reservation", {"reservationId": "123456", "reason": {"code": "GUEST"}, "reservations": [{"hotelId": "HOTEL1", "reservationIdList": [{"id": "123456", "type": "Reservation"}]}]}),
    ],
    "medcor-mcp": [
        ("patients_retrieve", {"id": "7"}),
        ("appointments_create", {"patient": "7", "doctor": "3", "scheduled_at": "2025-09-05T10:00:00Z"}),
    ],
    "calcom-mcp": [
        ("get_booking", {"bookingUid": "bk_9f8e"}),
        ("create_booking", {"start": "2025-09-05T10:00:00Z", "eventTypeId": 42, "attendee": {"name": "Ann Lee", "email": "ann@example.com", "timeZone": "Europe/London"}}),
    ],
}


@contextlib.contextmanager
def prism(crate):
    port = free_port()
    spec = ROOT / "specs" / SPECS[crate]
    process = subprocess.Popen(
        [str(npm_tool("prism")), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(spec)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prism did not start for {spec}: {process.stdout.read() if process.poll() is not None else 'timeout'}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


class Upstream:
    """Stands in for the fake upstream in the environment builders: only its URL matters."""

    def __init__(self, url):
        self.url = url


def environment(crate, url):
    env = CASES[crate]["env"](url)
    if crate == "cliniko-mcp":
        env["CLINIKO_BASE_URL"] = url  # Prism serves the spec's paths at its root.
    return env


async def call_all(session, crate):
    for name, arguments in CALLS[crate]:
        result = await session.call_tool(name, arguments)
        assert not result.is_error, f"Prism refused `{name}`: {result.content[0].text}"
        assert result.structured_content is not None


async def list_and_call(session, crate):
    assert len((await session.list_tools()).tools) == CASES[crate]["tools"]
    assert {str(r.uri) for r in (await session.list_resources()).resources} >= {"health://ready"}
    await call_all(session, crate)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("crate", sorted(CASES))
async def test_requests_conform_to_the_spec_over_stdio(crate, mode):
    with prism(crate) as url:
        parameters = StdioServerParameters(
            command=str(server_binary(crate)), args=["serve"], env={**environment(crate, url), "RUST_LOG": "warn"},
        )
        async with Client(parameters, mode=mode) as session:
            await list_and_call(session, crate)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("crate", sorted(CASES))
async def test_requests_conform_to_the_spec_over_http(crate, mode):
    with prism(crate) as url:
        with http_server(crate, Upstream(url), environment(crate, url)) as base:
            async with http_client(base, mode=mode) as session:
                await list_and_call(session, crate)


def test_prism_refuses_requests_that_break_the_spec():
    with prism("cliniko-mcp") as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{url}/patients/1", timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(f"{url}/patients/not-a-number", headers={"Authorization": "Basic a2V5Og=="})
        with pytest.raises(urllib.error.HTTPError) as invalid:
            urllib.request.urlopen(request, timeout=10)
        assert invalid.value.code == 422, json.loads(invalid.value.read())
