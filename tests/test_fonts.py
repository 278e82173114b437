"""The CJK font: ``pip install`` alone gives Chinese print maps (the noto-cjk-sans-otc wheel), on a
machine whose system fonts hold no CJK face; the PDF carries Noto Sans CJK.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from sanqu_geo.maps import fonts

REPO = Path(__file__).resolve().parents[1]
FONT_WHEEL = "noto-cjk-sans-otc>=0.0.1"
#: Build the project with the build backend already installed (no network for it).
LOCAL = ("--no-build-isolation",)


def _pip(python: str | Path) -> list[str]:
    return [str(python), "-m", "pip"]


#: Run inside the fresh environment: matplotlib sees its own fonts and the environment's only.
_SCRIPT = r"""
import json, sys, warnings
import matplotlib
from matplotlib import font_manager as fm
from matplotlib.font_manager import FontProperties

own = matplotlib.get_data_path()
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if f.fname.startswith(own)]
fm.findSystemFonts = lambda *args, **kwargs: []
fm.fontManager._findfont_cached.cache_clear()

warnings.simplefilter("error")  # a missing CJK font would warn: make it fail
import sanqu_geo
from sanqu_geo.maps import fonts, static

family = fonts.find_cjk_font()
path = fm.findfont(FontProperties(family=family), fallback_to_default=False)
fig = static.zones_map(paper="A4", lang="zh")
title = next(t.get_text() for t in fig.texts if t.get_gid() == "map-title")
static.save_map(fig, sys.argv[1])
print(json.dumps({"family": family, "path": str(path), "package": sanqu_geo.__file__,
                  "title": title}))
"""


def _bundled() -> Path:
    bundled = fonts.bundled_font_file()
    if bundled is None:
        pytest.skip("the noto-cjk-sans-otc wheel is not installed here")
    return bundled


def test_the_bundled_font_is_found_and_named() -> None:
    bundled = _bundled()
    assert bundled.suffix == ".ttc" and bundled.stat().st_size > 10_000_000
    assert fonts.BUNDLED_FAMILY in fonts._register(bundled)
    # the collection's own family name still finds it (the system may hold one too)
    assert fonts.find_cjk_font("Noto Sans CJK SC") in ("Noto Sans CJK SC", fonts.BUNDLED_FAMILY)


def test_the_bundled_font_is_the_first_choice_for_every_weight() -> None:
    bundled = _bundled()
    family = fonts.find_cjk_font()
    assert family == fonts.BUNDLED_FAMILY
    for weight in ("normal", "bold"):
        path = font_manager.findfont(
            FontProperties(family=[family, "DejaVu Sans"], weight=weight),
            fallback_to_default=False,
        )
        assert Path(path).resolve() == bundled.resolve(), weight


@pytest.mark.slow
def test_fresh_venv_without_system_cjk_fonts_prints_chinese_with_the_pip_font(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    got = subprocess.run(
        [*_pip(sys.executable), "download", "--no-deps", "--dest", str(wheels), FONT_WHEEL],
        capture_output=True,
        text=True,
    )
    if got.returncode != 0:
        pytest.skip(f"the font wheel cannot be fetched here: {got.stderr.strip()[-200:]}")
    # The other dependencies come from this environment, the font wheel excepted, so that
    # only `pip install` can put the font into the fresh environment.
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.casefold()
        if name.startswith(("noto_cjk", "sanqu_geo", "_sanqu_geo", "__editable__")):
            continue
        if name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "shared-deps.pth").write_text(str(deps) + "\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_USER")
    }
    empty_conf = tmp_path / "fonts.conf"
    empty_conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>',
        encoding="utf-8",
    )
    env |= {"MPLCONFIGDIR": str(tmp_path / "mpl"), "FONTCONFIG_FILE": str(empty_conf)}
    install = subprocess.run(
        # no --no-deps: pip must take the font from the project's own dependencies
        [*_pip(python), "install", "--no-index", "--find-links", str(wheels), *LOCAL, str(REPO)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    check = subprocess.run(
        [str(python), "-m", "pip", "check"], capture_output=True, text=True, env=env
    )
    assert "noto-cjk-sans-otc" not in check.stdout, check.stdout  # the dependency is met
    pdf = tmp_path / "zones.pdf"
    run = subprocess.run(
        [str(python), "-c", _SCRIPT, str(pdf)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(venv))  # the installed copy, not this checkout
    assert found["family"] == fonts.BUNDLED_FAMILY
    assert found["path"].startswith(str(venv)) and "noto_cjk_sans_otc" in found["path"]
    assert re.search("[\u4e00-\u9fff]", found["title"])  # Chinese, not the English fallback
    data = pdf.read_bytes()
    names = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", data))
    assert names and all(b"+NotoSansCJKSCbundled-" in n for n in names), names


# ----------------------------------------------------------------------------- same font everywhere

#: Draw the register page and write it as PDF, with the system's fonts visible or hidden
#: (argv: pdf path, "visible" | "hidden"); print what the font manager offered.
_PAGE_SCRIPT = r"""
import datetime, json, sys
import matplotlib
from matplotlib import font_manager as fm
from matplotlib.font_manager import FontProperties

