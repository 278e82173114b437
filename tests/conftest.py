"""Shared fixtures: an isolated user folder for every test, and the reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keep imported layers and caches of one test away from the user's and other tests'."""
    home = tmp_path_factory.mktemp("sanqu-home")
    monkeypatch.setenv("SANQU_GEO_HOME", str(home))
    return home


@pytest.fixture
def reference() -> Path:
    """The folder of real reference data beside the project (``../shared/reference``)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {SHARED_REFERENCE} (a clone without ../shared)")
    return SHARED_REFERENCE
