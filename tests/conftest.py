"""Shared fixtures: the real instrument files in ../shared/data.

The folder lies beside the checkout. Tests that read it use the
``shared_data`` fixture, which skips them when the folder is absent (a fresh
clone) unless ``SSBKIT_REQUIRE_SHARED_DATA=1`` is set, as ``.ci/run`` does,
in which case a missing folder fails the run instead of skipping.
``SSBKIT_SHARED_DATA`` may point somewhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    override = os.environ.get("SSBKIT_SHARED_DATA")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips (or fails under CI) when it is absent."""
    path = _shared_data_dir()
    if not path.is_dir():
        message = f"shared test data not found at {path}"
        if os.environ.get("SSBKIT_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + " (SSBKIT_REQUIRE_SHARED_DATA=1)")
        pytest.skip(message)
    return path
