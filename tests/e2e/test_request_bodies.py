"""The request bodies real APIs take, sent byte for byte: the crate generated from
tests/fixtures/request_bodies.yaml, driven over stdio by the MCP Python SDK against a recording fake
upstream. Bracket-style forms, multipart parts with file names and media types, raw bytes and text,
XML from the same fields, JSON-like media types, and files fetched only from allowed URLs."""

import base64
import email.parser
import email.policy
import json
from urllib.parse import unquote

import pytest
from mcp import Client, StdioServerParameters

from conftest import build_fixture_crate


@pytest.fixture(scope="module")
def binary():
    return build_fixture_crate("request_bodies.yaml", "fixture-request-bodies")


def params(binary, upstream, extra=None):
    return StdioServerParameters(
        command=str(binary), args=["serve", "--transport", "stdio"],
        env={"FIXTURE_REQUEST_BODIES_BASE_URL": upstream.url, "RUST_LOG": "warn", **(extra or {})},
    )


def pairs(body: bytes):
    return [tuple(unquote(part).split("=", 1)) for part in body.decode().split("&")]


def parts(sent):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body
    )
    return {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}


async def test_forms_follow_the_encoding_in_bracket_style(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        result = await client.call_tool("create_charge", {
            "amount": 2000, "currency": "usd", "metadata": {"order_id": "6735"}, "expand": ["customer", "invoice"],
            "items": [{"price": "price_1", "quantity": 2}], "tags": ["a", "b"], "ids": ["x", "y"],
        })
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
        assert pairs(sent.body) == [
            ("amount", "2000"), ("currency", "usd"), ("metadata[order_id]", "6735"), ("expand[]", "customer"),
            ("expand[]", "invoice"), ("items[0][price]", "price_1"), ("items[0][quantity]", "2"), ("tags", "a|b"),
            ("ids", "x,y"),
        ]

        result = await client.call_tool("search_encoded", {"body": "q=ann&limit=5"})
        assert not result.is_error, result.content
        assert upstream.requests[-1].body == b"q=ann&limit=5"


async def test_multipart_parts_carry_file_names_and_media_types(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        result = await client.call_tool("upload_file", {
            "file": {"content_base64": base64.b64encode(b"evidence \x00\x01").decode(), "filename": "evidence.txt", "content_type": "text/plain"},
            "attachments": [{"content_base64": "aGk=", "filename": "a.pdf"}, {"content_base64": "aG8=", "filename": "b.png", "content_type": "image/png"}],
            "purpose": "dispute_evidence", "file_link_data": {"create": True},
        })
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
        received = parts(sent)
        assert received["file"].get_filename() == "evidence.txt"
        assert received["file"].get_content_type() == "text/plain"
        assert received["file"].get_payload(decode=True) == b"evidence \x00\x01"
        assert received["purpose"].get_payload(decode=True) == b"dispute_evidence"
        assert received["file_link_data"].get_content_type() == "application/json"
        assert received["file_link_data"].get_payload(decode=True) == b'{"create":true}'
        attachments = [part for part in email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body).iter_parts()
            if part.get_param("name", header="content-disposition") == "attachments"]
        assert [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True)) for a in attachments] == [
            ("a.pdf", "application/octet-stream", b"hi"), ("b.png", "image/png", b"ho"),
        ]

        before = len(upstream.requests)
        for file, words in [
            ({"content_base64": "not base64!"}, "not valid base64"),
            ({}, "content_base64"),
            ({"content_base64": "aGk=", "content_type": "text/plain\r\nX-Admin: 1"}, "not a media type"),
            ({"url": f"{upstream.url}/files/a.pdf"}, "does not fetch files by URL"),
        ]:
            result = await client.call_tool("upload_file", {"file": file, "purpose": "dispute_evidence"})
            assert result.is_error and words in result.content[0].text, result.content
        assert len(upstream.requests) == before


async def test_files_by_url_only_under_an_allowed_prefix(binary, upstream):
    env = {"FIXTURE_REQUEST_BODIES_FILE_URL_PREFIXES": f"{upstream.url}/files"}
    async with Client(params(binary, upstream, env), mode="legacy") as client:
        result = await client.call_tool("upload_file", {"file": {"url": f"{upstream.url}/files/report.pdf"}, "purpose": "dispute_evidence"})
        assert not result.is_error, result.content
        fetched, sent = upstream.requests[-2], upstream.requests[-1]
        assert (fetched.method, fetched.path) == ("GET", "/files/report.pdf")
        assert "authorization" not in fetched.headers
        assert parts(sent)["file"].get_payload(decode=True) == fetched_body("/files/report.pdf")

        before = len(upstream.requests)
        for url in [f"{upstream.url}/filesystem/x", f"{upstream.url}/files/../admin", "file:///etc/passwd", f"{upstream.url}/files"]:
            result = await client.call_tool("upload_file", {"file": {"url": url}, "purpose": "dispute_evidence"})
            assert result.is_error and "fetches files only under" in result.content[0].text, (url, result.content)
        assert len(upstream.requests) == before


def fetched_body(path):
    """What the fake upstream answers a GET of `path` with."""
    return json.dumps({"ok": True, "path": path}).encode()


async def test_raw_text_xml_and_json_like_bodies(binary, upstream):
    async with Client(params(binary, upstream), mode="legacy") as client:
        content = bytes(range(256))
        result = await client.call_tool("put_document_content", {"id": "d1", "body": {"content_base64": base64.b64encode(content).decode()}})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.method, sent.path, sent.headers["content-type"], sent.body) == ("PUT", "/v1/documents/d1/content", "application/octet-stream", content)

        result = await client.call_tool("put_document_content", {"id": "d1", "body": {"content_base64": "aGk=", "content_type": "application/pdf"}})
        assert not result.is_error, result.content
        assert upstream.requests[-1].headers["content-type"] == "application/pdf"

        result = await client.call_tool("create_note", {"body": "Ann called: <reschedule> & confirm"})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.headers["content-type"], sent.body) == ("text/plain", b"Ann called: <reschedule> & confirm")

        result = await client.call_tool("create_queue", {"QueueName": "q<1>", "Tags": ["a", "b"], "Attributes": {"Delay": "5"}})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert sent.headers["content-type"] == "text/xml"
        assert sent.body.decode() == (
            '<?xml version="1.0" encoding="UTF-8"?><CreateQueue><Name>q&lt;1&gt;</Name>'
            "<Attributes><Delay>5</Delay></Attributes><Tags>a</Tags><Tags>b</Tags></CreateQueue>"
        )
        before = len(upstream.requests)
        result = await client.call_tool("create_queue", {"QueueName": "q", "Attributes": {"a><b": "x"}})
        assert result.is_error and "cannot be an XML element name" in result.content[0].text, result.content
        assert len(upstream.requests) == before

        patch = [{"op": "replace", "path": "/name", "value": "Ann"}]
        result = await client.call_tool("patch_user", {"id": "u1", "body": patch})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.headers["content-type"], sent.json()) == ("application/json-patch+json", patch)

        result = await client.call_tool("scim_create_user", {"userName": "ann"})
        assert not result.is_error, result.content
        sent = upstream.requests[-1]
        assert (sent.headers["content-type"], sent.json()) == ("application/scim+json", {"userName": "ann"})
