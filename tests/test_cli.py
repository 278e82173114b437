"""The command line, run in-process and once as the installed console script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
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


# ------------------------------------------------------------- the interface language

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The command line in a new process, with the locale given (and no inherited one)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_MESSAGES"}}
    environ.update({"COLUMNS": "100", **env})
    return subprocess.run(
        [sys.executable, "-c", "from sanqu_geo.cli import run; run()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )


def test_a_chinese_locale_gets_chinese_help_and_lang_en_english() -> None:
    zh = _run_cli(["--help"], LANG="zh_CN.UTF-8")
    assert zh.returncode == 0, zh.stderr
    flat = " ".join(zh.stdout.split())
    assert "用法" in flat and "命令" in flat and "选项" in flat
    assert "通道方案：列出方案，并与基准路网比较。" in flat  # the corridors group
    assert "显示本帮助并退出。" in flat
    assert "Usage" not in flat and "Show this message" not in flat
    en = _run_cli(["--lang", "en", "--help"], LANG="zh_CN.UTF-8")
    assert en.returncode == 0, en.stderr
    assert "Usage" in en.stdout and "Corridor options: list them" in en.stdout
    chinese_lines = "用法命令选项通道方案列出并与基准路网比较显示本帮助退出"
    assert not set(chinese_lines) & set(en.stdout)
    # LC_ALL outranks LANG, as POSIX has it
    assert "Usage" in _run_cli(["--help"], LANG="zh_CN.UTF-8", LC_ALL="C.UTF-8").stdout


def test_a_missing_file_is_one_chinese_line_and_english_with_lang_en(tmp_path: Path) -> None:
    missing = tmp_path / "没有" / "zones.gpkg"
    zh = _run_cli(["layers", "import", str(missing), "--as", "zones"], LC_MESSAGES="zh_CN.UTF-8")
    assert zh.returncode == 2
    (line,) = [x for x in zh.stderr.splitlines() if x.strip()]
    assert line.startswith("错误：") and "找不到" in line and str(missing) in line
    en = _run_cli(
        ["--lang", "en", "layers", "import", str(missing), "--as", "zones"], LANG="zh_CN.UTF-8"
    )
    assert en.returncode == 2
    (line,) = [x for x in en.stderr.splitlines() if x.strip()]
    assert line.startswith("error:") and "not found" in line
    assert not CJK.search(line.replace(str(missing), ""))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["layers", "import", "x.gpkg"], "缺少选项 '--as'"),
        (["layers", "show", "zonez"], "未知的图层 'zonez'"),
        (["layers", "bogus"], "没有这个命令 'bogus'"),
        (["assign", "--tntp", "x", "--max-iterations", "0"], "应大于或等于 1"),
    ],
)
def test_common_errors_are_one_chinese_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "zh", *args]) == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：")
    assert expected in lines[0]
    assert main(args) == 2  # the next run speaks the locale's language again (C here)
    assert not CJK.search(capsys.readouterr().err.replace("zonez", ""))


def test_global_lang_is_the_one_before_the_command() -> None:
    from sanqu_geo.cli import interface_language

    assert interface_language(["--lang", "zh", "meeting-pack"]) == "zh"
    assert interface_language(["--network", "trunk", "--lang=en", "od"]) == "en"
    # after the command, --lang is the language of the maps, not of the interface
    assert interface_language(["meeting-pack", "--lang", "both"]) is None
    assert interface_language(["--network", "trunk", "maps", "build", "--lang", "zh"]) is None


def test_every_help_text_has_its_chinese() -> None:
    from sanqu_geo import i18n
    from sanqu_geo.cli import app
    from sanqu_geo.cli._common import localise_help

    group = typer.main.get_command(app)
    texts: list[str] = []

    def walk(command) -> None:
        texts.append(command.help or "")
        texts.extend(p.help for p in command.params if getattr(p, "help", None))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(group)
    assert len(texts) > 120
    try:
        i18n.set_language("zh")
        missing = []
        for text in texts:
            for paragraph in (localise_help(text) or "").split("\n\n"):
                # an untranslated paragraph is English words with at most a Chinese name in it
                if paragraph and len(CJK.findall(paragraph)) < 2:
                    missing.append(paragraph)
        assert not missing, missing[:5]
    finally:
        i18n.set_language(None)


def test_corridors_list_reads_at_80_columns() -> None:
    from rich.cells import cell_len

    from sanqu_geo import scenarios

    sc = scenarios.load_scenario(None)
    for env in ({"LANG": "C.UTF-8"}, {"LANG": "zh_CN.UTF-8"}):
        done = _run_cli(["corridors", "list"], COLUMNS="80", **env)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= 80
        assert not [line for line in lines if line != line.rstrip()]  # no padding to the edge
        text = done.stdout
        for option in sc.options:
            assert option.id in text and option.title_zh in text
            # Chinese first, then English
            assert text.index(option.title_zh) < text.index(option.title_en)
            for corridor in option.corridors:
                assert corridor.id in text
        for condition in sc.conditions:
            assert condition.id in text and condition.title_zh in text
        assert "未公布 not published" in text
