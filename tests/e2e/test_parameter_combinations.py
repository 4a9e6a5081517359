"""Every combination of required, default, nullable, location and type (tests/fixtures/
parameter_combinations.yaml): the generated crate compiles, and each tool, called with only what it
requires, sends what the spec says: given values as given, defaults where the spec has them, nothing
for what was left out."""

import itertools
from urllib.parse import unquote

import pytest
from mcp import Client, StdioServerParameters

from conftest import build_fixture_crate


TYPES = ["string", "integer", "number", "boolean", "array", "object", "date_time"]
GIVEN = {
    "string": "s", "integer": 7, "number": 2.5, "boolean": False, "array": ["x", "y"], "object": {"k": "v"},
    "date_time": "2025-01-01T10:00:00+02:00",
}
DEFAULT_TEXT = {"string": "abc", "integer": "5", "number": "1.5", "boolean": "true", "date_time": "2025-01-01T00:00:00Z"}


def names():
    """The fixture's parameter names, in its order: <type>_<req|opt>[_def][_null]."""
    for kind, required, default, nullable in itertools.product(TYPES, [True, False], [False, True], [False, True]):
        yield kind, required, default, f"{kind}_{'req' if required else 'opt'}{'_def' if default else ''}{'_null' if nullable else ''}"


@pytest.fixture(scope="module")
def binary():
    return build_fixture_crate("parameter_combinations.yaml", "fixture-parameter-combinations")


def params(binary, upstream):
    return StdioServerParameters(
        command=str(binary), args=["serve", "--transport", "stdio"],
        # Its tools list in over 30 KB, where auto would offer discovery; these tests read the list.
        env={"FIXTURE_PARAMETER_COMBINATIONS_BASE_URL": upstream.url, "RUST_LOG": "warn", "MCP_TOOLS_MODE": "all"},
    )


async def required_arguments(client, tool):
    """A value for each input `tool` requires."""
    listed = {t.name: t for t in (await client.list_tools()).tools}[tool]
    kind = lambda name: "date_time" if name.startswith("date_time") else name.split("_")[0]
    return {name: GIVEN[kind(name)] for name in listed.input_schema.get("required", [])}


async def call_with_required(client, tool):
    """Calls `tool` with a value for each required input, and returns those arguments."""
    arguments = await required_arguments(client, tool)
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, (tool, result.content)
    return arguments


async def test_path_parameters_use_their_defaults(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        given = await call_with_required(client, "path_parameters")
        segments = [unquote(segment) for segment in upstream.requests[-1].path.split("/")[2:]]
        expected_names = [name for *_, name in names()]
        assert len(segments) == len(expected_names)
        for (kind, _, default, name), segment in zip(names(), segments):
            if name in given:
                assert not (default and kind in DEFAULT_TEXT), f"{name} has a default, so it is optional"
            elif kind in DEFAULT_TEXT:
                assert segment == DEFAULT_TEXT[kind], (name, segment)


async def test_query_header_and_cookie_defaults_go_only_where_required(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        await call_with_required(client, "query_parameters")
        query = upstream.requests[-1].query
        for kind, required, default, name in names():
            if default and kind in DEFAULT_TEXT:
                assert (query.get(name) == [DEFAULT_TEXT[kind]]) == required, (name, query.get(name))
        assert query["date_time_req"] == ["2025-01-01T08:00:00Z"]

        await call_with_required(client, "header_parameters")
        headers = upstream.requests[-1].headers
        for kind, required, default, name in names():
            if required and default and kind in DEFAULT_TEXT:
                assert headers[name] == DEFAULT_TEXT[kind], name

        # Lists (joined with commas) and objects (JSON, with quotes) cannot be cookie values: refused,
        # each named, and nothing sent.
        before = len(upstream.requests)
        result = await client.call_tool("cookie_parameters", await required_arguments(client, "cookie_parameters"))
        assert result.is_error
        for name in ["array_req", "array_req_def", "object_req", "object_req_def"]:
            assert f"`{name}`: a cookie value must be printable ASCII" in result.content[0].text, name
        assert len(upstream.requests) == before


async def test_bodies_send_what_was_given(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        given = await call_with_required(client, "json_body")
        sent = upstream.requests[-1].json()
        expected = {name: ("2025-01-01T08:00:00Z" if name.startswith("date_time") else value) for name, value in given.items()}
        assert sent == expected

        given = await call_with_required(client, "form_body")
        form = upstream.requests[-1].form()
        assert form["string_req"] == ["s"] and form["integer_req"] == ["7"] and form["boolean_req"] == ["false"]
        assert form["array_req"] == ["x", "y"], "a form list repeats its name"
        assert set(form["k"]) == {"v"}, "a form object spreads its properties (style form, exploded)"

        await call_with_required(client, "json_body_optional")
        assert upstream.requests[-1].body in (b"", b"{}")
