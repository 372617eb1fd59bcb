"""Every command and every Python block of README.rst runs, so the README cannot drift from the code.

The README's examples address a placeholder server (``speckle.example.com``) as the user
``me@example.com`` / ``my password``, and name a stream ``MawOwhxET`` or ``STREAM_ID``. Here they
run against a fresh local server where that user exists: each placeholder is replaced by its
local value (:data:`PLACEHOLDERS`; every one must occur in the README, so none is stale).

* Python blocks run in order in one namespace (later blocks use ``client`` from earlier ones);
  an RST comment ``.. readme-test: raises NAME`` before a block says that the block must stop
  with that ``speckle.errors`` exception (e.g. v2-only calls on a v1 server).
* Shell commands (``bash``/``console`` blocks and ``::`` literal blocks) run line by line:
  ``speckle ...`` in-process through ``speckle.cli.main.main`` (the password prompt answered),
  ``speckle listen``/``follow``/``serve`` as processes stopped with Ctrl-C (SIGINT), other lines
  with bash; every one must exit 0.
* The ``pip install ...`` lines of the quick start are not run: the test command must be the
  one ``.ci/run`` runs, verbatim, and ``speckle demo`` must pass through the installed console
  script.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from speckle import SpeckleApiClient, errors
from speckle.accounts_store import AccountStore
from speckle.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.rst"
EMAIL = "me@example.com"
PASSWORD = "my password"
PLACEHOLDER_HOST = "speckle.example.com"


@dataclass
class Block:
    """One code block of the README."""

    language: str  # "python" or "shell"
    code: str
    line: int
    marker: str | None


def readme_blocks(text: str) -> list[Block]:
    """The code blocks of an RST text: ``code-block::`` directives and ``::`` literal blocks."""
    lines = text.splitlines()
    blocks: list[Block] = []
    for index, line in enumerate(lines):
        directive = re.match(r"\.\. code-block::\s*(\w+)", line)
        literal = not line.startswith("..") and line.rstrip().endswith("::")
        if not directive and not literal:
            continue
        language = directive.group(1) if directive else "shell"
        language = "python" if language in ("python", "pycon") else "shell"
        body: list[str] = []
        start = index + 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        end = start
        while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t"))):
            body.append(lines[end])
            end += 1
        previous = [lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()][:1]
        marked = previous and previous[0].startswith(".. readme-test:")
        marker = previous[0].split(":", 1)[1].strip() if marked else None
        blocks.append(Block(language, textwrap.dedent("\n".join(body)).strip("\n"), start + 1, marker))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_readme_has_blocks_of_both_kinds() -> None:
    assert any(b.language == "python" for b in BLOCKS)
    assert any(b.language == "shell" for b in BLOCKS)


def shell_lines() -> list[tuple[int, str]]:
    return [
        (block.line, line.strip())
        for block in BLOCKS if block.language == "shell"
        for line in block.code.splitlines() if line.strip() and not line.strip().startswith("#")
    ]


def test_quick_start_commands() -> None:
    installs = [line for _, line in shell_lines() if line.startswith("pip install")]
    assert installs == ['pip install . && speckle demo', 'pip install -e ".[test]" && python -m pytest -q']
    assert installs[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    script = shutil.which("speckle")
    assert script is not None, "the 'speckle' console script is not installed"
    done = subprocess.run([script, "demo"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout


# -- the README against a local server -----------------------------------------------------------


@pytest.fixture
def local(speckle_server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fresh server where the README's user exists and owns a stream; a private config folder."""
    monkeypatch.setenv("SPECKLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("SPECKLE_HOST", raising=False)
    monkeypatch.delenv("SPECKLE_TOKEN", raising=False)
    server = speckle_server_factory()
    client = SpeckleApiClient(server.url)
    client.register(email=EMAIL, password=PASSWORD, company="Me")
    stream = client.streams.create({"name": "README", "objects": [{"type": "Point", "value": [1, 2, 3]}]})
    while stream.streamId.startswith("-"):  # the README's commands put the id before options
        stream = client.streams.create({"name": "README", "objects": [{"type": "Point", "value": [1, 2, 3]}]})
    return {"server": server, "client": client, "stream_id": stream.streamId,
            "object_id": stream.objects[0].id, "tmp": tmp_path}


def substitutions(local: dict[str, Any]) -> dict[str, str]:
    """Placeholder -> local value."""
    return {
        PLACEHOLDER_HOST: local["server"].url,
        "'MawOwhxET'": repr(local["stream_id"]),
        "STREAM_ID": local["stream_id"],
        "OBJECT_ID": local["object_id"],
        "timeout=3600": "timeout=1",  # the live example waits an hour for events
        "--port 3000": "--port 0",  # any free port
    }


def localize(code: str, local: dict[str, Any]) -> str:
    for placeholder, value in substitutions(local).items():
        code = code.replace(placeholder, value)
    return code


def test_every_placeholder_is_used() -> None:
    text = README.read_text(encoding="utf-8")
    fake = {"server": type("S", (), {"url": "x"})(), "stream_id": "x", "object_id": "x"}
    for placeholder in substitutions(fake):
        assert placeholder in text, f"{placeholder!r} no longer occurs in README.rst: update PLACEHOLDERS"


def test_python_blocks(local: dict[str, Any], monkeypatch: pytest.MonkeyPatch, speckle_client: Any,
                       speckle_server_factory: Any) -> None:
    local["client"].close()
    AccountStore().add(local["server"].url, EMAIL, local["client"].me.apitoken, name="Me")
    monkeypatch.setenv("SPECKLE_HOST", local["server"].url)
    monkeypatch.setenv("SPECKLE_TOKEN", local["client"].me.apitoken)
    fixtures = {"speckle_client": speckle_client, "speckle_server_factory": speckle_server_factory}
    namespace: dict[str, Any] = {"objects": [{"type": "Point", "value": [i, i, i]} for i in range(500)]}
    ran = 0
    for block in (b for b in BLOCKS if b.language == "python"):
        code = compile(localize(block.code, local), f"README.rst:{block.line}", "exec")
        tests_before = {k for k in namespace if k.startswith("test_")}
        if block.marker and block.marker.startswith("raises "):
            expected = getattr(errors, block.marker.split()[1])
            with pytest.raises(expected):
                exec(code, namespace)
        else:
            exec(code, namespace)
        for name in sorted(k for k in namespace if k.startswith("test_") and k not in tests_before):
            function = namespace[name]
            arguments = function.__code__.co_varnames[: function.__code__.co_argcount]
            function(*(fixtures[a] for a in arguments))
        ran += 1
    assert ran >= 6


def _stop_with_ctrl_c(argv: list[str], ready_text: str, stream: str, env: dict[str, str], cwd: Path) -> int:
    proc = subprocess.Popen([sys.executable, "-m", "speckle.cli.main", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        pipe = proc.stdout if stream == "stdout" else proc.stderr
        assert pipe is not None
        first = pipe.readline()
        assert ready_text in first, first + (proc.stderr.read() if proc.stderr else "")
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode


def test_shell_commands(local: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(local["tmp"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="Password: ": PASSWORD)
    env = dict(os.environ)
    ran = 0
    for line_number, line in shell_lines():
        if line.startswith("pip install"):
            continue  # test_quick_start_commands
        command = localize(line, local)
        where = f"README.rst:{line_number}: {line}"
        argv = shlex.split(command, comments=True)
        if argv[:2] == ["speckle", "listen"]:
            assert _stop_with_ctrl_c(argv[1:], "listening", "stderr", env, local["tmp"]) == 0, where
        elif argv[:2] == ["speckle", "follow"]:
            assert _stop_with_ctrl_c(argv[1:], "following", "stderr", env, local["tmp"]) == 0, where
        elif argv[:2] == ["speckle", "serve"]:
            assert _stop_with_ctrl_c(argv[1:], "listening on", "stdout", env, local["tmp"]) == 0, where
        elif argv[0] == "speckle" and not any(ch in command for ch in "|><$;&`"):
            code = main(argv[1:])
            out = capsys.readouterr()
            assert code == 0, f"{where}\n{out.err}"
        else:
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60)
            assert done.returncode == 0, f"{where}\n{done.stderr}"
        ran += 1
    assert ran >= 10
    assert (local["tmp"] / "tower-back.json").exists()
