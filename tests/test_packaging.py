"""The embedded data are found from an installed wheel, not only from a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sanqu_geo import resources

REPO = Path(__file__).resolve().parents[1]


def test_checkout_finds_its_data() -> None:
    assert (resources.data_folder() / "boundaries" / "zones.geojson").is_file()
    assert resources.data_file("projects/projects.geojson").is_file()
    assert resources.data_file("plan/tasks.csv").is_file()


@pytest.mark.slow
def test_installed_wheel_finds_its_data(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("sanqu_geo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sanqu_geo/_data/boundaries/zones.geojson" in names
    assert "sanqu_geo/_data/plan/tasks.csv" in names
    assert "sanqu_geo/_data/demand/parameters.toml" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    code = (
        "import sanqu_geo, sanqu_geo.layers as L, sanqu_geo.resources as R;"
        "print(sanqu_geo.__file__); print(R.data_folder());"
        "import sanqu_geo.register as G, sanqu_geo.demand as D;"
        "print(len(L.load_layer('zones')), len(L.load_layer('projects')), len(G.load_tasks()),"
        " D.load_parameters()['generation']['car_trips_per_resident'])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    module_file, data_dir, counts = done.stdout.strip().splitlines()
    assert module_file.startswith(str(target))
    assert data_dir.startswith(str(target)) and data_dir.endswith("_data")
    assert int(counts.split()[0]) >= 7
    assert int(counts.split()[2]) == 40  # the plan's tasks ship in the wheel
    assert float(counts.split()[3]) > 0  # and the demand parameters
