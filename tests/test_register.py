"""The register of the plan's 40 tasks, checked against the plan's own text, and the status
snapshots the office imports."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sanqu_geo import layers, register
from sanqu_geo.cli import main
from sanqu_geo.errors import RegisterError

PLAN = "plan/sanqu-yigang-plan.txt"
TERMS = ("近期", "中期", "远期", "中远期", "长远期")
DEADLINE = {
    "近期": dt.date(2021, 12, 31),
    "中期": dt.date(2022, 12, 31),
    "远期": dt.date(2025, 12, 31),
    "中远期": None,
    "长远期": dt.date(2035, 12, 31),
}

_SECTION = re.compile(r"^([一二三四五六])、")
_SUB = re.compile(r"^(（[一二三四五六七八九十]+）)")
_TERM = re.compile(r"^——(中远期|长远期|近期|中期|远期)")
_PART = re.compile(r"^（\d+）")
_NUMBERED = re.compile(r"^(\d+)\.(?!\d)")


def parse_plan(text: str) -> dict[int, dict[str, object]]:
    """The plan's numbered tasks with their sub-section and deadline terms.

    Tasks run 1–40 from section 二 on: a numbered line is a task only when it carries the
    next number (so numbered lists inside a task are not tasks), and the principles under
    一（二） come before section 二. A term line (——近期：…) belongs to the task it sits in
    when a numbered part （k） follows it; otherwise it sets the term of the tasks below.
    """
    lines = [line.strip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("二、"))
    tasks: dict[int, dict[str, object]] = {}
    section = subsection = ""
    pending: str | None = None
    current: int | None = None
    expected = 1

    def next_is_part(i: int) -> bool:
        for line in lines[i + 1 :]:
            if _PART.match(line):
                return True
            m = _NUMBERED.match(line)
            if (m and int(m.group(1)) == expected) or _SUB.match(line) or _SECTION.match(line):
                return False
        return False

    for i, line in enumerate(lines[start:], start=start):
        if m := _SECTION.match(line):
            section, subsection, pending, current = m.group(1), "", None, None
        elif m := _SUB.match(line):
            subsection, pending, current = m.group(1), None, None
        elif m := _TERM.match(line):
            if current is not None and next_is_part(i):
                tasks[current]["terms"].append(m.group(1))
            else:
                pending, current = m.group(1), None
        elif (m := _NUMBERED.match(line)) and int(m.group(1)) == expected:
            current = expected
            tasks[current] = {
                "section": section + subsection,
                "terms": [pending] if pending else [],
                "line": line,
            }
            expected += 1
    return tasks


# ----------------------------------------------------------------------------- the plan


def test_every_task_of_the_plan_is_in_the_register(reference: Path) -> None:
    text = (reference / PLAN).read_text(encoding="utf-8")
    plan = parse_plan(text)
    assert sorted(plan) == list(range(1, 41))
    assert plan[1]["line"].startswith("1.建立“三区一港”联动发展联席会议制度")  # not 1.管理联动
    assert plan[17]["line"].startswith("17.至2025年")  # not 1.一个企业一个码 inside task 16
    tasks = register.load_tasks()
    assert list(tasks["task"]) == list(range(1, 41))
    for n, expect in plan.items():
        row = tasks.loc[n]
        assert row["section"] + row["subsection"] == expect["section"], n
        terms = list(expect["terms"])
        if not terms:
            # 二（一） gives no term of its own: the plan's stages (一（三）) set the end of
            # 2021 for the leading mechanism and the two-level contacts.
            assert n in (1, 2)
            stage_2021 = next(p for p in text.splitlines() if p.startswith("——2021年年底"))
            assert "协调领导机制" in stage_2021 and "两级沟通机制" in stage_2021
            assert row["term_source"] == "一（三）"
            terms = ["近期"]
        assert list(row["terms"]) == terms, n
        assert row["term"] == terms[-1]
        assert row["deadline"] == DEADLINE[terms[-1]], n


def test_multi_term_tasks_and_sections_as_the_plan_gives_them(reference: Path) -> None:
    plan = parse_plan((reference / PLAN).read_text(encoding="utf-8"))
    assert plan[13]["terms"] == ["近期", "中期"]
    assert plan[15]["terms"] == ["中期", "远期"]
    assert plan[17]["terms"] == ["远期"]
    assert [plan[n]["terms"] for n in range(35, 41)] == [["近期"], ["中期"]] + [["中远期"]] * 4
    assert [plan[n]["terms"] for n in range(6, 11)] == [["近期"]] * 2 + [["中期"]] * 3
    assert {plan[n]["section"] for n in range(35, 41)} == {"五（十一）"}
    assert {plan[n]["section"] for n in range(6, 11)} == {"三（三）"}


def test_features_carry_the_plans_task_numbers(reference: Path) -> None:
    plan = parse_plan((reference / PLAN).read_text(encoding="utf-8"))
    projects = layers.load_layer("projects").set_index("id")
    # each feature's task is found in the plan's text by the words the task uses for it,
    # not copied from the authoring script's table
    wording = {
        "bonded_logistics_centre_b": "保税物流中心（B型）",
        "cbz_phase2_site": "综保区二期置换入临空经济区",
        "aircraft_recycling_base": "飞机循环再制造",
        "cbz_phase1_support": "综保区一期配套",
        "airport_express_cluster": "临空快递产业集聚区",
        "airport_demonstration_zone": "国家批复临空经济示范区",
        "intermodal_centre": "哈尔滨国际物流内陆港建设",
        "inland_port_last_mile": "最后一公里",
        "airport_second_passage_ph1": "机场第二通道",
        "airport_second_passage": "机场第二通道",
        "airport_second_passage_linkong": "机场第二通道",
        "airport_art_harbin_west": "机场轻轨",
        "hashuang_north_extension": "哈双北路延长线",
        "freight_expressway_g1001": "货运专用高速通道",
        "freight_expressway_new": "货运专用高速通道",
        "digital_sanqu_5g": "5G网络全覆盖",
    }
    expected = {}
    for pid, words in wording.items():
        found = [n for n, task in plan.items() if words in str(task["line"])]
        assert len(found) == 1, (pid, words, found)
        expected[pid] = found[0]
    assert {pid: int(projects.at[pid, "item"]) for pid in expected} == expected
    for pid, n in expected.items():
        row = projects.loc[pid]
        assert row["subsection"] == plan[n]["section"], pid
        assert row["phase"] == plan[n]["terms"][-1], pid
        year = DEADLINE[row["phase"]]
        got = None if pd.isna(row["target_year"]) else int(row["target_year"])
        assert got == (year.year if year else None), pid
        assert row["lead_unit"] in ("", "香坊区"), pid  # the one unit the plan names (task 8)
    assert projects.at["cbz_phase1_support", "lead_unit"] == "香坊区"
    # the second runway is context, not a task of the plan, and says so
    runway = projects.loc["airport_phase2"]
    assert pd.isna(runway["item"]) and pd.isna(runway["phase"])
    assert "非方案任务" in runway["title_zh"] and "not a plan task" in runway["title_en"]
    assert "not a task of the plan" in runway["note"]
    # every other feature is one of the plan's tasks
    assert set(projects.index) - set(expected) == {"airport_phase2"}


def test_register_located_follows_the_projects_layer() -> None:
    tasks = register.load_tasks()
    located = set(tasks.index[tasks["located"]])
    assert located == {7, 8, 10, 35, 36, 37, 38, 39}
    assert not tasks.at[6, "located"] and tasks.at[6, "features"] == ("bonded_logistics_centre_b",)
    assert tasks.at[40, "features"] == ("digital_sanqu_5g",) and not tasks.at[40, "located"]
    assert tasks.at[1, "features"] == ()  # listed, never dropped
    summary = register.summary().set_index("term")
    assert summary.loc["近期", "tasks"] == 17 and summary.loc["中期", "tasks"] == 15
    assert summary.loc["远期", "tasks"] == 2 and summary.loc["中远期", "tasks"] == 6
    assert summary.loc["合计 total", "tasks"] == 40 and summary.loc["合计 total", "located"] == 8


# ----------------------------------------------------------------------------- snapshots


def _workbook(tmp_path: Path, name: str, reports: dict[int, tuple], **edit) -> Path:
    """Export the status workbook, then fill it as the office would."""
    path = tmp_path / name
    register.export_status(path)
    wb = load_workbook(path)
    ws = wb.active
    for task, (status, note, day) in reports.items():
        row = task + 1  # header in row 1, task n in row n + 1
        assert ws.cell(row, 1).value == task
        ws.cell(row, 4).value = status
        ws.cell(row, 5).value = note
        ws.cell(row, 6).value = day
    for (row, col), value in edit.get("cells", {}).items():
        ws.cell(row, col).value = value
    wb.save(path)
    return path


def test_export_offers_the_status_words_as_a_drop_down(tmp_path: Path) -> None:
    path = register.export_status(tmp_path / "status.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]] == [
        "编号 Task",
        "任务 Title",
        "期限 Deadline",
        "状态 Status",
        "进展说明 Note",
        "日期 Date",
    ]
    assert [ws.cell(r, 1).value for r in range(2, 42)] == list(range(1, 41))
    assert ws.cell(37, 3).value == "中期 2022-12-31"  # task 36
    assert ws.cell(38, 3).value == "中远期 (无年份 no year)"  # task 37
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"未启动,推进中,已完成,滞后"'
    assert str(dv.sqref) == "D2:D41"


def test_two_imports_are_both_kept_and_changes_are_exact(tmp_path: Path) -> None:
    first = _workbook(
        tmp_path,
        "q3.xlsx",
        {
            1: ("已完成", "联席会议已建立", dt.date(2026, 8, 20)),
            6: ("推进中", "选址论证", dt.date(2026, 8, 21)),
            36: ("滞后", "附属工程未完", dt.date(2026, 8, 22)),
            40: ("未启动", "", dt.date(2026, 8, 22)),
        },
    )
    a = register.import_status(first, date=dt.date(2026, 8, 25))
    second = _workbook(
        tmp_path,
        "q4.xlsx",
        {
            6: ("已完成", "已验收", dt.date(2026, 11, 18)),  # changed
            36: ("滞后", "仍未完", dt.date(2026, 11, 18)),  # same status, new note
            40: ("推进中", "5G基站建设", dt.date(2026, 11, 19)),  # changed
            12: ("推进中", "", dt.date(2026, 11, 19)),  # first report
        },
    )
    # the second export is prefilled from the first snapshot: task 1 stays 已完成
    b = register.import_status(second, date=dt.date(2026, 11, 20))
    kept = register.snapshots()
    assert list(kept["id"]) == [a.id, b.id]
    assert list(kept["date"]) == [dt.date(2026, 8, 25), dt.date(2026, 11, 20)]
    assert len(list(register.snapshots_folder().glob("status-*.json"))) == 2

    changed = register.changed_since_previous(dt.date(2026, 11, 26))
    assert list(changed["task"]) == [6, 12, 40]
    assert changed.set_index("task").loc[6, ["before", "after"]].tolist() == ["推进中", "已完成"]
    assert changed.set_index("task").loc[12, "before"] == ""
    # as of a day between the two meetings, only the first snapshot counts: nothing changed
    assert register.changed_since_previous(dt.date(2026, 9, 1)).empty
    status = register.status_as_of(dt.date(2026, 9, 1))
    assert status.at[6, "status"] == "推进中" and status.at[12, "status"] == ""

    table = register.register_table(dt.date(2026, 11, 26)).set_index("task")
    assert table.at[1, "status"] == "已完成" and not table.at[1, "overdue"]
    assert table.at[6, "status"] == "已完成" and not table.at[6, "overdue"]
    assert table.at[36, "overdue"]  # 中期, due 2022-12-31, 滞后
    assert table.at[2, "overdue"] and table.at[2, "status"] == ""  # never reported
    assert not table.at[40, "overdue"]  # 中远期 has no deadline
    assert set(table.index[table["changed"]]) == {6, 12, 40}
    # overdue: every task with a dated deadline before the day and not 已完成
    expect = {
        n
        for n, d in register.load_tasks()["deadline"].items()
        if d is not None and d < dt.date(2026, 11, 26) and n not in (1, 6)
    }
    assert set(table.index[table["overdue"]]) == expect
    # as of 2022-06-01 only the 近期 tasks were past due
    early = register.register_table(dt.date(2022, 6, 1)).set_index("task")
    assert set(early.index[early["overdue"]]) == set(
        register.load_tasks().query("term == '近期'").index
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({(5, 1): 41}, r"bad\.xlsx row 5: task 41 is not a task of the plan \(1–40\)"),
        ({(7, 4): "进行中"}, r"bad\.xlsx row 7: status '进行中' is not one of"),
        (
            {(9, 4): "推进中", (9, 6): dt.date(2999, 1, 1)},
            r"bad\.xlsx row 9: date 2999-01-01 is in",
        ),
        ({(1, 4): "Progress"}, r"bad\.xlsx row 1: column '状态 Status' is missing"),
    ],
)
def test_a_bad_workbook_changes_nothing(
    tmp_path: Path, cells: dict, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _workbook(tmp_path, "good.xlsx", {3: ("推进中", "试点中", dt.date(2026, 11, 2))})
    register.import_status(good, date=dt.date(2026, 11, 3))
    before = sorted(p.read_bytes() for p in register.snapshots_folder().iterdir())
    status_before = register.status_as_of()
    bad = _workbook(tmp_path, "bad.xlsx", {4: ("推进中", "", dt.date(2026, 11, 4))}, cells=cells)
    with pytest.raises(RegisterError, match=message):
        register.import_status(bad)
    assert main(["register", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.search(message, " ".join(err.split()))
    assert "Traceback" not in err
    assert sorted(p.read_bytes() for p in register.snapshots_folder().iterdir()) == before
    pd.testing.assert_frame_equal(register.status_as_of(), status_before)


def test_a_workbook_without_any_status_is_refused(tmp_path: Path) -> None:
    blank = register.export_status(tmp_path / "blank.xlsx")
    with pytest.raises(RegisterError, match="blank.xlsx: no row has a status"):
        register.import_status(blank)
    assert register.snapshots().empty
    assert not register.snapshots_folder().exists() or not any(
        register.snapshots_folder().iterdir()
    )


def test_cli_export_import_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "status.xlsx"
    assert main(["register", "export", "--out", str(out)]) == 0
    wb = load_workbook(out)
    wb.active.cell(37, 4).value = "推进中"  # task 36
    wb.save(out)
    assert main(["register", "import", str(out), "--date", "2026-10-01"]) == 0
    wb.active.cell(37, 4).value = "已完成"
    wb.save(out)
    assert main(["register", "import", str(out), "--date", "2026-11-01"]) == 0
    capsys.readouterr()
    assert main(["register", "show", "--as-of", "2026-11-02"]) == 0
    shown = capsys.readouterr().out
    assert "2 snapshot(s)" in shown
    assert "Changed since the previous snapshot: 1 task(s)" in shown
    assert "机场第二通道" in shown
    assert main(["register", "import", str(out), "--date", "2999-12-31"]) == 2
    assert "is in the future" in capsys.readouterr().err
    assert main(["register", "show", "--as-of", "yesterday"]) == 2
    assert len(register.snapshots()) == 2


# ----------------------------------------------------------------------------- meeting pack


def test_register_sheet_and_print_page_mark_the_overdue(tmp_path: Path) -> None:
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    from sanqu_geo import report
    from sanqu_geo.maps import register_table, static

    book = _workbook(
        tmp_path,
        "s.xlsx",
        {
            6: ("已完成", "已验收", dt.date(2026, 3, 1)),
            36: ("滞后", "附属工程未完", dt.date(2026, 3, 1)),
        },
    )
    register.import_status(book, date=dt.date(2026, 3, 2))
    day = dt.date(2026, 3, 5)
    sheet = report.register_sheet(day).set_index("编号 Task")
    assert len(sheet) == 40
    assert sheet.at[36, "逾期 Overdue"] == "逾期 overdue"
    assert sheet.at[6, "逾期 Overdue"] == "" and sheet.at[6, "状态 Status"] == "已完成"
    assert sheet.at[37, "逾期 Overdue"] == ""  # 中远期: no deadline
    assert sheet.at[2, "状态 Status"] == "未报告 not reported"

    if static.find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt install fonts-noto-cjk)")
    table = register.register_table(day)
    fig = register_table.register_page(table, paper="A3", lang="zh", date=day)
    marked = {
        int(a.get_gid().split("-")[1])
        for a in fig.findobj(Rectangle)
        if (a.get_gid() or "").startswith("overdue-")
    }
    assert marked == set(table.loc[table["overdue"], "task"])
    assert 36 in marked and 6 not in marked and 37 not in marked
    texts = {t.get_gid(): t.get_text() for t in fig.findobj(Text) if t.get_gid()}
    assert texts["cell-36-flag"] == "逾期" and texts["cell-6-status"] == "已完成"
    assert texts["cell-37-deadline"].startswith("中远期")
    png = static.save_map(fig, tmp_path / "register-A3.png", dpi=100)
    from PIL import Image

    with Image.open(png) as im:
        # A3 landscape, 420 x 297 mm, at 100 dpi
        assert abs(im.size[0] - 1654) <= 1 and abs(im.size[1] - 1169) <= 1


# ----------------------------------------------------------------------------- as Excel shows it


def test_the_status_sheet_is_found_by_its_name_as_excel_shows_it(tmp_path: Path) -> None:
    path = _workbook(tmp_path, "s.xlsx", {5: ("推进中", "a", dt.date(2026, 3, 1))})
    wb = load_workbook(path)
    wb.active.title = "状态  status"  # spaces and case as a person may type them
    stale = wb.create_sheet("旧 old", 0)
    stale.append(["编号 Task", "状态 Status", "进展说明 Note", "日期 Date"])
    stale.append([5, "已完成", "stale", dt.date(2026, 1, 1)])
    stale.sheet_state = "hidden"
    wb.active = 1
    wb.save(path)
    rows = register.read_status_workbook(path, date=dt.date(2026, 3, 2))
    assert [(r["task"], r["status"], r["note"]) for r in rows] == [(5, "推进中", "a")]

    wb["状态  status"].title = "Sheet1"
    wb.save(path)
    with pytest.raises(RegisterError) as err:
        register.read_status_workbook(path, date=dt.date(2026, 3, 2))
    assert "no sheet is named '状态 Status'" in str(err.value)
    assert "'旧 old' (hidden), 'Sheet1'" in str(err.value)


def test_notes_lose_line_breaks_and_keep_their_words(tmp_path: Path) -> None:
    note = "\t第一段\r\n第二段\u2028第三段  双空格\n"
    path = _workbook(tmp_path, "n.xlsx", {2: ("推进中", note, dt.date(2026, 3, 1))})
    (row,) = register.read_status_workbook(path, date=dt.date(2026, 3, 2))
    assert row["note"] == "第一段 第二段 第三段  双空格"


def test_dates_follow_the_workbook_date_system(tmp_path: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    # written by openpyxl in the 1904 system: the serials differ, the days are the same
    path = _workbook(tmp_path, "mac.xlsx", {3: ("推进中", "", dt.date(2026, 2, 27))})
    wb = load_workbook(path)
    wb.epoch = CALENDAR_MAC_1904
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        assert 'date1904="1"' in z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    serial = re.search(r'<c r="F4"[^>]*><v>([\d.]+)</v>', sheet)
    assert (
        serial is not None
        and float(serial.group(1)) == (dt.date(2026, 2, 27) - dt.date(1904, 1, 1)).days
    )
    (row,) = register.read_status_workbook(path, date=dt.date(2026, 3, 2))
    assert row["date"] == "2026-02-27"
    # in the 1900 system, 61 is 1900-03-01: a real day, but long before the plan
    bad = _workbook(tmp_path, "61.xlsx", {3: ("推进中", "", 61)})
    with pytest.raises(RegisterError, match=r"61\.xlsx row 4: date 1900-03-01 is before 2020"):
        register.read_status_workbook(bad, date=dt.date(2026, 3, 2))


def test_snapshots_sort_by_day_then_sequence_number(tmp_path: Path) -> None:
    folder = register.snapshots_folder()
    folder.mkdir(parents=True)
    for stem, day, status in [
        ("status-2026-03-02-001", "2026-03-02", "已完成"),
        ("status-2026-03-01-1000", "2026-03-01", "滞后"),
        ("status-2026-03-01-999", "2026-03-01", "推进中"),
        ("status-2026-03-01-010", "2026-03-01", "未启动"),
    ]:
        payload = {"date": day, "imported": day, "source": "x.xlsx"}
        payload["rows"] = [{"task": 4, "status": status, "note": "", "date": day}]
        (folder / f"{stem}.json").write_text(json.dumps(payload), encoding="utf-8")
    (folder / "status-2026-03-01-002 copy.json").write_text("{}", encoding="utf-8")
    assert list(register.snapshots()["id"]) == [
        "status-2026-03-01-010",
        "status-2026-03-01-999",
        "status-2026-03-01-1000",
        "status-2026-03-02-001",
    ]
    assert register.status_as_of(dt.date(2026, 3, 1)).at[4, "status"] == "滞后"
    changed = register.changed_since_previous(dt.date(2026, 3, 1))
    assert changed[["task", "before", "after"]].values.tolist() == [[4, "推进中", "滞后"]]
    book = _workbook(tmp_path, "q.xlsx", {4: ("推进中", "", dt.date(2026, 3, 1))})
    assert register.import_status(book, date=dt.date(2026, 3, 1)).id == "status-2026-03-01-1001"


def test_a_killed_imports_temporary_is_removed_a_live_ones_kept(tmp_path: Path) -> None:
    folder = register.snapshots_folder()
    folder.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    killed = folder / f".status.tmp{int(dead.stdout)}.abc.json"
    alive = folder / f".status.tmp{os.getppid()}.def.json"  # another import still writing
    killed.write_text("{half", encoding="utf-8")
    alive.write_text("{half", encoding="utf-8")
    book = _workbook(tmp_path, "q.xlsx", {4: ("推进中", "", dt.date(2026, 3, 1))})
    snap = register.import_status(book, date=dt.date(2026, 3, 2))
    assert sorted(p.name for p in folder.iterdir()) == sorted([alive.name, f"{snap.id}.json"])


def test_export_keeps_an_existing_workbook_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "status.xlsx"
    out.write_bytes(b"the office's edits")
    assert main(["register", "export", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"the office's edits"
    assert main(["register", "export", "--out", str(out), "--force"]) == 0
    assert "replaced" in capsys.readouterr().out
    assert load_workbook(out).active.cell(41, 1).value == 40


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: register.import_status(p, date="2026-03-02"), r"date='2026-03-02' is a str"),
        (
            lambda p: register.import_status(p, date=dt.datetime(2026, 3, 2)),
            r"date=.* is a datetime",
        ),
        (lambda p: register.import_status(str(p).encode()), r"path=b'.*' is a bytes"),
        (lambda p: register.register_table(pd.Timestamp("2026-03-02")), r"as_of=.* is a datetime"),
        (
            lambda p: register.export_status(p.with_name("x.xlsx"), as_of=True),
            r"as_of=True is a bool",
        ),
    ],
)
def test_the_api_names_a_wrong_argument(tmp_path: Path, call, message: str) -> None:
    book = _workbook(tmp_path, "q.xlsx", {4: ("推进中", "", dt.date(2026, 3, 1))})
    with pytest.raises(RegisterError, match=message):
        call(book)
    assert not register.snapshots_folder().exists()
    assert not (tmp_path / "x.xlsx").exists()
