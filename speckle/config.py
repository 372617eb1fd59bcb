"""Where the library keeps its local files (saved accounts, the record of sent objects)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["config_dir"]


def config_dir() -> Path:
    """The folder of the library's local files, created with owner-only permissions.

    ``$SPECKLE_CONFIG_DIR`` if set, else ``$XDG_CONFIG_HOME/speckle``, else
    ``~/.config/speckle``.
    """
    override = os.environ.get("SPECKLE_CONFIG_DIR")
    if override:
        path = Path(override)
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        path = Path(base) / "speckle"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
