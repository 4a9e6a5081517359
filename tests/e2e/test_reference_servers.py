"""The servers of the vendors' published specs (tests/reference/mcpgen.toml: Cliniko, OPERA from six
files, Cal.com), driven by the MCP Python SDK against a recording fake upstream in each mode: a
profile lists its tools, discovery finds a tool by task, and call_tool reaches the upstream with the
right method, path, credentials and injected headers. tests/reference_specs.rs builds them."""

import pytest
from mcp import Client, StdioServerParameters

from conftest import server_binary
from test_stdio import basic

SERVERS = {
    "cliniko_reference-mcp": dict(
        env=lambda url: {"CLINIKO_BASE_URL": f"{url}/v1", "CLINIKO_API_KEY": "MS0xLWFiY2RlZg-au2"},
        profile="voice",
        tools={"list_patients", "create_patient", "list_individual_appointments", "create_individual_appointment", "delete_individual_appointment"},
        search=("book an appointment for the caller", "create_individual_appointment"),
        call=("delete_individual_appointment", {"id": "1752849161776013508"}, "DELETE", "/v1/individual_appointments/1752849161776013508"),
        sent=lambda headers: headers["authorization"] == basic("MS0xLWFiY2RlZg-au2"),
    ),
    "opera_reference-mcp": dict(
        env=lambda url: {
            "OPERA_BASE_URL": url, "OPERA_CLIENT_ID": "client", "OPERA_CLIENT_SECRET": "secret",
            "OPERA_APP_KEY": "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a", "OPERA_HOTEL_ID": "HOTEL1",
        },
        profile="front_desk",
        tools={"delete_checkin", "get_hotel_reservations", "look_up_reservation", "post_check_in", "post_room_assignment"},
        search=("check the guest in", "post_check_in"),
        call=("look_up_reservation", {"reservationId": "123456"}, "GET", "/rsv/v1/hotels/HOTEL1/reservations/123456"),
        sent=lambda headers: headers["authorization"] == "Bearer token-from-fake"
        and headers["x-app-key"] == "4f6f1a36-5c1e-4a8e-9d6b-1f2e3d4c5b6a" and headers["x-hotelid"] == "HOTEL1",
    ),
    "calcom_reference-mcp": dict(
        env=lambda url: {"CALCOM_BASE_URL": url, "CALCOM_API_KEY": "cal_live_abc123"},
        profile="booking",
        tools={"get_available_slots", "get_bookings", "create_booking", "get_booking", "reschedule_booking", "cancel_booking"},
        search=("move the booking to another time", "reschedule_booking"),
        call=("get_booking", {"bookingUid": "bk_9f8e"}, "GET", "/v2/bookings/bk_9f8e"),
        sent=lambda headers: headers["authorization"] == "Bearer cal_live_abc123",
    ),
}


def server(crate, upstream, **env):
    return StdioServerParameters(
        command=str(server_binary(crate)), args=["serve", "--transport", "stdio"],
        env={**SERVERS[crate]["env"](upstream.url), "RUST_LOG": "warn", **env},
    )


@pytest.mark.parametrize("crate", sorted(SERVERS))
async def test_the_profile_lists_its_tools_and_calls_reach_the_upstream(crate, upstream):
    case = SERVERS[crate]
    # All mode: OPERA's five front-desk tools alone list in over 30 KB, where auto would offer discovery.
    async with Client(server(crate, upstream, MCP_PROFILE=case["profile"], MCP_TOOLS_MODE="all"), mode="legacy") as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert case["tools"] <= listed and len(listed) <= len(case["tools"]) + 1, listed
        name, arguments, method, path = case["call"]
        result = await client.call_tool(name, arguments)
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == (method, path)
        assert case["sent"](sent.headers), sent.headers


@pytest.mark.parametrize("crate", sorted(SERVERS))
async def test_discovery_finds_the_tool_and_calls_it_as_itself(crate, upstream):
    case = SERVERS[crate]
    async with Client(server(crate, upstream), mode="legacy") as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == {"search_tools", "describe_tool", "call_tool"}, "auto chooses discovery for the whole API"
        query, expected = case["search"]
        found = await client.call_tool("search_tools", {"query": query})
        assert not found.is_error, found.content
        assert expected in [tool["name"] for tool in found.structured_content["tools"]], found.structured_content

        name, arguments, method, path = case["call"]
        if crate == "opera_reference-mcp":
            name = "get_reservation"  # its own name outside the front_desk profile
        described = await client.call_tool("describe_tool", {"name": name})
        assert not described.is_error and described.structured_content["path"].endswith(path.split("/")[-2] + "/{" + list(arguments)[0] + "}")
        result = await client.call_tool("call_tool", {"name": name, "arguments": arguments})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == (method, path)
        assert case["sent"](sent.headers), sent.headers
