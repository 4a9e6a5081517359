"""The official MCP conformance suite (npm @modelcontextprotocol/conformance, on Node 22) against each
generated server over Streamable HTTP. Only scenarios in conformance-baseline.yml may fail, each for
the reason given there; a listed scenario that starts passing fails the run too."""

import os
import pathlib
import subprocess

import pytest

from conftest import node22_path, npm_tool
from test_http import http_server
from test_stdio import CASES

BASELINE = pathlib.Path(__file__).resolve().with_name("conformance-baseline.yml")


@pytest.mark.parametrize("crate", sorted(CASES))
def test_conformance_suite(crate, upstream, tmp_path):
    # The suite sends no bearer token and many requests at once: run on loopback without tokens and
    # without the per-client limit (both are covered by test_http.py).
    with http_server(crate, upstream, {"MCP_AUTH_TOKENS": "", "MCP_CLIENT_RATE_LIMIT_RPS": "0"}) as base:
        run = subprocess.run(
            [str(npm_tool("conformance")), "server", "--url", f"{base}/mcp", "--expected-failures", str(BASELINE), "-o", str(tmp_path)],
            env={**os.environ, "PATH": node22_path()}, capture_output=True, text=True, timeout=600,
        )
    summary = run.stdout[run.stdout.find("=== SUMMARY ==="):]
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}"
    assert "Baseline check passed" in run.stdout
