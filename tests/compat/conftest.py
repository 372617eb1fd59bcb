"""Every compat test gets its own empty settings folder (``$XDG_CONFIG_HOME/SpeckleSettings``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def settings_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``SpeckleSettings`` folder of this test, as the original ``SpeckleCache`` finds it."""
    monkeypatch.delenv("SPECKLE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.delenv("SPECKLE_HOST", raising=False)
    monkeypatch.delenv("SPECKLE_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "xdg" / "SpeckleSettings"
