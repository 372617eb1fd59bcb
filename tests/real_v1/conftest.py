"""End-to-end tests against the REAL v1 server (opt in: ``pytest -m real_v1``).

They run only when selected with ``-m real_v1`` and only when a v1 server answers at
``$SPECKLE_REAL_V1_URL`` (default ``http://127.0.0.1:3100``, where
``../shared/real-v1/start.sh`` puts it); otherwise they are skipped. Tests that run the
original client need its build: ``$SPECKLE_REAL_V1_HOME`` (default
``~/.cache/speckle-real-v1``) with ``venv/`` and ``PySpeckle/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

DEFAULT_URL = "http://127.0.0.1:3100"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the real-server tests unless the run selected them (``-m real_v1``)."""
    if "real_v1" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="opt-in: run with pytest -m real_v1 (see README)")
    for item in items:
        if item.get_closest_marker("real_v1") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def real_url() -> str:
    """The real server's URL; skips when nothing answers there as a v1 server."""
    url = os.environ.get("SPECKLE_REAL_V1_URL", DEFAULT_URL).rstrip("/")
    try:
        info = requests.get(f"{url}/api/v1", timeout=3).json()
    except (requests.RequestException, ValueError):
        pytest.skip(f"no v1 server answers at {url} (set SPECKLE_REAL_V1_URL, start ../shared/real-v1/start.sh)")
    if not isinstance(info, dict) or not info.get("isSpeckleServer"):
        pytest.skip(f"{url} is not a v1 Speckle server")
    return url


@pytest.fixture(scope="session")
def original_python() -> tuple[str, str]:
    """``(python, PYTHONPATH)`` running the original client; skips when its build is missing."""
    home = Path(os.environ.get("SPECKLE_REAL_V1_HOME", str(Path.home() / ".cache" / "speckle-real-v1")))
    python, source = home / "venv" / "bin" / "python", home / "PySpeckle"
    if not python.exists() or not (source / "speckle" / "Cache.py").exists():
        pytest.skip(f"the original client's build is not in {home} (set SPECKLE_REAL_V1_HOME)")
    return str(python), str(source)


@pytest.fixture(autouse=True)
def settings_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``SpeckleSettings`` folder for each test (nothing touches the user's own)."""
    monkeypatch.delenv("SPECKLE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "xdg" / "SpeckleSettings"
