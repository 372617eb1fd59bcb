"""``benchmarks/bulk.py`` keeps working: a small run against its own local server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bulk.py"


def test_the_bulk_benchmark_runs_and_checks_what_it_receives() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--objects", "600", "--naive-sample", "20", "--repeat", "2", "--skip-models"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert out.returncode == 0, out.stderr

    def row(way: str) -> str:
        (line,) = [line for line in out.stdout.splitlines() if f"  {way}  " in line]
        return line

    assert "median of 2 runs" in row("client.send")
    assert "600 uploaded; no sent-object record" in row("client.send, use_cache=False")
    assert "CPU without the sent-object record" in out.stdout
    assert "0 uploaded; stream unchanged" in row("(d) re-send unchanged")
    assert "0 uploaded; record read from its file" in row("(d) re-send unchanged, new client")
    assert "6 uploaded" in row("re-send, 1% changed")
    assert "order + hashes verified" in row("client.receive(raw=True)")
    assert "re-send:" in out.stdout and "faster than naive" in out.stdout
    assert "0 downloaded; fresh objects read from the record" in row("unchanged, same client")
    assert "0 downloaded; record read from its file" in row("unchanged, new process")
    assert "use_cache=False" in row("first receive, new process")
    assert "marshal.loads of the objects" in row("fresh objects, least possible")
    assert "of a first receive in a new process" in out.stdout
    assert "exactly the 6 changed objects downloaded" in row("1% changed in place")
    assert "exactly the 6 changed objects downloaded, the others shared" in row("1% changed in place, previous=")
    assert "reported in missing" in row("1 object deleted")
    assert "median of 2" in row("follow: 1% changed -> change")
    assert "receive again (share of the first receive):" in out.stdout
