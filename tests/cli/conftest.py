"""Fixtures of the command-line tests: a private config folder, and ``speckle`` run in-process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from speckle.cli.main import main

PASSWORD = "correct horse battery staple"


@dataclass
class Result:
    """What one ``speckle`` run gave."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty config folder and no SPECKLE_HOST/SPECKLE_TOKEN."""
    home = tmp_path / "config"
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SPECKLE_HOST", raising=False)
    monkeypatch.delenv("SPECKLE_TOKEN", raising=False)
    return home


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``cli(*argv, stdin=None) -> Result``: run ``speckle`` in this process."""

    def run(*argv: str, stdin: str | None = None) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def unique_email(prefix: str = "cli") -> str:
    """A fresh email address."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@speckle.local"


@pytest.fixture
def user(cli: Callable[..., Result], speckle_server: Any) -> dict[str, str]:
    """A user registered and logged in through ``speckle login --register`` (the default account)."""
    email = unique_email()
    result = cli("login", "--register", "--host", speckle_server.url, "--email", email, "--name", "Cli",
                 "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert result.code == 0, result.err
    return {"email": email, "host": speckle_server.url}


def run_subprocess(*argv: str, stdin: str | None = None, env: dict[str, str] | None = None,
                   timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m speckle.cli.main`` in a child process with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "speckle.cli.main", *argv], input=stdin, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )


@pytest.fixture
def streams_of(cli: Callable[..., Result]) -> Iterator[Callable[[], list[str]]]:
    """``streams_of() -> [streamId...]`` of the default account, from ``speckle streams list --json``."""

    def ids() -> list[str]:
        result = cli("streams", "list", "--json")
        assert result.code == 0, result.err
        return [s["streamId"] for s in result.json()]

    yield ids