system = sorted({f.fname for f in fm.fontManager.ttflist if f.name == "Noto Sans CJK SC"})
system_bold = None
if system:
    system_bold = str(fm.findfont(FontProperties(family="Noto Sans CJK SC", weight="bold")))
if sys.argv[2] == "hidden":
    own = matplotlib.get_data_path()
    fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if f.fname.startswith(own)]
    fm.findSystemFonts = lambda *args, **kwargs: []
    fm.fontManager._findfont_cached.cache_clear()
    system, system_bold = [], None

from sanqu_geo import register
from sanqu_geo.maps import fonts, register_table, static

day = datetime.date(2026, 3, 5)
fig = register_table.register_page(register.register_table(day), paper="A4", lang="zh", date=day)
static.save_map(fig, sys.argv[1])
print(json.dumps({"family": fonts.find_cjk_font(), "system": system, "system_bold": system_bold}))
"""

_EMPTY_FONTCONFIG = (
    '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig></fontconfig>'
)


def _base_fonts(pdf: Path) -> list[str]:
    """The /BaseFont names of a PDF's font dictionaries, in file order."""
    return [m.decode() for m in re.findall(rb"/BaseFont\s*/([^\s/<>\[\]()]+)", pdf.read_bytes())]


@pytest.fixture(scope="module")
def register_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """The register page written by two processes: one that sees the system's fonts, one
    that sees matplotlib's own and the wheel's only."""
    _bundled()
    folder = tmp_path_factory.mktemp("register-pdfs")
    conf = folder / "fonts.conf"
    conf.write_text(_EMPTY_FONTCONFIG, encoding="utf-8")
    runs = {}
    for mode in ("visible", "hidden"):
        env = dict(os.environ, SANQU_GEO_HOME=str(folder / f"home-{mode}"))
        if mode == "hidden":
            env |= {"FONTCONFIG_FILE": str(conf)}
        pdf = folder / f"register-{mode}.pdf"
        runs[mode] = (
            pdf,
            subprocess.Popen(
                [sys.executable, "-c", _PAGE_SCRIPT, str(pdf), mode],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=folder,
            ),
        )
    out = {}
    for mode, (pdf, proc) in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        out[mode] = (pdf, json.loads(stdout.strip().splitlines()[-1]))
    return out


