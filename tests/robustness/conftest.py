"""Hypothesis profiles of the robustness tests.

``ci`` (the default) runs a fixed, bounded set of examples (derandomized, so every CI run tries
the same inputs); ``fuzz`` runs many random examples for a longer hunt::

    HYPOTHESIS_PROFILE=fuzz python -m pytest -q tests/robustness
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=_CHECKS
)
settings.register_profile("fuzz", max_examples=400, deadline=None, suppress_health_check=_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
