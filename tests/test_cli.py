"""The command line, run in-process and once as the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import typer
from shapely.geometry import Point, mapping

from sanqu_geo.cli import main


def test_layers_list_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "validate"]) == 0
    assert main(["layers", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("zones", "facilities", "projects", "river", "districts"):
        assert name in out
    assert "embedded" in out


def test_layers_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "show", "facilities"]) == 0
    out = capsys.readouterr().out
    assert "哈尔滨西站" in out
    assert "unknown location" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["layers", "show", "zonez"], "unknown layer 'zonez'"),
        (["layers", "import", "/no/such/file.gpkg", "--as", "zones"], "file not found"),
        (["layers", "export", "zones", "--out", "x.dat"], "export format 'dat' is unknown"),
    ],
)
def test_expected_errors_are_one_line_and_exit_2(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in " ".join(err.split())
    assert "Traceback" not in err


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["layers", "import", "x.gpkg"]) == 2  # --as is missing
    assert "--as" in capsys.readouterr().err


def test_debug_shows_the_traceback() -> None:
    from sanqu_geo.errors import LayerError

    with pytest.raises(LayerError):
        main(["--debug", "layers", "show", "zonez"])


def test_import_then_validate_then_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "fac.geojson"
    feature = {
        "type": "Feature",
        "geometry": mapping(Point(126.5714, 45.7053)),
        "properties": {"id": "hxz", "name_zh": "哈尔滨西站", "name_en": "Harbin West"},
    }
    src.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    assert main(["layers", "import", str(src), "--as", "facilities", "--crs", "wgs84"]) == 0
    assert main(["layers", "list"]) == 0
    assert "imported" in capsys.readouterr().out
    assert main(["layers", "reset", "facilities"]) == 0


def test_console_script_runs_as_a_user_would(tmp_path: Path) -> None:
    exe = shutil.which("sanqu-geo")
    if exe is None:
        pytest.skip("the sanqu-geo console script is not installed (pip install -e .)")
    done = subprocess.run(
        [exe, "layers", "show", "nonexistent"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "unknown layer" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run([exe, "layers", "list"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["layers", "export", "zones", "--out", "/proc/sanqu/zones.gpkg"], "cannot write there"),
        (
            ["od", "--from", "zones", "--to", "zones", "--out", "minutes.txt"],
            "unknown table format .txt",
        ),
        (["route", "--from", "airport", "--to", "太平机场"], "the same place"),
    ],
)
def test_more_bad_inputs_are_one_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert expected in " ".join(captured.err.split())
    assert "Traceback" not in captured.err
    if args[0] == "od":
        assert captured.out == ""  # the bad --out is caught before any work is printed


def test_a_name_shared_by_a_zone_and_a_facility_takes_the_facility(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sanqu_geo import layers, travel

    # 内陆港 is the short name of the inland-port zone and of its hub facility
    zones = layers.load_layer("zones")
    facilities = layers.load_layer("facilities")
    assert "内陆港" in set(zones["short_zh"]) and "内陆港" in set(facilities["short_zh"])
    found = travel.find_place("内陆港")
    assert found["id"].iloc[0] == "inland_port_hub"
    assert "inland_port" in found.attrs["resolved"]
    assert travel.find_place("inland_port")["id"].iloc[0] == "inland_port"  # the zone by id
    assert main(["route", "--from", "内陆港", "--to", "airport"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "using the facility inland_port_hub" in out
    assert "min" in out


def test_od_table_fits_a_terminal_and_flags_show_no_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.console import Console

    from sanqu_geo.cli import _common, travel

    terminal = Console(width=100, force_terminal=True, color_system=None)
    monkeypatch.setattr(_common, "console", terminal)
    monkeypatch.setattr(travel, "console", terminal)
    assert main(["od", "--from", "zones", "--to", "facilities"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 100
    assert "太平机场 Taiping Airport" in out  # the key names the numbered columns
    main(["maps", "build", "--help"])
    help_text = capsys.readouterr().out
    offline = next(line for line in help_text.splitlines() if "--offline" in line)
    assert "<bool>" not in offline


def test_no_command_shows_bool_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    from sanqu_geo.cli import app

    group = typer.main.get_command(app)
    commands = [[]]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group
            commands += [[name, sub] for sub in command.commands]
        commands.append([name])
    assert len(commands) > 20
    for args in commands:
        assert main([*args, "--help"]) == 0
        help_text = capsys.readouterr().out
        assert "Usage" in help_text, args
        assert "<bool>" not in help_text, args
