"""The READMEs: the set-up commands, the links and every documented command line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_ZH = ROOT / "README.zh-CN.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

#: The two commands CI and a new user run first, exactly.
SETUP = [
    "pip install . && sanqu-geo meeting-pack --out pack/",
    "pip install -e '.[test]' && pytest",
]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _blocks(path: Path, *, lang: str | None = None) -> list[str]:
    """Return the fenced code blocks of a Markdown file, optionally of one language."""
    text = path.read_text(encoding="utf-8")
    return [body for tag, body in FENCE.findall(text) if lang is None or tag == lang]


@pytest.mark.parametrize("path", [README, README_ZH], ids=["en", "zh"])
def test_the_two_setup_commands_come_first(path: Path) -> None:
    assert [block.strip() for block in _blocks(path)[:2]] == SETUP


def test_readme_links_the_chinese_readme_before_any_command() -> None:
    text = README.read_text(encoding="utf-8")
    assert 0 <= text.find("](README.zh-CN.md)") < text.find("```")


@pytest.mark.parametrize(
    "path", [README, README_ZH, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_relative_links_point_to_files(path: Path) -> None:
    targets = [t for t in LINK.findall(path.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in targets if not (path.parent / t.split("#")[0]).exists()]
    assert missing == []


def test_every_docs_page_is_linked_from_the_docs_index() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    assert {p.name for p in DOCS if p.name != "README.md"} <= linked


def _command_lines(path: Path) -> list[str]:
    """Return the ``sanqu-geo`` lines of a file's bash blocks, comments removed."""
    lines = []
    for block in _blocks(path, lang="bash"):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split(" #")[0].strip()
                if part.startswith("sanqu-geo "):
                    lines.append(part)
    return lines


def _resolve(args: list[str]) -> tuple[Any, list[str]]:
    """Follow the arguments down the command tree to the command they run."""
    from sanqu_geo.cli import app

    command: Any = typer.main.get_command(app)
    rest = list(args)
    while hasattr(command, "commands"):  # a group
        while rest and rest[0].startswith("-"):  # a global option and its value
            option = rest.pop(0)
            if "=" not in option and rest and not rest[0].startswith("-"):
                if option not in ("--debug", "-v", "-q", "--verbose", "--quiet"):
                    rest.pop(0)
        assert rest, f"no command in {args}"
        name = rest.pop(0)
        assert name in command.commands, f"unknown command {name!r} in {args}"
        command = command.commands[name]
    return command, rest


@pytest.mark.parametrize("path", [README, README_ZH], ids=["en", "zh"])
def test_documented_commands_and_options_exist(path: Path) -> None:
    lines = _command_lines(path)
    assert len(lines) >= 12  # every task shows its commands
    for line in lines:
        command, rest = _resolve(shlex.split(line)[1:])
        known = {opt for param in command.params for opt in param.opts}
        unknown = [a.split("=")[0] for a in rest if a.startswith("--")]
        assert set(unknown) <= known, (line, set(unknown) - known)


def test_the_tasks_come_in_the_same_order_in_both_readmes() -> None:
    english = [
        "Compare corridor",
        "Import OD",
        "Export the register",
        "Publish the web",
        "meeting pack",
    ]
    chinese = [
        "比选走廊方案",
        "导入OD与流量计数",
        "导出任务台账",
        "发布网页地图",
        "制作联席会议材料",
    ]
    for path, titles in ((README, english), (README_ZH, chinese)):
        headings = [h for h in path.read_text(encoding="utf-8").splitlines() if h.startswith("## ")]
        positions = [next(i for i, h in enumerate(headings) if t in h) for t in titles]
        assert positions == sorted(positions), path.name


def test_chinese_readme_uses_the_planning_terms() -> None:
    text = README_ZH.read_text(encoding="utf-8")
    for term in ("OD", "路段流量", "饱和度 v/c", "延误指数", "车·时"):
        assert term in text
