"""Profiles, discovery mode, pagination and description budgets, through the official MCP Python SDK
against the Cliniko server and a recording fake upstream: what a client lists is what it can call, and
a call through `call_tool` is sent, and refused, exactly as the tool's own."""

import json

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from conftest import server_binary
from test_stdio import ID, basic, cliniko_env, opera_env

VOICE = {"book_appointment", "create_patient", "delete_appointment", "list_appointments", "list_patients"}
DISCOVERY = {"search_tools", "describe_tool", "call_tool"}
APPOINTMENT = {"appointment_type_id": "1", "business_id": "2", "patient_id": ID, "practitioner_id": "3", "starts_at": "2025-09-05T20:00:00+10:00"}


def server(upstream, crate="cliniko-mcp", **env):
    base = cliniko_env(upstream.url) if crate == "cliniko-mcp" else opera_env(upstream.url)
    base.pop("MCP_TOOLS_MODE", None)
    return StdioServerParameters(
        command=str(server_binary(crate)), args=["serve", "--transport", "stdio"],
        env={**base, "RUST_LOG": "warn", **env},
    )


async def all_pages(client):
    """Every tool, following nextCursor; and the number of pages."""
    tools, cursor, pages = [], None, 0
    while True:
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            return tools, pages


async def test_a_profile_lists_and_calls_only_its_tools_under_their_profile_names(upstream):
    async with Client(server(upstream, MCP_PROFILE="voice"), mode="legacy") as client:
        tools, pages = await all_pages(client)
        assert {tool.name for tool in tools} == VOICE and pages == 1

        result = await client.call_tool("book_appointment", APPOINTMENT)
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == ("POST", "/v1/individual_appointments")
        assert sent.json()["starts_at"] == "2025-09-05T10:00:00Z"
        assert sent.headers["authorization"] == basic("MS0xLWFiY2RlZg-au2")

        before = len(upstream.requests)
        for outside in ["get_patient", "create_individual_appointment"]:
            with pytest.raises(MCPError, match="unknown tool"):
                await client.call_tool(outside, {"id": "1"})
        assert len(upstream.requests) == before