def test_the_pdf_embeds_the_wheels_font_with_or_without_system_fonts(
    register_pdfs: dict[str, tuple[Path, dict]],
) -> None:
    (with_system, seen), (without, unseen) = register_pdfs["visible"], register_pdfs["hidden"]
    if not seen["system"]:
        pytest.skip("no system Noto Sans CJK SC to compete with (Debian: fonts-noto-cjk)")
    bundled = str(_bundled())
    # the system offers its own copy, and a bold face the wheel does not have
    assert all(not path.startswith(str(Path(bundled).parent)) for path in seen["system"])
    assert seen["system_bold"] and "noto_cjk_sans_otc" not in seen["system_bold"]
    assert seen["family"] == unseen["family"] == fonts.BUNDLED_FAMILY
    names = _base_fonts(with_system)
    assert names, "no font embedded"
    assert names == _base_fonts(without)
    # a subset tag, then the wheel's face renamed (never the system's NotoSansCJKsc-Bold)
    assert all(re.fullmatch(r"[A-Z]{6}\+NotoSansCJKSCbundled-[0-9a-f]{10}", n) for n in names)
    # nothing else differs either: the same page, byte for byte
    assert with_system.read_bytes() == without.read_bytes()


# ----------------------------------------------------------------------------- poppler


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian: apt install poppler-utils)")
    return path


