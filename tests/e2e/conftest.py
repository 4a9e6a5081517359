"""Shared fixtures: where the generated servers are built, and a fresh fake upstream per test."""

import os
import pathlib

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


@pytest.fixture
def upstream():
    fake = FakeUpstream().start()
    yield fake
    fake.stop()
