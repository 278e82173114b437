"""Defects a hostile but fair user finds, one test each: nothing lost, nothing silently wrong.

Every bad input gives exit code 2 and one clear line naming it, no traceback, and changes
nothing in ``SANQU_GEO_HOME`` or the output folder. The campaign at the end runs many such
inputs through the command line in one process, so the road network is loaded once.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import faults3
import openpyxl
import pandas as pd
import pytest
from faults3 import snapshot

from sanqu_geo import compare, layers, tables, travel
from sanqu_geo._atomic import MANIFEST
from sanqu_geo.cli import main

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_clear_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def comparison() -> compare.Comparison:
    return compare.compare(sensitivity=False)


# ------------------------------------------------------------------ 1. data loss in --out


@pytest.mark.parametrize("command", [["corridors", "compare"], ["meeting-pack"]])
def test_a_folder_with_other_files_is_refused_and_kept(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("notes", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run([*command, "--out", out], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert str(out) in line and "--force" in line and "notes.txt" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [["corridors", "compare"], ["meeting-pack"]])
def test_an_existing_file_is_refused_not_hidden(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    out.write_text("a planner's file", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run([*command, "--out", out], capsys)
    assert code == 2
    assert "is a file" in one_clear_line(err)
    assert snapshot(tmp_path) == before


def test_home_folder_is_never_wiped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "plan.docx").write_bytes(b"x")
    before = snapshot(tmp_path)
    code, _, err = run(["corridors", "compare", "--out", home], capsys)
    assert code == 2 and "did not write" in one_clear_line(err)
    assert snapshot(tmp_path) == before


def test_force_writes_beside_other_files_and_keeps_them(
    comparison: compare.Comparison, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("notes", encoding="utf-8")
    files = tables.write_comparison(comparison, out, force=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "notes"
    assert all(f.is_file() for f in files)
    listed = (out / MANIFEST).read_text(encoding="utf-8").split()
    assert "notes.txt" not in listed and "summary.md" in listed


def test_rerun_into_own_folder_removes_only_its_own_stale_files(
    comparison: compare.Comparison, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    tables.write_comparison(comparison, out)
    (out / "notes.txt").write_text("notes", encoding="utf-8")
    # a file an earlier run wrote that this run does not write again
    (out / "isochrones.csv").write_text("old", encoding="utf-8")
    manifest = out / MANIFEST
    manifest.write_text(manifest.read_text(encoding="utf-8") + "isochrones.csv\n", "utf-8")
    tables.write_comparison(comparison, out)  # no isochrones in this comparison
    assert (out / "notes.txt").is_file()
    assert not (out / "isochrones.csv").exists()


def test_out_dot_writes_into_an_empty_working_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["corridors", "compare", "--out", ".", "--no-sensitivity"], capsys)
    assert code == 0, err
    assert (tmp_path / "summary.md").is_file() and (tmp_path / MANIFEST).is_file()


def test_temporaries_of_a_killed_run_are_removed(
    comparison: compare.Comparison, tmp_path: Path
) -> None:
    pid = dead_pid()
    stale_dir = tmp_path / f".r.tmp{pid}.abcd"
    stale_dir.mkdir()
    (stale_dir / "half.xlsx").write_bytes(b"half")
    live = tmp_path / f".r.tmp{os.getpid()}.efgh"  # a run still going: kept
    live.mkdir()
    tables.write_comparison(comparison, tmp_path / "r")
    assert not stale_dir.exists() and live.exists()
    home = Path(os.environ["SANQU_GEO_HOME"]) / "layers"
    home.mkdir(parents=True)
    for suffix in (".gpkg", ".gpkg-journal"):
        (home / f".facilities.tmp{pid}.x1y2{suffix}").write_bytes(b"0" * 1000)
    layers.import_layer(REPO / "data" / "boundaries" / "facilities.geojson", "facilities")
    assert sorted(p.name for p in home.iterdir()) == ["facilities.gpkg"]


def test_kill_9_during_import_keeps_the_stored_layer(tmp_path: Path) -> None:
    """A run killed while writing leaves the stored layer as it was (atomic rename)."""
    layers.import_layer(REPO / "data" / "boundaries" / "zones.geojson", "zones")
    stored = Path(os.environ["SANQU_GEO_HOME"]) / "layers" / "zones.gpkg"
    before = stored.read_bytes()
    script = (
        "import os, signal\n"
        "import geopandas as gpd\n"
        "orig = gpd.GeoDataFrame.to_file\n"
        "def killed(self, path, *a, **k):\n"
        "    open(path, 'wb').write(b'half a file')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "gpd.GeoDataFrame.to_file = killed\n"
        "from sanqu_geo import layers\n"
        f"layers.import_layer({str(REPO / 'data/boundaries/zones.geojson')!r}, 'zones')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), check=False)
    assert proc.returncode == -9
    assert stored.read_bytes() == before
    assert layers.load_layer("zones").attrs["origin"].startswith("imported")


def test_kill_9_while_a_folder_is_written_keeps_the_earlier_one(
    comparison: compare.Comparison, tmp_path: Path
) -> None:
    """Killed while the new comparison is being written: the earlier one stays whole."""
    out = tmp_path / "r"
    tables.write_comparison(comparison, out)
    before = snapshot(out)
    script = (
        "import os, signal\n"
        "from sanqu_geo import compare, tables\n"
        "result = compare.compare(sensitivity=False)\n"
        "def killed(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "tables.comparison_markdown = killed  # after the CSV and XLSX files are written\n"
        f"tables.write_comparison(result, {str(out)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, check=False, timeout=300)
    assert proc.returncode == -9
    assert snapshot(out) == before
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".r.tmp")]
    assert len(left) == 1 and (left[0] / "comparison.xlsx").is_file()  # the half-written run
    tables.write_comparison(comparison, out)
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # cleaned by the next run


# ------------------------------------------- 1b. the manifest, the user's files, interruptions


def _fill(out: Path, files: dict[str, str], **kwargs) -> None:
    from sanqu_geo import _atomic

    with _atomic.atomic_folder(out, **kwargs) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")


def test_manifest_lines_outside_the_folder_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sanqu_geo import _atomic

    out = tmp_path / "r"
    _fill(out, {"a.csv": "a", "sub/b.csv": "b"})
    (tmp_path / "x").write_text("outside", encoding="utf-8")
    with open(out / MANIFEST, "a", encoding="utf-8") as fh:
        fh.write(f"../x\n{tmp_path / 'x'}\nsub/./b.csv\nsub//b.csv\n")
    with caplog.at_level("WARNING", logger="sanqu_geo"):
        assert _atomic.own_files(out) == {"a.csv", "sub/b.csv"}
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and str(out / MANIFEST) in warned[0] and "4 line(s)" in warned[0]
    _fill(out, {"c.csv": "c"})  # a later run removes its own stale files only
    assert sorted(p.name for p in out.rglob("*.csv")) == ["c.csv"]
    assert (tmp_path / "x").read_text(encoding="utf-8") == "outside"


def test_temporary_names_of_a_long_chinese_name_are_cut_on_a_character(tmp_path: Path) -> None:
    name = "哈尔滨" * 27 + "区.csv"  # 82 characters of 3 bytes: 250 bytes, the limit is 255
    assert len(os.fsencode(name)) == 250
    tables.write_table(pd.DataFrame({"a": [1.5]}), tmp_path / name)
    tables.write_table(pd.DataFrame({"a": [2.5]}), tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert pd.read_csv(tmp_path / name, encoding="utf-8-sig")["a"].tolist() == [2.5]


def test_a_failed_move_leaves_the_folder_marked_until_a_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import errno

    from sanqu_geo import _atomic

    out = tmp_path / "r"
    _fill(out, {"a.csv": "old a", "b.csv": "old b"})
    assert _atomic.interrupted(out) is None
    real = os.replace
    moves = []

    def failing(src, dst):
        moves.append(Path(dst).name)
        if len(moves) == 3:  # the marker, a.csv, then b.csv fails
            raise OSError(errno.EIO, "I/O error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="I/O error"):
        _fill(out, {"a.csv": "new a", "b.csv": "new b"})
    monkeypatch.setattr(os, "replace", real)
    assert moves == [_atomic.INCOMPLETE, "a.csv", "b.csv"]
    assert (out / "a.csv").read_text(encoding="utf-8") == "new a"  # a mix of two runs ...
    said = _atomic.interrupted(out)
    assert said is not None and f"run {os.getpid()}@" in said  # ... that says so
    with caplog.at_level("WARNING", logger="sanqu_geo"):
        _fill(out, {"a.csv": "third a"})
    assert any("interrupted" in r.getMessage() for r in caplog.records)
    assert _atomic.interrupted(out) is None
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a.csv"]


def test_files_replaced_with_force_are_collected_or_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sanqu_geo import _atomic
    from sanqu_geo.errors import DataSourceError

    out = tmp_path / "r"
    out.mkdir()
    (out / "summary.md").write_text("mine", encoding="utf-8")
    (out / "ranking.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(DataSourceError, match="summary.md"):
        _fill(out, {"summary.md": "toolkit"}, beside=True)
    assert (out / "summary.md").read_text(encoding="utf-8") == "mine"
    with _atomic.replaced_files() as replaced:
        _fill(out, {"summary.md": "toolkit", "a.csv": "toolkit"}, force=True)
    assert replaced == [out / "summary.md"]
    assert (out / "ranking.csv").read_text(encoding="utf-8") == "mine"
    # the toolkit's summary.md now: a re-run replaces it without --force and says nothing
    with caplog.at_level("WARNING", logger="sanqu_geo"):
        _fill(out, {"summary.md": "again"})
    assert caplog.records == []
    assert not (out / "a.csv").exists()  # the toolkit's, not written again: removed
    (out / "a.csv").write_text("mine again", encoding="utf-8")  # a user's file of that name
    with caplog.at_level("WARNING", logger="sanqu_geo"):
        _fill(out, {"a.csv": "toolkit"}, force=True)
    assert [r.getMessage() for r in caplog.records] == [f"{out}: replaced your own a.csv (force)"]


# --------------------------------------------------------- 2. user text read as Rich markup

MARKUP_NAMES = ["[/x]", "机场[/b]", "[bold red]红[/bold red]", "a\\", "[link=file:///etc]x"]


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_markup_in_an_argument_is_printed_as_typed(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["route", "--from", name, "--to", "airport"], capsys)
    assert code == 2
    assert name in one_clear_line(err)


@pytest.fixture
def hostile_facilities(tmp_path: Path) -> Path:
    gdf = layers.load_layer("facilities", embedded=True)
    gdf.loc[gdf["id"] == "airport", "name_zh"] = "机场[/b]"
    gdf.loc[gdf["id"] == "airport", "short_zh"] = "[bold red]机场[/bold red]"
    path = tmp_path / "hostile.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    layers.import_layer(path, "facilities")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["layers", "show", "facilities"],
        ["od", "--from", "facilities", "--to", "zones"],
        ["route", "--from", "airport", "--to", "harbin_west"],
        ["isochrones", "--from", "airport", "--minutes", "15"],
    ],
)
def test_markup_in_a_layer_is_printed_as_written(
    hostile_facilities: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 0, err
    assert "机场[/b]" in out or "[bold red]机场[/bold red]" in out


def test_hints_in_brackets_survive(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["isochrones", "--from", "airport", "--minutes", "abc"], capsys)
    assert code == 2
    assert "--minutes" in one_clear_line(err) and "abc" in err


def test_debug_after_the_subcommand_is_accepted() -> None:
    from sanqu_geo.errors import LayerError

    with pytest.raises(LayerError):
        main(["layers", "show", "zonez", "--debug"])


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["layers", "import", "x.gpkg"], capsys)
    assert code == 2
    assert "--as" in one_clear_line(err)


# --------------------------------------------- 3. imported layers with their own ids


def _office_layer(tmp_path: Path, *, roles: bool) -> Path:
    gdf = layers.load_layer("facilities", embedded=True)
    gdf["id"] = [f"HRB-F{i:03d}" for i in range(len(gdf))]
    if not roles:
        gdf = gdf.drop(columns="role")
    path = tmp_path / "office.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_import_with_other_ids_says_which_role_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layers.import_layer(_office_layer(tmp_path, roles=False), "facilities")
    code, _, err = run(["layers", "validate", "facilities"], capsys)
    assert code == 2
    assert "role 'airport'" in err and "add a 'role' column" in err
    out = tmp_path / "r"
    code, _, err = run(["corridors", "compare", "--out", out], capsys)
    assert code == 2
    assert "role 'airport'" in one_clear_line(err) and "KeyError" not in err
    assert not out.exists()


def test_import_with_other_ids_and_roles_serves_the_comparison(tmp_path: Path) -> None:
    layers.import_layer(_office_layer(tmp_path, roles=True), "facilities")
    roles = travel.role_places()
    assert roles["airport"].startswith("HRB-F") and roles["bonded_zone"] == "cbz_phase1"
    result = compare.compare(sensitivity=False)
    ends = set(result.key_links["from_zh"])
    assert "太平机场" in ends
    assert result.key_links["before_min"].notna().all()


def test_a_role_on_two_places_is_refused(tmp_path: Path) -> None:
    gdf = layers.load_layer("facilities", embedded=True)
    gdf.loc[gdf["id"] == "airport_t1", "role"] = "airport"
    path = tmp_path / "two.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    layers.import_layer(path, "facilities")
    assert any("more than one place" in str(i) for i in layers.role_issues())


def test_facilities_without_any_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gdf = layers.load_layer("facilities", embedded=True)
    gdf["geometry"] = None
    path = tmp_path / "nowhere.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    layers.import_layer(path, "facilities")
    code, _, err = run(["od", "--from", "facilities", "--to", "zones"], capsys)
    assert code == 2
    assert "no place has a location" in one_clear_line(err)


# ------------------------------------------------ 4. the toolkit's own CSV re-imported


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_export_then_import_round_trips(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"facilities.{fmt}"
    layers.export_layer("facilities", path)
    back = layers.import_layer(path, "facilities")
    embedded = layers.load_layer("facilities", embedded=True)
    assert list(back["id"]) == list(embedded["id"])
    assert list(back.geometry.isna()) == list(embedded.geometry.isna())
    located = ~embedded.geometry.isna()
    got = back.geometry[located].get_coordinates().to_numpy()
    want = embedded.geometry[located].get_coordinates().to_numpy()
    assert abs(got - want).max() < 1e-9


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("id,name_zh,lon,lat\na,甲,,45.7\n", "one.csv"),
        ("id,name_zh,lon,lat\na,甲,inf,45.7\n", "inf.csv"),
        (
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"id":"a","name_zh":"x"},"geometry":{"type":"Point","coordinates":[NaN,45.7]}}]}',
            "nan.geojson",
        ),
    ],
)
def test_non_finite_coordinates_are_refused(
    text: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, _, err = run(["layers", "import", path, "--as", "facilities"], capsys)
    assert code == 2
    assert str(path) in one_clear_line(err)
    assert layers.layer_origin("facilities") == "embedded"


# ----------------------------------------------------- 5. spreadsheet formula injection

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def formula_facilities(tmp_path: Path) -> list[str]:
    gdf = layers.load_layer("facilities", embedded=True)
    ids = ["airport", "harbin_west", "container_station", "inland_port_hub"]
    for fid, text in zip(ids, FORMULAS, strict=True):
        gdf.loc[gdf["id"] == fid, ["name_zh", "short_zh"]] = text
    path = tmp_path / "formulas.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    layers.import_layer(path, "facilities")
    return FORMULAS


def test_od_xlsx_holds_text_not_formulas(
    formula_facilities: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "od.xlsx"
    code, _, err = run(["od", "--from", "facilities", "--to", "zones", "--out", out], capsys)
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["OD minutes"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(str(c.value).startswith("=HYPERLINK") for c in cells)  # kept, as text


def test_od_csv_cells_are_quoted_by_the_owasp_rule(
    formula_facilities: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "od.csv"
    code, _, _ = run(["od", "--from", "facilities", "--to", "zones", "--out", out], capsys)
    assert code == 0
    first = pd.read_csv(out, encoding="utf-8-sig").iloc[:, 0].astype(str)
    assert not first.str.match(r"^[=+\-@]").any()
    assert first.str.startswith("'=HYPERLINK").any()


def test_exported_csv_is_safe_and_imports_back_unchanged(
    formula_facilities: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "f.csv"
    layers.export_layer("facilities", out)
    text = out.read_text(encoding="utf-8-sig")
    assert ("\n'=HYPERLINK" not in text and ",'=HYPERLINK" in text) or "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and ",+1+1" not in text
    back = layers.import_layer(out, "facilities")
    assert set(FORMULAS) <= set(back["name_zh"])


def test_comparison_workbook_and_csv_hold_no_formulas(
    comparison: compare.Comparison, tmp_path: Path
) -> None:
    import dataclasses

    sc = dataclasses.replace(
        comparison.scenario,
        options=tuple(dataclasses.replace(o, title_zh="=1+2") for o in comparison.scenario.options),
    )
    result = compare.compare(sc, sensitivity=False)
    tables.write_comparison(result, tmp_path / "r")
    book = openpyxl.load_workbook(tmp_path / "r" / "comparison.xlsx")
    for ws in book.worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    summary = (tmp_path / "r" / "summary.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2" in summary and ",=1+2" not in summary


# ------------------------------------------------------- 7. control characters at the door

CONTROL = ["机场\u0000", "a\u202eb", "x\ny", "esc\u001b[31m"]


@pytest.mark.parametrize("text", CONTROL)
def test_control_characters_in_a_scenario_are_refused(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sc.toml"
    source = (REPO / "data" / "projects" / "scenarios.toml").read_text(encoding="utf-8")
    escaped = text.encode("unicode_escape").decode("ascii").replace("\\x", "\\u00")
    path.write_text(
        source.replace('title_zh = "机场第二通道一期"', f'title_zh = "{escaped}"', 1),
        encoding="utf-8",
    )
    code, _, err = run(["corridors", "compare", str(path), "--out", tmp_path / "r"], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert "control character" in line and "title_zh" in line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("text", CONTROL)
def test_control_characters_in_a_layer_are_refused(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctl.csv"  # CSV keeps a NUL that GDAL formats would cut
    layers.export_layer("facilities", path)
    frame = pd.read_csv(path, encoding="utf-8-sig")
    frame.loc[frame["id"] == "airport", "name_zh"] = text
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    code, _, err = run(["layers", "import", path, "--as", "facilities"], capsys)
    assert code == 2
    assert "control character" in one_clear_line(err)
    assert layers.layer_origin("facilities") == "embedded"


# ------------------------------------------------- scenario structure (11 and 13 in part)

SCENARIO_HEAD = '[scenario]\nname_zh = "t"\n[corridor.c]\nkind = "expressway"\ndesign_speed_kph = 60\ncoordinates = [[126.76, 45.70], [126.79, 45.69]]\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('group = "x"\n', "[[group]] tables"),
        ("group = [1, 2]\n", "[[group]] tables"),
        (
            '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\n'
            '[[group]]\nid = "g"\n[[group.option]]\nid = "b"\ncorridors = ["c"]\n',
            "more than one [[group]]",
        ),
        ('[[group]]\nid = "g"\noption = "o"\n', "[[group.option]] tables"),
        ('[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = "c"\n', "list of"),
        (
            '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\ntitle_zh = 3.5\n',
            "not text",
        ),
    ],
)
def test_malformed_scenarios_are_one_line(
    body: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    if body.startswith("group ="):
        path.write_text(body + SCENARIO_HEAD, encoding="utf-8")
    else:
        path.write_text(SCENARIO_HEAD + body, encoding="utf-8")
    code, _, err = run(["corridors", "list", path], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert expected in line and str(path) in line


def test_fractional_lanes_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lanes.toml"
    path.write_text(
        SCENARIO_HEAD.replace("design_speed_kph = 60", "design_speed_kph = 60\nlanes = 2.7")
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\n',
        encoding="utf-8",
    )
    code, _, err = run(["corridors", "list", path], capsys)
    assert code == 2 and "'lanes'" in one_clear_line(err)


def test_names_reach_the_markdown_as_text(comparison: compare.Comparison) -> None:
    import dataclasses

    sc = dataclasses.replace(
        comparison.scenario, name_zh="<script>alert(1)</script>", name_en="<b>x</b> | y"
    )
    md = tables.comparison_markdown(dataclasses.replace(comparison, scenario=sc))
    assert "<script>" not in md and "&lt;script&gt;" in md and "<b>" not in md


# ------------------------------------------------------ 6. bad OpenStreetMap data, bombs

OSM_NODES = (
    "<node id='1' lat='45.7000' lon='126.6000'/>"
    "<node id='2' lat='45.7000' lon='126.6200'/>"
    "<node id='3' lat='45.7000' lon='126.6400'/>"
)
OSM_WAY = (
    "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='highway' v='primary'/>{tag}</way>"
)
STRAIGHT_KM = 0.04 * 111.32 * math.cos(math.radians(45.7))  # 0.04° of longitude at 45.7° N


def _osm(tmp_path: Path, extra_nodes: str = "", extra_ways: str = "", tag: str = "") -> Path:
    path = tmp_path / "bad.osm"
    path.write_text(
        f"<osm version='0.6'>{OSM_NODES}{extra_nodes}{OSM_WAY.format(tag=tag)}{extra_ways}</osm>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "node",
    [
        "<node id='4' lat='inf' lon='126.66'/>",
        "<node id='4' lat='95' lon='126.66'/>",
        "<node id='4' lat='45.70' lon='200'/>",
        "<node id='4' lat='nan' lon='126.66'/>",
        "<node id='4' lat='45.70' lon='-inf'/>",
    ],
)
def test_impossible_coordinates_are_dropped_and_counted(
    node: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sanqu_geo import network

    way = "<way id='11'><nd ref='3'/><nd ref='4'/><tag k='highway' v='primary'/></way>"
    G = network.load_network(_osm(tmp_path, node, way), use_cache=False)
    km = sum(d["length"] for _, _, d in G.edges(data=True)) / 1000 / 2  # both directions
    assert km == pytest.approx(STRAIGHT_KM, rel=0.01)
    assert all(d["length"] > 0 for _, _, d in G.edges(data=True))
    text = caplog.text
    assert "1 nodes with impossible coordinates" in text
    assert "clipped extract" not in text


def test_a_duplicated_node_id_keeps_its_first_position(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sanqu_geo import network

    G = network.load_network(
        _osm(tmp_path, "<node id='2' lat='45.9' lon='126.9'/>"), use_cache=False
    )
    km = sum(d["length"] for _, _, d in G.edges(data=True)) / 1000 / 2
    assert km == pytest.approx(STRAIGHT_KM, rel=0.01)
    assert "1 node ids given twice" in caplog.text


@pytest.mark.parametrize("value", ["99999", "1000", "500 mph", "121"])
def test_implausible_maxspeed_falls_back_to_the_class_default(
    value: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sanqu_geo import network, settings

    G = network.load_network(
        _osm(tmp_path, tag=f"<tag k='maxspeed' v='{value}'/>"), use_cache=False
    )
    speeds = {d["speed_kph"] for _, _, d in G.edges(data=True)}
    assert speeds == {settings.default_speeds_kph["primary"]}
    assert "plausible maximum of 120 km/h" in caplog.text


def test_plausible_maxspeed_is_taken(tmp_path: Path) -> None:
    from sanqu_geo import network

    G = network.load_network(_osm(tmp_path, tag="<tag k='maxspeed' v='120'/>"), use_cache=False)
    assert {d["speed_kph"] for _, _, d in G.edges(data=True)} == {120.0}


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]><osm version='0.6'><node id='1' lat='45.7' lon='126.6'><tag k='x' v='&i;'/></node></osm>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<osm version='0.6'><node id='1' lat='45.7' lon='126.6'><tag k='x' v='&x;'/></node>"
    "<way id='2'><nd ref='1'/><tag k='highway' v='primary'/><tag k='name' v='&x;'/></way></osm>"
)


@pytest.mark.parametrize(("text", "name"), [(BOMB, "bomb.osm"), (XXE, "xxe.osm")])
def test_xml_bombs_and_external_entities_are_refused(
    text: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, _, err = run(["network", "info", "--osm-file", path], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert str(path) in line and "root:" not in line


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_osm_files_are_refused(
    keep: float, reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = next(iter(sorted(reference.rglob("*.osm.pbf"))), None)
    if source is None:
        pytest.skip("no .osm.pbf in the reference data")
    data = source.read_bytes()
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[: int(len(data) * keep)])
    code, _, err = run(["network", "info", "--osm-file", path], capsys)
    assert code == 2
    assert str(path) in one_clear_line(err)


# -------------------------------------------------------------- 8. --demand values


@pytest.mark.parametrize(
    ("trips", "expected"),
    [
        ("-500", "line 2"),
        ("nan", "line 2"),
        ("lots", "'lots'"),
        ("inf", "line 2"),
    ],
)
def test_bad_demand_values_are_refused_before_the_work(
    trips: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demand.csv"
    path.write_text(
        f"origin,destination,class,trips\ndaoli,airport,car,{trips}\ndaoli,nangang,car,100\n",
        encoding="utf-8",
    )
    out = tmp_path / "r"
    code, _, err = run(["corridors", "compare", "--demand", path, "--out", out], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert str(path) in line and expected in line
    assert not out.exists()


def test_demand_for_one_run_is_the_one_assigned(tmp_path: Path) -> None:
    """An OD given for one run is what that run loads: the base hour's vehicle-hours by hand."""
    from sanqu_geo import demand as _demand
    from sanqu_geo import peak

    path = tmp_path / "demand.csv"
    path.write_text("origin,destination,class,trips\nharbin_west,airport,car,1000\n")
    d = _demand.demand_from_file(path)
    assert d.totals() == {"car": 1000.0, "truck": 0.0}
    run = peak.solve(demand_=d)
    # one OD pair on an empty network: 1,000 cars on the shortest path, no truck at all
    used = run.result.volumes[run.result.volumes["car"] > 0]
    assert set(used["car"].round(6)) == {1000.0}
    assert run.vehicle_hours()["truck"] == 0.0


