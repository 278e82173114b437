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


def pytest_configure(config: pytest.Config) -> None:
    """Run the mechanics on the trunk sketch (seconds per assignment), in this process and in
    the commands and workers it starts; tests marked ``city`` run on the default city network,
    as a user's commands do."""
    import os

    os.environ["SANQU_GEO_NETWORK"] = "trunk"
    # The interface language follows the locale; the tests read English unless they say so.
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        os.environ.pop(name, None)
    os.environ["LANG"] = "C.UTF-8"
    from sanqu_geo import settings

    settings.default_network = "trunk"


@pytest.fixture(autouse=True)
def _city_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The default city network for tests marked ``city`` (the trunk sketch for the others)."""
    from sanqu_geo import settings

    if request.node.get_closest_marker("city") is not None:
        monkeypatch.setattr(settings, "default_network", "harbin")
        monkeypatch.delenv("SANQU_GEO_NETWORK", raising=False)
    return settings.default_network


@pytest.fixture
def reference() -> Path:
    """The folder of real reference data beside the project (``../shared/reference``)."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {SHARED_REFERENCE} (a clone without ../shared)")
    return SHARED_REFERENCE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The totals table of the second fault campaign, when any of it ran."""
    import sys

    campaign = sys.modules.get("faults3")
    if campaign is None or not campaign.RESULTS:
        return
    terminalreporter.write_sep("-", "fault campaign, round 3: cases by outcome")
    terminalreporter.write_line(campaign.totals(campaign.RESULTS).to_string())
