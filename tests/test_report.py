"""The meeting pack: workbook values equal the od and corridors commands, print sizes, index page."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image

from sanqu_geo import report
from sanqu_geo._atomic import MANIFEST
from sanqu_geo.cli import main
from sanqu_geo.maps import style

CHROMIUM = Path("/usr/bin/chromium")
A4_PX = (3508, 2480)
A3_PX = (4960, 3507)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack"
    steps: list[str] = []
    report.meeting_pack(out, paper="A4", progress=steps.append)
    assert steps == list(report.STEPS)
    return out


@pytest.mark.slow
def test_pack_holds_everything(pack: Path) -> None:
    for name in (
        "index.html",
        "meeting-pack.xlsx",
        "corridors-summary.md",
        "web/infrastructure.html",
        "web/corridors.html",
        "web/flows.html",
    ):
        assert (pack / name).is_file(), name
    pngs = sorted((pack / "maps").glob("*.png"))
    # zones, projects, register, corridors, two isochrone maps (A4 here), and at A3 the
    # congestion and validation maps, and the flow differences and select-link maps of the
    # best second-passage and freight options; and at A4 the appraisal's airport access under
    # closure for both second-passage options and the truck-minute change of the options highest
    # on the freight and last-mile tasks' measure
    assert len(pngs) == 16
    names = {p.name for p in pngs}
    assert {"airport-access-second_passage_ph1-A4.png", "airport-access-second_passage_full-A4.png",
            "truck-time-last_mile-A4.png"} <= names  # fmt: skip
    assert len([n for n in names if n.startswith("truck-time-")]) == 2
    a3 = {p.name for p in pngs if p.stem.endswith("-A3")}
    assert a3 == {
        "congestion-A3.png",
        "validation-A3.png",
        "flows-second_passage_full-A3.png",
        "flows-freight_ring_feeders-A3.png",
        "select-link-second_passage_full-A3.png",
        "select-link-freight_ring_feeders-A3.png",
    }
    for png in pngs:
        want = A3_PX if png.name in a3 else A4_PX
        with Image.open(png) as im:
            assert abs(im.size[0] - want[0]) <= 1 and abs(im.size[1] - want[1]) <= 1, png.name
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    page = (pack / "web" / "flows.html").read_text(encoding="utf-8")
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', page)
    assert "机场第二通道" in page and "/work/" not in page
    assert "新通道使用者" in page  # the select-link layers


@pytest.mark.slow
def test_workbook_equals_the_od_command(pack: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(pack / "meeting-pack.xlsx")
    assert book.sheetnames == [
        "方案任务 Register",
        "项目库 Projects",
        "方案排名 Ranking",
        "标定 Calibration",
        "模型检查 Model check",
        "校核 Validation",
        "关键通道高峰 Key links peak",
        "通道与相关道路 Roads",
        "新通道使用者 Select link",
        "轨道门到门 Rail door to door",
        "敏感性 Sensitivity",
        "关键通道畅行 Key links free flow",
        "各任务比选 By task",
        "任务36 Task 36",
        "任务39 Task 39",
        "任务39 货车端点 Truck ends",
        "任务35 Task 35",
        "任务35 货车端点 Truck ends",
        "任务37 Task 37",
        "任务37 汇总 Summary",
        "任务38 Task 38",
        "任务38 吉林方向使用 Use",
        "时段年份车小时 Network time",
        "可达性 Accessibility",
        "经济评价 Economics",
        "评价参数 Appraisal assumptions",
        "区域间畅行 Zones car",
        "区域间高峰 Zones peak",
        "假设 Assumptions",
    ]
    calibration = pd.read_excel(pack / "meeting-pack.xlsx", sheet_name="标定 Calibration")
    assert 1.4 <= calibration["模型 Model"].iloc[0] <= 1.9  # a number, not a text
    od_csv = tmp_path / "od.csv"
    assert main(["od", "--from", "zones", "--to", "zones", "--out", str(od_csv)]) == 0
    expected = pd.read_csv(od_csv, index_col=0, encoding="utf-8-sig")
    sheet = pd.read_excel(
        pack / "meeting-pack.xlsx", sheet_name="区域间畅行 Zones car", index_col=0
    )
    assert list(sheet.columns) == list(expected.columns)
    np.testing.assert_allclose(sheet.to_numpy(), expected.to_numpy())
    assert book["区域间畅行 Zones car"]["B2"].number_format == "0.0"


@pytest.mark.slow
def test_workbook_equals_the_corridors_command(pack: Path, tmp_path: Path) -> None:
    assert main(["corridors", "compare", "--out", str(tmp_path / "c")]) == 0
    expected = pd.read_csv(tmp_path / "c" / "summary.csv", encoding="utf-8-sig")
    sheet = pd.read_excel(pack / "meeting-pack.xlsx", sheet_name="方案排名 Ranking")
    assert list(sheet["方案名称 Name (zh)"]) == list(expected["方案名称 Name (zh)"])
    assert list(sheet["排名 Rank"]) == list(expected["排名 Rank"])
    # the workbook rounds once, half up, like the maps: whole vehicle-hours
    column = "高峰小时节省车小时 Peak-hour veh-h saved"
    np.testing.assert_allclose(sheet[column], expected[column], atol=0.5 + 1e-9)
    assert list(sheet[column]) == [style.round_half_up(v, 0) for v in expected[column]]
    register = pd.read_excel(pack / "meeting-pack.xlsx", sheet_name="项目库 Projects")
    tasks = register.set_index("项目名称")["任务编号 Task"]
    assert set(range(35, 41)) | set(range(6, 11)) <= set(tasks)
    assert tasks["机场第二通道(一期)"] == 36 and tasks["太平国际机场第二跑道(非方案任务)"] == "—"
    assert {"章节 Section", "期限 Term", "目标年份 Target year", "牵头单位 Lead unit"} <= set(
        register.columns
    )


@pytest.mark.slow
@pytest.mark.browser
def test_index_opens_offline_in_chromium(pack: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        outside: list[str] = []

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        context.route("**/*", route)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((pack / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert errors == [] and outside == []
        widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        assert len(widths) == 16 and all(w == report.THUMBNAIL_PX for w in widths)
        assert "方案排名" in page.inner_text("body")
        artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "meeting-pack-index.png"), full_page=False)
        browser.close()


def test_failed_pack_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "pack"
    out.mkdir()
    (out / "index.html").write_text("previous pack", encoding="utf-8")
    (out / MANIFEST).write_text("index.html\n", encoding="utf-8")  # an earlier pack
    from sanqu_geo.maps import static

    def broken(*args, **kwargs):
        raise RuntimeError("font server fell over")

    monkeypatch.setattr(static, "zones_map", broken)
    with pytest.raises(RuntimeError):
        report.meeting_pack(out, paper="A4")
    assert (out / "index.html").read_text(encoding="utf-8") == "previous pack"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "index.html"]


@pytest.mark.slow
def test_register_sheet_lists_all_40_tasks(pack: Path) -> None:
    sheet = pd.read_excel(pack / "meeting-pack.xlsx", sheet_name="方案任务 Register")
    assert list(sheet["编号 Task"]) == list(range(1, 41))
    # no snapshot in a fresh user folder: every task with a dated deadline passed is overdue
    overdue = set(sheet.loc[sheet["逾期 Overdue"] == "逾期 overdue", "编号 Task"])
    assert overdue == set(range(1, 31)) | {33, 34, 35, 36}
    assert (pack / "maps" / "register-A4.pdf").read_bytes().startswith(b"%PDF")


def _codes() -> set[str]:
    """The internal codes no reader should meet in a cell: option, group, condition, class,
    period, measure and project-kind codes, and the ids of places and zones."""
    from sanqu_geo import demand, layers, scenarios, travel

    sc = scenarios.load_scenario(None)
    codes = {o.id for o in sc.options} | set(sc.groups) | {c.id for c in sc.conditions}
    codes |= {sc.group(g).measure for g in sc.groups}
    codes |= {"car", "truck", "all", "base", "normal", "am_peak", "pm_peak", "inter_peak"}
    codes |= set(travel.load_places("all")["id"].astype(str))
    codes |= set(demand.load_demand().zones["id"].astype(str))
    codes |= set(layers.load_layer("projects")["kind"].astype(str))
    return codes


def _printed_columns(ws) -> int:
    from openpyxl.utils.cell import range_boundaries

    return range_boundaries(ws.print_area.split("!")[-1].replace("$", ""))[2]


@pytest.mark.slow
def test_every_sheet_is_set_up_for_print(pack: Path) -> None:
    book = openpyxl.load_workbook(pack / "meeting-pack.xlsx")
    for ws in book:
        assert ws.print_area, ws.title
        assert ws.print_area.endswith(f"${ws.max_row}"), ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title  # --paper A4
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes in ("A2", "B2"), ws.title


@pytest.mark.slow
def test_no_cell_holds_an_internal_code(pack: Path) -> None:
    from sanqu_geo import workbook

    codes = _codes()
    snake = {c for c in codes if "_" in c}
    module = re.compile(r"sanqu_geo\.\w|\w+\.py\b")
    book = openpyxl.load_workbook(pack / "meeting-pack.xlsx")
    found = []
    for ws in book:
        header = [c.value for c in ws[1]]
        printed = _printed_columns(ws)
        if workbook.TRACE_HEADER in header:
            # the setting behind a row stays on screen for the analyst, outside the print
            assert header.index(workbook.TRACE_HEADER) + 1 > printed, ws.title
        for row in ws.iter_rows(max_col=printed):
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                text = cell.value.strip()
                words = set(re.findall(r"[A-Za-z0-9_]+", text))
                if text in codes or words & snake or module.search(text):
                    found.append((ws.title, cell.coordinate, text[:60]))
        # a header is words, not a column's internal name
        assert not [h for h in header if re.fullmatch(r"[a-z0-9_]+", str(h))], ws.title
    assert found == []


@pytest.mark.slow
def test_ranking_starts_with_the_decision_and_numbers_are_numbers(pack: Path) -> None:
    book = openpyxl.load_workbook(pack / "meeting-pack.xlsx")
    ranking = book["方案排名 Ranking"]
    header = [c.value for c in ranking[1]]
    assert header[:7] == [
        "排名 Rank",
        "方案名称 Name (zh)",
        "Option name (en)",
        "任务 Task",
        "本任务指标 Task measure",
        "指标值 Measure value",
        "单位 Unit",
    ]
    ranks = [r[0].value for r in ranking.iter_rows(min_row=2)]
    assert ranks == sorted(ranks) and ranks[0] == 1
    gap = ranking.cell(2, header.index("相对间隙 Relative gap") + 1)
    assert 0 < gap.value < 1e-5 and gap.number_format == "0.0E+00"  # not a "0.00"
    number = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$")
    texts = [
        (ws.title, c.coordinate, c.value)
        for ws in book
        for row in ws.iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str) and number.match(c.value.strip())
    ]
    assert texts == []
    calibration = book["标定 Calibration"]
    assert isinstance(calibration["B2"].value, float)  # the delay index, once a text
    assumptions = book["假设 Assumptions"]
    values = [r[1].value for r in assumptions.iter_rows(min_row=2)]
    assert sum(isinstance(v, int | float) for v in values) > 40
    # each number column shows its own decimals: no vehicle-hours with two
    for ws in book:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    assert c.number_format != "0.00" or abs(c.value) < 100, (ws.title, c.coordinate)


@pytest.mark.slow
def test_index_loads_small_thumbnails_and_rounds_as_the_tables(pack: Path) -> None:
    page = (pack / "index.html").read_text(encoding="utf-8")
    images = re.findall(r"<img src='([^']+)'", page)
    assert len(images) == 16
    total = 0
    for src in images:
        assert src.startswith(f"maps/{report.THUMBNAILS}/"), src
        path = pack / src
        total += path.stat().st_size
        assert path.stat().st_size < 120_000, src
        with Image.open(path) as im:
            assert im.size[0] == report.THUMBNAIL_PX
    assert total < 1_500_000
    # every thumbnail links its full print file
    for name in re.findall(rf"maps/{report.THUMBNAILS}/([^']+)\.jpg", page):
        assert f"maps/{name}.pdf" in page and f"maps/{name}.png" in page
    # the ranking's vehicle-hours as the workbook shows them: whole, with separators
    sheet = pd.read_excel(pack / "meeting-pack.xlsx", sheet_name="方案排名 Ranking")
    _, _, rest = page.partition("<h2>方案排名")
    table = rest.split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.partition("<tbody>")[2], flags=re.S)
    cells = [re.findall(r"<td>(.*?)</td>", r, flags=re.S) for r in rows]
    assert len(cells) == len(sheet)
    for shown, (_, r) in zip(cells, sheet.sort_values("排名 Rank").iterrows(), strict=True):
        assert shown[1] == r["方案名称 Name (zh)"]
        assert shown[3] == f"{r['高峰小时节省车小时 Peak-hour veh-h saved']:,.0f}"
        assert shown[6] == f"{r['全日节省车小时 Veh-h saved per day']:,.0f}"
    assert not re.search(r"<td>-?\d+\.\d\d</td>", table)  # no two-decimal vehicle-hours