# -------------------------------------------------------------------------- 9. profiles


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[profiles.fast]\nfactor = { default = inf }\n", "factor.default: inf"),
        ("[profiles.fast]\nfactor = { default = 1e300 }\n", "implausible"),
        ("[profiles.fast]\nfactor = { default = nan }\n", "factor.default: nan"),
        ("[profiles.fast]\ncap_kph = { motorway = -5 }\n", "cap_kph.motorway"),
        ("[profiles.a]\nbase = 'b'\n[profiles.b]\nbase = 'a'\n", "cycle (a → b → a)"),
        ("[profiles.a]\nbase = 'a'\n", "cycle"),
        ("[profiles.a]\nbase = 'nope'\n", "base profile 'nope' is unknown"),
        ("[profiles.a]\nrespect_bans = 'yes'\n", "true or false"),
        ("profiles = 3\n", "[profiles.NAME] tables"),
    ],
)
def test_bad_profiles_name_file_and_field(
    body: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sanqu_geo import settings

    before = dict(settings.profiles)
    path = tmp_path / "profiles.toml"
    path.write_text(body, encoding="utf-8")
    code, _, err = run(["network", "info", "--profiles", path], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert str(path) in line and expected in line
    assert settings.profiles == before  # nothing half-loaded


def test_a_base_defined_later_in_the_file_is_found(tmp_path: Path) -> None:
    from sanqu_geo import settings, speeds

    path = tmp_path / "profiles.toml"
    path.write_text(
        "[profiles.slow_truck]\nbase = 'my_truck'\nfactor = { default = 0.5 }\n"
        "[profiles.my_truck]\nbase = 'truck'\ncap_kph = { default = 50 }\n",
        encoding="utf-8",
    )
    try:
        speeds.load_profiles(path)
        slow = settings.profiles["slow_truck"]
        assert slow["factor"]["default"] == 0.5 and slow["cap_kph"]["default"] == 50
        assert slow["respect_bans"] == settings.profiles["truck"]["respect_bans"]
    finally:
        settings.profiles.pop("slow_truck", None)
        settings.profiles.pop("my_truck", None)


# -------------------------------------------------------------- 10. isochrones --minutes


@pytest.mark.parametrize("minutes", ["nan", "", ",", "-15", "0", "inf", "15,abc", "1e9"])
def test_bad_minutes_are_one_line(minutes: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["isochrones", "--from", "airport", "--minutes", minutes], capsys)
    assert code == 2
    line = one_clear_line(err)
    assert "--minutes" in line and "connector" not in line


# ------------------------------------------------- 11. exit 1 where a clear line is due


def test_a_corrupt_stored_layer_says_reset(capsys: pytest.CaptureFixture[str]) -> None:
    stored = Path(os.environ["SANQU_GEO_HOME"]) / "layers" / "zones.gpkg"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    code, _, err = run(["layers", "show", "zones"], capsys)
    assert code == 2
    assert "layers reset zones" in one_clear_line(err)


def _limited(script: str, limit: int) -> subprocess.CompletedProcess[str]:
    """Run a script whose files may not grow past ``limit`` bytes, as on a full disk."""
    prelude = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + script],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_a_full_disk_during_import_is_one_line_and_keeps_the_layer(tmp_path: Path) -> None:
    layers.import_layer(REPO / "data" / "boundaries" / "zones.geojson", "zones")
    home = Path(os.environ["SANQU_GEO_HOME"])
    before = snapshot(home)
    proc = _limited(
        "import sys\nfrom sanqu_geo.cli import main\n"
        f"sys.exit(main(['layers', 'import', {str(REPO / 'data/boundaries/zones.geojson')!r}, "
        "'--as', 'zones']))",
        limit=20_000,
    )
    assert proc.returncode == 2, proc.stderr
    line = one_clear_line(proc.stderr)
    assert "zones.gpkg" in line and "cannot write" in line
    assert snapshot(home) == before


def test_a_full_disk_during_compare_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _limited(
        "import sys\nfrom sanqu_geo.cli import main\n"
        f"sys.exit(main(['corridors', 'compare', '--no-sensitivity', '--out', {str(out)!r}]))",
        limit=6_000,
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot write" in one_clear_line(proc.stderr)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ 12. the library API


def _grid(weight: float = 1.0):
    import networkx as nx

    G = nx.MultiDiGraph(nx.grid_2d_graph(3, 3).to_directed())
    nx.set_edge_attributes(G, weight, "travel_time")
    return G


def test_od_matrix_on_tuple_node_ids_equals_networkx() -> None:
    import networkx as nx

    from sanqu_geo import engine

    G = _grid()
    nodes = list(G.nodes)
    od = engine.od_matrix(G, nodes, nodes)
    assert od.index.nlevels == 1 and od.loc[[(0, 0)], [(2, 2)]].iloc[0, 0] == 4.0
    for a in nodes:
        lengths = nx.single_source_dijkstra_path_length(G, a, weight="travel_time")
        for b in nodes:
            assert od.loc[[a], [b]].iloc[0, 0] == lengths[b]


def test_od_matrix_takes_generators_and_undirected_graphs() -> None:
    import networkx as nx

    from sanqu_geo import engine

    G = nx.path_graph(4)
    nx.set_edge_attributes(G, 2.5, "travel_time")
    od = engine.od_matrix(G, (n for n in [0, 3]), iter([3, 0]))
    assert od.to_numpy().tolist() == [[7.5, 0.0], [0.0, 7.5]]


def test_zero_weight_paths_cost_exactly_zero() -> None:
    from sanqu_geo import engine

    G = _grid(0.0)
    od = engine.od_matrix(G, [(0, 0)], [(2, 2), (0, 0)])
    assert od.to_numpy().tolist() == [[0.0, 0.0]]
    G2 = _grid(1.0)
    G2.edges[(0, 0), (0, 1), 0]["travel_time"] = 0.0
    od2 = engine.od_matrix(G2, [(0, 0)], [(0, 1), (0, 2)]).iloc[0]
    assert od2.iloc[0] == 0.0 and od2.iloc[1] == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("value", ["fast", None, [1, 2]])
def test_bad_weights_are_a_network_error(value) -> None:
    from sanqu_geo import engine
    from sanqu_geo.errors import NetworkError

    G = _grid()
    G.edges[(0, 0), (0, 1), 0]["travel_time"] = value
    with pytest.raises(NetworkError, match="travel_time"):
        engine.od_matrix(G, [(0, 0)], [(2, 2)])


def test_a_changed_graph_is_recompiled_after_clear_cache() -> None:
    from sanqu_geo import engine

    G = _grid()
    assert engine.od_matrix(G, [(0, 0)], [(0, 1)]).iloc[0, 0] == 1.0
    for _, _, d in G.edges(data=True):
        d["travel_time"] = 10.0
    engine.clear_cache(G)
    assert engine.od_matrix(G, [(0, 0)], [(0, 1)]).iloc[0, 0] == 10.0


# ------------------------------------------------------------------ 13. housekeeping


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--basemap", "googel"], "unknown basemap 'googel'"),
        (["--basemap", "tianditu"], "TIANDITU_KEY"),
        (["--lang", "fr"], "--lang 'fr'"),
        (["--tiles", "/nonexistent/tiles"], "--tiles /nonexistent/tiles: folder not found"),
        (["--assets", "/nonexistent/assets"], "--assets"),
    ],
)
def test_maps_build_checks_its_options_before_the_work(
    args: list[str],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sanqu_geo import compare as compare_module

    def too_late(*a, **k):
        raise AssertionError("the work started before the options were checked")

    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.setattr(compare_module, "compare", too_late)
    out = tmp_path / "web"
    code, _, err = run(["maps", "build", "--out", out, *args], capsys)
    assert code == 2
    assert expected in one_clear_line(err)
    assert not out.exists()


def test_maps_build_refuses_a_file_as_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "web"
    out.write_text("x", encoding="utf-8")
    code, _, err = run(["maps", "build", "infrastructure", "--out", out], capsys)
    assert code == 2 and "is a file" in one_clear_line(err)
    assert out.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("command", ["route", "isochrones"])
@pytest.mark.parametrize("name", ["r.txt", "r.shp", "r"])
def test_vector_outputs_refuse_unknown_formats_before_the_work(
    command: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--to", "airport"] if command == "route" else []
    out = tmp_path / name
    code, _, err = run([command, "--from", "harbin_west", *extra, "--out", out], capsys)
    assert code == 2
    assert str(out) in one_clear_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["route", "--from", "harbin_west", "--to", "airport"],
        ["isochrones", "--from", "airport", "--minutes", "15"],
    ],
)
def test_geojson_outputs_are_named_after_the_file(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.geojson"
    code, _, err = run([*args, "--out", out], capsys)
    assert code == 0, err
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "result"


def test_exported_geojson_is_named_after_the_file(tmp_path: Path) -> None:
    out = tmp_path / "zones-2024.geojson"
    layers.export_layer("zones", out)
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "zones-2024"


# ------------------------------------------------------------------------ the campaign


def _campaign_files(ws: Path) -> dict[str, Path]:
    """Bad input files, one per kind of mistake, in the workspace ``ws``."""
    f: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> Path:
        path = ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        f[name] = path
        return path

    put("empty.geojson", "")
    put("garbage.gpkg", b"\x00\x01not a geopackage" * 50)
    put("nocoords.csv", "id,name_zh,where\na,甲,somewhere\n")
    put("textlon.csv", "id,name_zh,lon,lat\na,甲,east,45.7\n")
    put("blanklon.csv", "id,name_zh,lon,lat\na,甲,,45.7\n")
    put("inflon.csv", "id,name_zh,lon,lat\na,甲,inf,45.7\n")
    put("swapped.csv", "id,name_zh,lon,lat\na,甲,45.75,126.63\nb,乙,45.70,126.60\n")
    put("metres.csv", "id,name_zh,lon,lat\na,甲,500000,5060000\n")
    put("nul.csv", "id,name_zh,accuracy,source,lon,lat\na,机场\x00,official,x,126.6,45.7\n")
    put(
        "dupids.csv",
        "id,name_zh,accuracy,source,lon,lat\na,甲,official,x,126.6,45.7\na,乙,official,x,126.7,45.7\n",
    )
    put(
        "nan.geojson",
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a","name_zh":"x"},"geometry":{"type":"Point","coordinates":[NaN,45.7]}}]}',
    )
    put("notgeo.json", '{"hello": "world"}')
    put("zones.gpkg", b"")
    f["zones.gpkg"].unlink()
    layers.load_layer("zones", embedded=True).to_file(
        ws / "zones.gpkg", driver="GPKG", layer="zones", engine="pyogrio"
    )
    put("notadir.txt", "a file")
    put("empty.osm", "")
    put("broken.osm", "<osm><node id='1' lat='x'")
    put("bomb.osm", BOMB)
    put("xxe.osm", XXE)
    put("noways.osm", "<osm version='0.6'></osm>")
    put(
        "paths.osm",
        "<osm version='0.6'><node id='1' lat='45.7' lon='126.6'/><node id='2' lat='45.71' lon='126.6'/>"
        "<way id='5'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way></osm>",
    )
    put("roads.shp", b"\x00" * 100)
    put("cut.osm.bz2", b"BZh91AY&SY" + b"\x01" * 40)
    put("syntax.toml", "[profiles.a\nfactor = 1\n")
    put("inf.toml", "[profiles.fast]\nfactor = { default = inf }\n")
    put("nanf.toml", "[profiles.fast]\nfactor = { default = nan }\n")
    put("cycle.toml", "[profiles.a]\nbase = 'b'\n[profiles.b]\nbase = 'a'\n")
    put("unknownkey.toml", "[profiles.a]\nspeed = 3\n")
    put("sc-syntax.toml", "[scenario\n")
    put("sc-group.toml", 'group = "x"\n' + SCENARIO_HEAD)
    put(
        "sc-dupgroup.toml",
        SCENARIO_HEAD
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\n'
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "b"\ncorridors = ["c"]\n',
    )
    put(
        "sc-lanes.toml",
        SCENARIO_HEAD.replace("design_speed_kph = 60", "design_speed_kph = 60\nlanes = 2.7")
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\n',
    )
    put(
        "sc-control.toml",
        SCENARIO_HEAD
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ntitle_zh = "a\\u202eb"\ncorridors = ["c"]\n',
    )
    put(
        "sc-unknown.toml",
        SCENARIO_HEAD + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["zz"]\n',
    )
    put(
        "sc-far.toml",
        SCENARIO_HEAD.replace(
            "[[126.76, 45.70], [126.79, 45.69]]", "[[16.76, 45.70], [16.79, 45.69]]"
        )
        + '[[group]]\nid = "g"\n[[group.option]]\nid = "a"\ncorridors = ["c"]\n',
    )
    put("d-negative.csv", "origin,destination,class,trips\ndaoli,airport,car,-500\n")
    put("d-text.csv", "origin,destination,class,trips\ndaoli,airport,car,lots\n")
    put("d-nan.csv", "origin,destination,class,trips\ndaoli,airport,car,\n")
    put("d-unknown.csv", "origin,destination,class,trips\ndaoli,nowhere_x,car,10\n")
    put("d-columns.csv", "from,to,trips\nairport,harbin_west,10\n")
    put("d-binary.csv", b"\xff\xfe\x00\x00garbage\x00")
    put("notes/notes.txt", "the planner's notes")
    put("a-file", "a planner's file")
    (ws / "out-dir.geojson").mkdir()
    return f


def _campaign_cases(f: dict[str, Path], ws: Path) -> list[tuple[str, list, str]]:
    """(what, arguments, text the error line must contain to name the input)."""
    zones = str(f["zones.gpkg"])

    def _import(what: str, name: str, layer: str) -> tuple[str, list, str]:
        """``layers import`` of a prepared bad file: the error line must name the file."""
        return (what, ["layers", "import", f[name], "--as", layer], name)

    cases: list[tuple[str, list, str]] = [
        ("unknown layer", ["layers", "show", "zonez"], "zonez"),
        ("validate unknown layer", ["layers", "validate", "nope"], "nope"),
        (
            "import missing file",
            ["layers", "import", ws / "missing.gpkg", "--as", "zones"],
            "missing.gpkg",
        ),
        _import("import empty file", "empty.geojson", "zones"),
        _import("import garbage", "garbage.gpkg", "zones"),
        _import("csv without coordinates", "nocoords.csv", "facilities"),
        _import("csv text longitude", "textlon.csv", "facilities"),
        _import("csv one blank coordinate", "blanklon.csv", "facilities"),
        _import("csv infinite coordinate", "inflon.csv", "facilities"),
        _import("csv lat/lon swapped", "swapped.csv", "facilities"),
        _import("csv metres as degrees", "metres.csv", "facilities"),
        _import("csv NUL in a name", "nul.csv", "facilities"),
        _import("csv duplicate ids", "dupids.csv", "facilities"),
        _import("geojson NaN coordinate", "nan.geojson", "facilities"),
        _import("json that is not GeoJSON", "notgeo.json", "zones"),
        ("import a folder", ["layers", "import", ws / "notes", "--as", "zones"], "notes"),
        ("import as unknown layer", ["layers", "import", zones, "--as", "nope"], "nope"),
        (
            "import unknown CRS",
            ["layers", "import", zones, "--as", "zones", "--crs", "EPSG:99999"],
            "99999",
        ),
        (
            "import unknown accuracy",
            ["layers", "import", zones, "--as", "zones", "--accuracy", "guess"],
            "guess",
        ),
        (
            "import unknown inner layer",
            ["layers", "import", zones, "--as", "zones", "--layer", "nolayer"],
            "nolayer",
        ),
        ("import without --as", ["layers", "import", zones], "--as"),
        ("export unknown format", ["layers", "export", "zones", "--out", ws / "x.dat"], "dat"),
        (
            "export onto a folder",
            ["layers", "export", "zones", "--out", ws / "out-dir.geojson"],
            "out-dir.geojson",
        ),
        (
            "export under a file",
            ["layers", "export", "zones", "--out", ws / "notadir.txt" / "z.gpkg"],
            "z.gpkg",
        ),
        (
            "export unknown CRS",
            ["layers", "export", "zones", "--out", ws / "z.gpkg", "--crs", "venus"],
            "venus",
        ),
        ("export unknown layer", ["layers", "export", "nope", "--out", ws / "z.gpkg"], "nope"),
        ("reset unknown layer", ["layers", "reset", "nope"], "nope"),
        ("osm missing", ["network", "info", "--osm-file", ws / "missing.osm"], "missing.osm"),
        ("osm empty", ["network", "info", "--osm-file", f["empty.osm"]], "empty.osm"),
        ("osm broken", ["network", "info", "--osm-file", f["broken.osm"]], "broken.osm"),
        ("osm entity bomb", ["network", "info", "--osm-file", f["bomb.osm"]], "bomb.osm"),
        ("osm external entity", ["network", "info", "--osm-file", f["xxe.osm"]], "xxe.osm"),
        ("osm without ways", ["network", "info", "--osm-file", f["noways.osm"]], "noways.osm"),
        ("osm without roads", ["network", "info", "--osm-file", f["paths.osm"]], "paths.osm"),
        ("osm wrong file name", ["network", "info", "--osm-file", f["roads.shp"]], "roads.shp"),
        ("osm truncated bz2", ["network", "info", "--osm-file", f["cut.osm.bz2"]], "cut.osm.bz2"),
        ("bbox three numbers", ["network", "info", "--bbox", "1,2,3"], "1,2,3"),
        ("bbox text", ["network", "info", "--bbox", "a,b,c,d"], "a,b,c,d"),
        ("bbox far away", ["network", "info", "--bbox", "200,1,201,2"], "200,1,201,2"),
        (
            "two network sources",
            ["network", "info", "--bbox", "1,2,3,4", "--place", "Harbin"],
            "--place",
        ),
        ("unknown profile", ["network", "info", "--profile", "rocket"], "rocket"),
        (
            "profiles missing",
            ["network", "info", "--profiles", ws / "missing.toml"],
            "missing.toml",
        ),
        ("profiles syntax", ["network", "info", "--profiles", f["syntax.toml"]], "syntax.toml"),
        ("profiles factor inf", ["network", "info", "--profiles", f["inf.toml"]], "inf.toml"),
        ("profiles factor nan", ["network", "info", "--profiles", f["nanf.toml"]], "nanf.toml"),
        ("profiles base cycle", ["network", "info", "--profiles", f["cycle.toml"]], "cycle.toml"),
        (
            "profiles unknown key",
            ["network", "info", "--profiles", f["unknownkey.toml"]],
            "unknownkey.toml",
        ),
        ("od unknown places", ["od", "--from", "nowhere_y"], "nowhere_y"),
        ("od unknown table format", ["od", "--out", ws / "od.txt"], "od.txt"),
        ("od places without coordinates", ["od", "--to", f["nocoords.csv"]], "nocoords.csv"),
        ("route markup in a name", ["route", "--from", "[/x]", "--to", "airport"], "[/x]"),
        (
            "route markup style",
            ["route", "--from", "airport", "--to", "[bold red]x"],
            "[bold red]x",
        ),
        ("route ambiguous", ["route", "--from", "harbin", "--to", "airport"], "harbin"),
        (
            "route text output",
            ["route", "--from", "harbin_west", "--to", "airport", "--out", ws / "r.txt"],
            "r.txt",
        ),
        (
            "route unknown profile",
            ["route", "--from", "harbin_west", "--to", "airport", "--profile", "x9"],
            "x9",
        ),
        ("minutes nan", ["isochrones", "--from", "airport", "--minutes", "nan"], "nan"),
        ("minutes empty", ["isochrones", "--from", "airport", "--minutes", ""], "--minutes ''"),
        ("minutes negative", ["isochrones", "--from", "airport", "--minutes", "-15"], "-15"),
        ("minutes zero", ["isochrones", "--from", "airport", "--minutes", "0"], "'0'"),
        ("minutes huge", ["isochrones", "--from", "airport", "--minutes", "1e9"], "1e9"),
        ("minutes text", ["isochrones", "--from", "airport", "--minutes", "15,abc"], "15,abc"),
        ("isochrones unknown place", ["isochrones", "--from", "nowhere_z"], "nowhere_z"),
        (
            "isochrones onto a folder",
            ["isochrones", "--from", "airport", "--out", ws / "out-dir.geojson"],
            "out-dir.geojson",
        ),
        ("scenario missing", ["corridors", "list", ws / "missing.toml"], "missing.toml"),
        ("scenario syntax", ["corridors", "list", f["sc-syntax.toml"]], "sc-syntax.toml"),
        ("scenario group text", ["corridors", "list", f["sc-group.toml"]], "sc-group.toml"),
        (
            "scenario duplicate groups",
            ["corridors", "list", f["sc-dupgroup.toml"]],
            "sc-dupgroup.toml",
        ),
        ("scenario fractional lanes", ["corridors", "list", f["sc-lanes.toml"]], "sc-lanes.toml"),
        ("scenario bidi override", ["corridors", "list", f["sc-control.toml"]], "sc-control.toml"),
        (
            "scenario unknown corridor",
            ["corridors", "list", f["sc-unknown.toml"]],
            "sc-unknown.toml",
        ),
        ("scenario far away", ["corridors", "list", f["sc-far.toml"]], "sc-far.toml"),
        ("compare into notes", ["corridors", "compare", "--out", ws / "notes"], "notes"),
        ("compare onto a file", ["corridors", "compare", "--out", f["a-file"]], "a-file"),
        ("compare into the workspace", ["corridors", "compare", "--out", ws], str(ws)),
        (
            "compare unknown profile",
            ["corridors", "compare", "--out", ws / "new", "--profile", "x8"],
            "x8",
        ),
        (
            "demand missing",
            ["corridors", "compare", "--out", ws / "new", "--demand", ws / "nod.csv"],
            "nod.csv",
        ),
        (
            "demand negative",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-negative.csv"]],
            "d-negative.csv",
        ),
        (
            "demand text",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-text.csv"]],
            "d-text.csv",
        ),
        (
            "demand blank",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-nan.csv"]],
            "d-nan.csv",
        ),
        (
            "demand unknown place",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-unknown.csv"]],
            "nowhere_x",
        ),
        (
            "demand columns",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-columns.csv"]],
            "d-columns.csv",
        ),
        (
            "demand binary",
            ["corridors", "compare", "--out", ws / "new", "--demand", f["d-binary.csv"]],
            "d-binary.csv",
        ),
        ("pack into notes", ["meeting-pack", "--out", ws / "notes"], "notes"),
        ("pack onto a file", ["meeting-pack", "--out", f["a-file"]], "a-file"),
        ("pack paper", ["meeting-pack", "--out", ws / "new", "--paper", "A5"], "A5"),
        ("pack language", ["meeting-pack", "--out", ws / "new", "--lang", "fr"], "fr"),
        (
            "pack scenario",
            ["meeting-pack", "--out", ws / "new", "--scenario", f["sc-group.toml"]],
            "sc-group.toml",
        ),
        ("maps basemap", ["maps", "build", "--out", ws / "new", "--basemap", "googel"], "googel"),
        ("maps language", ["maps", "build", "--out", ws / "new", "--lang", "fr"], "fr"),
        (
            "maps tiles",
            ["maps", "build", "--out", ws / "new", "--tiles", ws / "no-tiles"],
            "no-tiles",
        ),
        ("maps recipe", ["maps", "build", "nope-recipe", "--out", ws / "new"], "nope-recipe"),
        ("maps onto a file", ["maps", "build", "--out", f["a-file"]], "a-file"),
        ("unknown command", ["nope-command"], "nope-command"),
        ("unknown option", ["od", "--frm", "zones"], "--frm"),
    ]
    return cases


def test_campaign_of_bad_inputs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every bad input: exit 2, one line naming it, no traceback, nothing changed anywhere."""
    from sanqu_geo import settings

    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    home = Path(os.environ["SANQU_GEO_HOME"])
    ws = tmp_path / "work"
    ws.mkdir()
    files = _campaign_files(ws)
    # A stored layer and a warm cache: the campaign must change neither.
    layers.import_layer(REPO / "data" / "boundaries" / "zones.geojson", "zones")
    assert main(["network", "info"]) == 0
    capsys.readouterr()
    monkeypatch.chdir(ws)
    profiles = dict(settings.profiles)
    cases = _campaign_cases(files, ws)
    results = []
    for what, args, needle in cases:
        before = snapshot(home, ws)
        try:
            code = main([str(a) for a in args])
        except BaseException as exc:  # a crash of the handler itself
            code = f"raised {type(exc).__name__}"
        captured = capsys.readouterr()
        err = captured.err
        lines = [line for line in err.splitlines() if line.strip()]
        changed = snapshot(home, ws) != before
        settings.profiles.clear()
        settings.profiles.update(profiles)
        results.append(
            {
                "case": what,
                "code": code,
                "clear": code == 2
                and len(lines) == 1
                and needle in lines[0]
                and "Traceback" not in err,
                "traceback": "Traceback" in err or code == 1 or isinstance(code, str),
                "silent": code == 0,
                "lost": changed,
                "err": lines[:2],
            }
        )
    table = pd.DataFrame(results)
    figures = (
        f"campaign: {len(table)} cases, {int(table['clear'].sum())} clear errors, "
        f"{int(table['traceback'].sum())} tracebacks, {int(table['silent'].sum())} silent "
        f"results, {int(table['lost'].sum())} with data lost or changed"
    )
    print(figures)
    bad = table[~table["clear"] | table["lost"]]
    assert len(table) >= 60
    assert bad.empty, figures + "\n" + bad[["case", "code", "lost", "err"]].to_string()


# ------------------------------------------------------------------ the second campaign


@pytest.mark.parametrize("area", faults3.AREAS)
def test_second_campaign(
    area: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hostile inputs, kills between writes, hangs and stale results, one area at a time.

    Every case must be a clear error (exit 2 or a ``SanquGeoError``, one line naming the
    input, nothing changed) or a passed check; ``faults3`` says how each kind is judged. The
    totals of every area run are printed at the end of the session.
    """
    from sanqu_geo import settings

    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    home = Path(os.environ["SANQU_GEO_HOME"])
    ws = tmp_path / "work"
    ws.mkdir()
    monkeypatch.chdir(ws)
    profiles = dict(settings.profiles)
    try:
        table = faults3.run_area(area, ws, home, capsys)
    finally:
        settings.profiles.clear()
        settings.profiles.update(profiles)
    print(faults3.totals(table).to_string())
    bad = table[~table["outcome"].isin(faults3.PASS)]
    assert bad.empty, bad[["case", "outcome", "detail"]].to_string()
