"""``benchmarks/load.py`` keeps working: a small concurrent run with a kill -9 and a restart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


def test_the_load_benchmark_loses_nothing_and_gives_no_5xx() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--requests", "300", "--concurrency", "30", "--users", "3"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    (first,) = [line for line in lines if line.startswith("requests: ")]
    assert int(first.split()[1]) >= 300 and "from 30 concurrent clients" in first  # + a PUT per new client
    assert "5xx: 0" in lines
    (checked,) = [line for line in lines if line.startswith("acknowledged writes checked")]
    assert checked.endswith("lost: 0") and int(checked.split(":")[1].split(";")[0]) > 50
    assert any(line.startswith("latency: p50 ") and " p99 " in line for line in lines)