async def test_an_unknown_profile_stops_the_server_naming_the_profiles():
    import subprocess

    env = {**cliniko_env("http://127.0.0.1:9"), "MCP_PROFILE": "front_desk"}
    run = subprocess.run([str(server_binary("cliniko-mcp")), "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode != 0
    assert "MCP_PROFILE" in run.stderr and "all, read_only, voice" in run.stderr


def test_the_tools_command_prints_each_profiles_tools():
    import subprocess

    run = subprocess.run([str(server_binary("cliniko-mcp")), "tools", "--profiles"], capture_output=True, text=True, timeout=30, env={})
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    assert listed["default"] == "all"
    assert set(listed["profiles"]["voice"]) == VOICE
    assert len(listed["profiles"]["all"]) == 30
    assert all(name.startswith(("get_", "list_")) for name in listed["profiles"]["read_only"])


async def test_discovery_searches_describes_and_calls_like_the_tool_itself(upstream):
    async with Client(server(upstream, MCP_TOOLS_MODE="discovery"), mode="legacy") as client:
        tools, _ = await all_pages(client)
        assert {tool.name for tool in tools} == DISCOVERY
        assert "search_tools" in client.instructions and "30 operations" in client.instructions

        found = await client.call_tool("search_tools", {"query": "look up a patient by their last name"})
        assert not found.is_error, found.content
        names = [tool["name"] for tool in found.structured_content["tools"]]
        assert "list_patients" in names and len(names) == 5
        first = found.structured_content["tools"][0]
        assert set(first) == {"name", "description", "method", "path"}

        moved = await client.call_tool("search_tools", {"query": "move Mrs Smith's 3pm to Thursday", "limit": 3})
        assert "update_individual_appointment" in [tool["name"] for tool in moved.structured_content["tools"]]

        described = await client.call_tool("describe_tool", {"name": "get_patient"})
        assert not described.is_error, described.content
        detail = described.structured_content
        assert (detail["method"], detail["path"]) == ("GET", "/patients/{id}")
        assert "id" in detail["inputSchema"]["properties"] and detail["annotations"]["readOnlyHint"] is True

        result = await client.call_tool("call_tool", {"name": "get_patient", "arguments": {"id": ID}})
        assert not result.is_error, result.content
        assert result.structured_content == {"ok": True, "path": f"/v1/patients/{ID}"}
        sent = upstream.requests[-1]
        assert (sent.method, sent.path) == ("GET", f"/v1/patients/{ID}")
        assert sent.headers["authorization"] == basic("MS0xLWFiY2RlZg-au2")

        before = len(upstream.requests)
        wrapped = await client.call_tool("call_tool", {"name": "create_individual_appointment", "arguments": {**APPOINTMENT, "starts_at": "2025-09-05T20:00:00"}})
        direct = await client.call_tool("create_individual_appointment", {**APPOINTMENT, "starts_at": "2025-09-05T20:00:00"})
        assert wrapped.is_error and direct.is_error
        assert wrapped.content[0].text == direct.content[0].text
        assert "has no UTC offset" in wrapped.content[0].text

        unknown = await client.call_tool("call_tool", {"name": "drop_database", "arguments": {}})
        assert unknown.is_error and "search_tools" in unknown.content[0].text
        bad = await client.call_tool("search_tools", {"query": "patients", "limit": 500})
        assert bad.is_error and "limit" in bad.content[0].text
        assert len(upstream.requests) == before, "refused calls never reach the upstream"


async def test_auto_switches_to_discovery_past_the_tool_or_byte_budget(upstream):
    async with Client(server(upstream), mode="legacy") as client:
        tools, _ = await all_pages(client)
        assert len(tools) == 30, "30 tools in 24 KB stay within the default budget"
    async with Client(server(upstream, MCP_TOOLS_MAX="10"), mode="legacy") as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == DISCOVERY
    async with Client(server(upstream, crate="opera-mcp"), mode="legacy") as client:
        assert len((await client.list_tools()).tools) == 26, "26 tools in 29 KB stay within the default budget"
    async with Client(server(upstream, crate="opera-mcp", MCP_TOOLS_MAX_BYTES="20000"), mode="legacy") as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == DISCOVERY, "26 tools in over 20 KB"
    async with Client(server(upstream, MCP_PROFILE="voice", MCP_TOOLS_MAX="4"), mode="legacy") as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == DISCOVERY
        found = await client.call_tool("search_tools", {"query": "book an appointment", "limit": 50})
        assert {tool["name"] for tool in found.structured_content["tools"]} <= VOICE


async def test_the_tool_list_is_paginated_with_a_cursor(upstream):
    async with Client(server(upstream, MCP_TOOLS_MODE="all", MCP_TOOLS_PAGE_BYTES="4096"), mode="legacy") as client:
        first = await client.list_tools()
        assert first.next_cursor and 0 < len(first.tools) < 30
        assert len(json.dumps([tool.model_dump(exclude_none=True, by_alias=True) for tool in first.tools])) <= 4096 + 2048
        tools, pages = await all_pages(client)
        assert pages > 2
        assert len({tool.name for tool in tools}) == len(tools) == 30
        with pytest.raises(MCPError, match="cursor"):
            await client.list_tools(cursor="page-999")


async def test_descriptions_are_cut_to_the_budget_and_described_whole(upstream):
    async with Client(server(upstream, MCP_TOOLS_MODE="all", MCP_TOOL_DESCRIPTION_CHARS="80"), mode="legacy") as client:
        tools, _ = await all_pages(client)
        by_name = {tool.name: tool for tool in tools}
        assert "describe_tool" in by_name and len(by_name) == 31
        cut = [tool for tool in tools if tool.description.endswith("[…]")]
        assert cut and all(len(tool.description) <= 80 for tool in tools if tool.name != "describe_tool")
        whole = await client.call_tool("describe_tool", {"name": cut[0].name})
        assert not whole.is_error, whole.content
        full = whole.structured_content["description"]
        assert len(full) > 80 and full.startswith(cut[0].description[:-4].rstrip())


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_profiles_and_discovery_over_http(mode, upstream):
    from test_http import client as http_client
    from test_http import http_server

    with http_server("cliniko-mcp", upstream, {"MCP_PROFILE": "voice", "MCP_TOOLS_MODE": "discovery"}) as base:
        async with http_client(base, mode=mode) as client:
            assert {tool.name for tool in (await client.list_tools()).tools} == DISCOVERY
            found = await client.call_tool("search_tools", {"query": "register a new patient", "limit": 50})
            names = [tool["name"] for tool in found.structured_content["tools"]]
            assert names[0] == "create_patient" and set(names) <= VOICE
            result = await client.call_tool("call_tool", {"name": "book_appointment", "arguments": APPOINTMENT})
            assert not result.is_error, result.content
            assert (upstream.requests[-1].method, upstream.requests[-1].path) == ("POST", "/v1/individual_appointments")
