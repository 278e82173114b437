"""The CJK font: ``pip install`` alone gives Chinese print maps (the noto-cjk-sans-otc wheel), on a
machine whose system fonts hold no CJK face; the PDF carries Noto Sans CJK.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

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


def test_the_bundled_font_is_found_and_named() -> None:
    bundled = fonts.bundled_font_file()
    if bundled is None:
        pytest.skip("the noto-cjk-sans-otc wheel is not installed here")
    assert bundled.suffix == ".ttc" and bundled.stat().st_size > 10_000_000
    assert "Noto Sans CJK SC" in fonts._register(bundled)


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
    assert found["family"] == "Noto Sans CJK SC"
    assert found["path"].startswith(str(venv)) and "noto_cjk_sans_otc" in found["path"]
    assert re.search("[\u4e00-\u9fff]", found["title"])  # Chinese, not the English fallback
    data = pdf.read_bytes()
    names = set(re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", data))
    assert any(b"NotoSansCJKsc" in n or b"NotoSansCJKSC" in n for n in names), names