def _chinese_figure() -> Any:
    """A small page of Chinese and Latin text, regular and bold, in the wheel's face."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2))
    fig.text(0.05, 0.6, "哈尔滨“三区一港” Harbin", family=[fonts.BUNDLED_FAMILY], size=14)
    fig.text(0.05, 0.3, "机场第二通道 2025", family=[fonts.BUNDLED_FAMILY], weight="bold")
    return fig


def test_poppler_reads_every_pdf_without_a_warning(
    register_pdfs: dict[str, tuple[Path, dict]], tmp_path: Path
) -> None:
    pdffonts, pdftoppm, pdftotext = (_poppler(t) for t in ("pdffonts", "pdftoppm", "pdftotext"))
    from sanqu_geo.maps import static

    assert fonts.find_cjk_font() == fonts.BUNDLED_FAMILY
    small = static.save_map(_chinese_figure(), tmp_path / "small.pdf")
    pdfs = [small, *(pdf for pdf, _ in register_pdfs.values())]
    for pdf in pdfs:
        listed = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True)
        assert listed.stderr == "", (pdf.name, listed.stderr)
        rows = listed.stdout.splitlines()[2:]
        assert rows and all("CID TrueType" in row and " yes " in row for row in rows), rows
        shown = subprocess.run(
            [pdftoppm, "-r", "20", "-png", str(pdf), str(tmp_path / pdf.stem)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shown.stderr == "", (pdf.name, shown.stderr)
        text = subprocess.run(
            [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
        )
        assert text.stderr == ""
        # Type 42 keeps the text: a reader can search the page for a task
        assert "三区一港" in text.stdout or "三区一港" in text.stdout.replace("\n", "")
    # a control: the face embedded as it is (CFF outlines under the TrueType label) is what
    # poppler warns about, so the checks above can fail
    import matplotlib

    raw = tmp_path / "raw.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        _chinese_figure().savefig(raw, format="pdf")
    warned = subprocess.run([pdffonts, str(raw)], capture_output=True, text=True)
    assert "Mismatch between font type and embedded font file" in warned.stderr


def test_the_embedded_subset_keeps_the_wheels_outlines_and_widths() -> None:
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont
    from matplotlib.text import Text

    bundled = _bundled()
    fig = _chinese_figure()
    family = fonts.BUNDLED_FAMILY
    source = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    with fonts.compact_cjk_font([fig], family):
        compact = next(t for t in fig.findobj(Text) if t.get_text()).get_fontfamily()[0]
        assert compact.startswith(family + " ") and compact != family
        path = font_manager.findfont(FontProperties(family=compact), fallback_to_default=False)
        with TTFont(path) as sub, TTFont(bundled, fontNumber=source.face_index) as full:
            assert "glyf" in sub and "CFF " not in sub and "CFF " in full
            assert sub["name"].getDebugName(6) == "NotoSansCJKSCbundled-" + compact[-10:]
            full_glyphs = full.getGlyphSet()
            for ch in "哈尔滨三区一港机场第二通道HarbinQ2025":
                g_sub = sub.getBestCmap()[ord(ch)]
                g_full = full.getBestCmap()[ord(ch)]
                assert sub["hmtx"][g_sub][0] == full["hmtx"][g_full][0], ch  # same advance
                pen = BoundsPen(full_glyphs)
                full_glyphs[g_full].draw(pen)
                glyph = sub["glyf"][g_sub]
                got = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
                # within two font units (0.2 % of the em) of the PostScript outline
                assert np.allclose(got, pen.bounds, atol=2), (ch, got, pen.bounds)
                assert glyph.numberOfContours == len(_contours(full_glyphs, g_full)), ch
    # the subset is gone after the block, and the text is back on the wheel's face
    assert all(t.get_fontfamily()[0] == family for t in fig.findobj(Text) if t.get_text())
    assert compact not in {f.name for f in font_manager.fontManager.ttflist}


def _contours(glyphs: Any, name: str) -> list[int]:
    """The contours of a glyph (one entry each)."""
    from fontTools.pens.recordingPen import RecordingPen

    pen = RecordingPen()
    glyphs[name].draw(pen)
    return [i for i, (op, _) in enumerate(pen.value) if op == "closePath"]


# ----------------------------------------------------------------------------- the print register


def _report(tmp_path: Path, reports: dict[int, tuple[str, str, Any]], *, on: Any) -> None:
    """Fill the status workbook as the office would and import it as a snapshot."""
    from openpyxl import load_workbook

    from sanqu_geo import register

    path = register.export_status(tmp_path / "status.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    for task, (status, note, day) in reports.items():
        assert ws.cell(task + 1, 1).value == task
        ws.cell(task + 1, 4).value = status
        ws.cell(task + 1, 5).value = note
        ws.cell(task + 1, 6).value = day
    wb.save(path)
    register.import_status(path, date=on)


def _reddish(colour: Any) -> bool:
    """A red or pink: hue within 25° of red, clearly saturated."""
    import colorsys

    from matplotlib.colors import to_rgb

    h, lightness, s = colorsys.rgb_to_hls(*to_rgb(colour))
    return min(h, 1 - h) * 360 <= 25 and s >= 0.45 and 0.15 <= lightness <= 0.97


@pytest.fixture
def register_snapshot(tmp_path: Path) -> Any:
    import datetime as dt

    if fonts.find_cjk_font() is None:
        pytest.skip("no CJK font (pip install noto-cjk-sans-otc)")
    _report(
        tmp_path,
        {
            6: ("已完成", "已验收", dt.date(2026, 3, 1)),  # near term, done: not overdue
            8: ("推进中", "", dt.date(2026, 3, 1)),  # 2022, in progress: overdue
            36: ("滞后", "附属工程未完", dt.date(2026, 3, 1)),  # 2022, delayed: overdue
            31: ("滞后", "", dt.date(2026, 3, 1)),  # 中远期, delayed: never overdue
        },
        on=dt.date(2026, 3, 2),
    )
    return dt.date(2026, 3, 5)


def test_register_page_shows_each_status_as_of_its_day(register_snapshot: Any) -> None:
    import datetime as dt

    from matplotlib.text import Text

    from sanqu_geo import register
    from sanqu_geo.maps import register_table

    def statuses(day: dt.date, lang: str) -> dict[int, str]:
        page = register_table.register_page(
            register.register_table(day), paper="A4", lang=lang, date=day
        )
        texts = [t.get_text() for t in page.findobj(Text)]
        assert not any(t.strip() == "—" for t in texts)  # no dash where a status should be
        return {
            int(t.get_gid().split("-")[1]): t.get_text()
            for t in page.findobj(Text)
            if re.fullmatch(r"cell-\d+-status", t.get_gid() or "")
        }

    shown = statuses(register_snapshot, "zh")
    assert len(shown) == 40
    reported = {6: "已完成", 8: "推进中", 36: "滞后", 31: "滞后"}
    assert shown == {t: reported.get(t, "未报告") for t in range(1, 41)}
    # before the snapshot's day nothing was reported yet
    assert set(statuses(dt.date(2026, 2, 28), "zh").values()) == {"未报告"}
    assert statuses(register_snapshot, "en")[12] == "not reported"
    assert statuses(register_snapshot, "both")[36] == "滞后 delayed"


def test_register_page_is_red_for_overdue_tasks_only_and_says_so(
    register_snapshot: Any, tmp_path: Path
) -> None:
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch
    from matplotlib.text import Text
    from PIL import Image

    from sanqu_geo import register
    from sanqu_geo.maps import register_table, static

    table = register.register_table(register_snapshot)
    overdue = set(table.loc[table["overdue"], "task"])
    assert {8, 36} <= overdue and not {6, 31, 37} & overdue
    page = register_table.register_page(table, paper="A4", lang="zh", date=register_snapshot)

    # every red artist is an overdue row, its mark, or the legend's overdue entry
    red = []
    for text in page.findobj(Text):
        if text.get_text() and _reddish(text.get_color()):
            red.append(text.get_gid())
        patch = text.get_bbox_patch()
        if patch is not None and _reddish(patch.get_facecolor()):
            red.append(f"{text.get_gid()}-box")
    red += [p.get_gid() for p in page.findobj(Patch) if _reddish(p.get_facecolor())]
    expected = {f"overdue-{t}" for t in overdue} | {f"cell-{t}-flag" for t in overdue}
    expected |= {"legend-overdue-mark", "legend-overdue-mark-box"}
    assert set(red) == expected
    texts = {t.get_gid(): t for t in page.findobj(Text) if t.get_gid()}
    assert texts["cell-31-status"].get_text() == "滞后"  # delayed, not overdue: not red
    assert texts["legend-overdue-mark"].get_text() == "逾期"
    assert "已过期限" in texts["legend-overdue-meaning"].get_text()
    assert "未报告" in texts["legend-not-reported-mark"].get_text()

    # the printed page: a row's empty right end is the red fill exactly where it is overdue
    dpi = 60
    png = static.save_map(page, tmp_path / "register.png", dpi=dpi)
    fill = np.array(to_rgb(register_table.OVERDUE_FILL)) * 255
    with Image.open(png) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=float)
    right = texts["header-note"].get_position()[0] + 0.205 * (297 - 20) - 2  # mm
    for task in range(1, 41):
        y_mm = texts[f"cell-{task}-task"].get_position()[1]
        px = pixels[round(y_mm / 25.4 * dpi), round(right / 25.4 * dpi)]
        near_fill = np.abs(px - fill).max() <= 12
        near_white = np.abs(px - 255).max() <= 12
        assert (near_fill, near_white) == (task in overdue, task not in overdue), (task, px)


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_register_legend_and_headers_leave_room_for_each_other(lang: str) -> None:
    import datetime as dt

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from sanqu_geo import register
    from sanqu_geo.maps import register_table

    if fonts.find_cjk_font() is None:
        pytest.skip("no CJK font (pip install noto-cjk-sans-otc)")
    day = dt.date(2026, 3, 5)
    page = register_table.register_page(
        register.register_table(day), paper="A4", lang=lang, date=day
    )
    renderer = FigureCanvasAgg(page).get_renderer()
    boxes = {
        t.get_gid(): t.get_window_extent(renderer)
        for t in page.findobj(Text)
        if t.get_gid() and t.get_text()
    }
    legend = [b for g, b in boxes.items() if g.startswith("legend-")]
    heading = [boxes["register-title"], boxes["register-subtitle"]]
    headers = sorted((b for g, b in boxes.items() if g.startswith("header-")), key=lambda b: b.x0)
    assert len(legend) == 6 and len(headers) == 8
    for a in legend:
        assert not any(a.overlaps(b) for b in heading), (lang, a)
        assert a.y0 > max(h.y1 for h in headers)  # above the table (y grows upward)
        assert a.x1 <= page.bbox.x1
    for a, b in itertools.pairwise(headers):
        assert a.x1 < b.x0, (lang, a, b)  # no header runs into the next
    assert not heading[0].overlaps(heading[1])
