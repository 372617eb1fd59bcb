"""``speckle`` as a real process: the console script, ``demo``, ``listen`` and one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import pytest

from speckle import SpeckleApiClient

from .conftest import PASSWORD, run_subprocess, unique_email


def test_console_script_runs_the_demo() -> None:
    script = shutil.which("speckle")
    assert script is not None, "the 'speckle' console script is not installed (pip install -e .)"
    started = time.monotonic()
    done = subprocess.run([script, "demo", "--json"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["objects"] == 300
    assert all(step["ok"] for step in report["steps"]) and len(report["steps"]) >= 6
    assert time.monotonic() - started < 30


def test_login_then_errors_as_one_line(speckle_server: Any) -> None:
    email = unique_email("proc")
    login = run_subprocess("login", "--register", "--host", speckle_server.host, "--email", email,
                           "--password-stdin", stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert email in login.stdout
    missing = run_subprocess("streams", "get", "doesNotExist")
    assert missing.returncode == 5
    assert missing.stderr.count("\n") == 1 and missing.stderr.startswith("speckle: error: ")
    usage = run_subprocess("streams", "create", "--private", "--public")
    assert usage.returncode == 2


def test_listen_prints_broadcasts_until_count(speckle_server: Any) -> None:
    sender = SpeckleApiClient(speckle_server.url)
    sender.register(email=unique_email("sender"), password=PASSWORD, company=None)
    stream = sender.streams.create({"name": "Live"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "speckle.cli.main", "listen", "--host", speckle_server.url, "--count", "1",
         "--duration", "30", "--json", "--", stream.streamId],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        ready = proc.stderr.readline()
        assert "listening to stream" in ready, ready
        with sender.listen(stream.streamId, mark_online=False) as socket:
            assert socket.wait_ready(10)
            socket.broadcast({"eventType": "update-global", "n": 1})
            out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    broadcasts = [e for e in events if e["event"] == "Broadcast"]
    assert len(broadcasts) == 1 and broadcasts[0]["args"] == {"eventType": "update-global", "n": 1}


@pytest.mark.parametrize("argv", [["--help"], ["streams", "--help"], ["--version"]])
def test_help_exits_0(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from speckle.cli.main import main

    assert main(argv) == 0
    assert "speckle" in capsys.readouterr().out
