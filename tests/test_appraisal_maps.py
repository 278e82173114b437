"""Appraisal print maps: three panels of minutes to the airport and the change of truck minutes.

The colours are read back from the written PNG, zone by zone, and matched to the legend class
the table's minutes fall in; the PDF's text is read back through its ToUnicode maps.
"""

from __future__ import annotations

import logging
import re
import types
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from PIL import Image

from sanqu_geo import demand, network, scenarios, settings
from sanqu_geo.appraisal import tasks
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import appraisal as amaps
from sanqu_geo.maps import fonts
from sanqu_geo.maps.style import format_minutes, round_half_up

#: A4 landscape at 300 dpi.
A4_PIXELS = (3508, 2480)
DATE = pd.Timestamp("2024-05-06").date()
CLOSURE = "airport_expressway_outer_closed"
OPTION = "second_passage_full"


@pytest.fixture(scope="module")
def appraised() -> tasks.Appraisal:
    return tasks.appraise(
        scenarios.load_scenario(),
        demand.load_demand(),
        gap=1e-4,
        years=(2020,),
        periods=("am_peak",),
    )


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    return demand.load_demand().zones


@pytest.fixture(scope="module")
def roads():
    return network.load_network(settings.default_network)


@pytest.fixture(scope="module")
def cjk() -> str:
    family = fonts.find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed on this machine (Debian: apt install fonts-noto-cjk)")
    return family


def _airport_args(appraised, zones, roads) -> dict:
    return {
        "zones": zones,
        "table": appraised.zones["airport"],
        "option": OPTION,
        "condition": CLOSURE,
        "title_zh": "机场可达性:机场第二通道全线",
        "title_en": "Airport access: second passage, full line",
        "network_label": "embedded trunk network (indicative)",
        "roads": roads,
        "year": 2020,
        "date": DATE,
    }


# --------------------------------------------------------------------------- reading back


def _pdf_text(path: Path) -> str:
    """The text of a matplotlib PDF: literal strings decoded with each font's ToUnicode map."""
    data = path.read_bytes()
    objs = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}

    def stream(body: bytes) -> bytes:
        m = re.search(rb"stream\r?\n(.*)endstream", body, re.S)
        if not m:
            return b""
        return zlib.decompress(m[1]) if b"FlateDecode" in body else m[1]

    def unicode_map(num: int) -> dict[int, str]:
        table: dict[int, str] = {}
        text = stream(objs[num])
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
            pattern = rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)"
            for lo, hi, dst in re.findall(pattern, block):
                first = int(lo, 16)
                if dst.startswith(b"["):
                    for k, u in enumerate(re.findall(rb"<([0-9a-fA-F]+)>", dst)):
                        table[first + k] = bytes.fromhex(u.decode()).decode("utf-16-be")
                else:
                    u = int(dst[1:-1], 16)
                    for k in range(int(hi, 16) - first + 1):
                        table[first + k] = chr(u + k)
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
            for code, u in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                table[int(code, 16)] = bytes.fromhex(u.decode()).decode("utf-16-be")
        return table

    fonts_by_name = {}
    for body in objs.values():
        for name, ref in re.findall(rb"/(F\d+)\s+(\d+) 0 R", body):
            font = objs.get(int(ref), b"")
            m = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
            if m:
                fonts_by_name[name] = (unicode_map(int(m[1])), 2 if b"/Type0" in font else 1)
    token = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(|\bET\b")
    out: list[str] = []
    for body in objs.values():
        content = stream(body) if b"stream" in body else b""
        i, current = content.find(b"BT"), None
        while 0 <= i < len(content):
            m = token.search(content, i)
            if not m:
                break
            if m[0] == b"(":
                raw, i = _literal(content, m.end())
                if current:
                    table, width = current
                    codes = (
                        int.from_bytes(raw[k : k + width], "big") for k in range(0, len(raw), width)
                    )
                    out.append("".join(table.get(c, "") for c in codes))
                continue
            if m[1]:
                current = fonts_by_name.get(m[1])
            else:
                out.append("\n")
            i = m.end()
    return "".join(out)


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """A PDF literal string's bytes (escapes resolved) from just after its '('."""
    out, depth = bytearray(), 1
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while True:
        ch = data[i : i + 1]
        if ch == b"\\":
            octal = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
            if octal:
                out.append(int(octal[0], 8) & 0xFF)
                i += 1 + len(octal[0])
                continue
            nxt = data[i + 1 : i + 2]
            if nxt not in (b"\n", b"\r"):
                out += escapes.get(nxt, nxt)
            i += 2
            continue
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += ch
        i += 1


def _legend(fig: Figure, gid: str | None = None, title: str | None = None) -> dict[str, tuple]:
    """Legend label (white space removed) -> handle face colour (RGB 0-255)."""
    for legend in fig.findobj(Legend):
        if (gid and legend.get_gid() == gid) or (title and title in legend.get_title().get_text()):
            # the sidebar wraps long labels: compare them without white space
            return {
                re.sub(r"\s+", "", t.get_text()): tuple(
                    round(255 * c) for c in to_rgb(h.get_facecolor())
                )
                for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
            }
    raise AssertionError(f"no legend {gid or title}")


def _zone_colour(image: np.ndarray, ax, polygon, scale: float) -> tuple[int, int, int]:
    """The most common colour of the pixels inside a zone (its edges left out)."""
    inner = polygon.buffer(-250.0)
    ring = np.asarray(inner.exterior.coords) if inner.geom_type == "Polygon" else None
    assert ring is not None and len(ring) > 3
    display = ax.transData.transform(ring) * scale
    height = image.shape[0]
    px = np.column_stack([display[:, 0], height - display[:, 1]])
    path = MplPath(px)
    x0, y0 = np.floor(px.min(axis=0)).astype(int)
    x1, y1 = np.ceil(px.max(axis=0)).astype(int)
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    inside = grid[path.contains_points(grid)]
    assert len(inside) > 50, "zone too small to sample"
    pixels = image[inside[:, 1], inside[:, 0], :3]
    values, counts = np.unique(pixels, axis=0, return_counts=True)
    return tuple(int(v) for v in values[counts.argmax()])


def _class_colour(legend: dict[str, tuple], minutes: float) -> tuple:
    shown = round_half_up(minutes, 1)
    for label, colour in legend.items():
        m = re.fullmatch(r"([\d.]+)–([\d.]+)", label)
        if m and float(m[1]) <= shown < float(m[2]):
            return colour
        m = re.fullmatch(r"≥([\d.]+)", label)
        if m and shown >= float(m[1]):
            return colour
    raise AssertionError(f"{shown} min falls in no class of {list(legend)}")


def _metric_zones(zones):
    return zones.to_crs(settings.metric_crs).set_index("id")


def _areal(zones) -> list[str]:
    polygons = zones.geom_type.isin(["Polygon", "MultiPolygon"]) & (zones["kind"] != "generator")
    return list(zones.loc[polygons, "id"])


def _rendered(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())


# --------------------------------------------------------------------------- airport access


def test_airport_access_map_files_colours_and_means(
    appraised, zones, roads, cjk, tmp_path: Path
) -> None:
    args = _airport_args(appraised, zones, roads)
    paths = amaps.airport_access_map(**args, path_stem=tmp_path / "airport-access-x")
    assert [p.name for p in paths] == ["airport-access-x.png", "airport-access-x.pdf"]
    with Image.open(paths[0]) as image:
        assert abs(image.size[0] - A4_PIXELS[0]) <= 1
        assert abs(image.size[1] - A4_PIXELS[1]) <= 1
        png = np.asarray(image.convert("RGB"))
    assert paths[1].read_bytes().startswith(b"%PDF")
    text = _pdf_text(paths[1])
    assert "机场可达性:机场第二通道全线" in text
    assert "Airport access: second passage, full line" in text
    assert "无到机场出行" in text and "no airport trips" in text

    # the same page, for its axes: each zone's pixels against the legend class of its minutes
    fig = amaps.airport_access_figure(**args)
    legend = _legend(fig, gid="legend-minutes")
    table = appraised.zones["airport"]
    metric = _metric_zones(zones)
    classes: dict[str, dict[str, tuple]] = {}
    for letter, (condition, option) in zip(
        "abc", [("normal", "base"), (CLOSURE, "base"), (CLOSURE, OPTION)], strict=True
    ):
        ax = next(a for a in fig.axes if a.get_gid() == f"map-panel-{letter}")
        part = table[(table["condition"] == condition) & (table["option"] == option)]
        part = part.set_index("zone")
        classes[letter] = {}
        checked = 0
        for zone in _areal(zones):
            if zone not in part.index or part.loc[zone, "trips_to"] <= 0:
                continue
            want = _class_colour(legend, part.loc[zone, "minutes_to"])
            got = _zone_colour(png, ax, metric.loc[zone, "geometry"], 300 / fig.dpi)
            assert got == want, (letter, zone, part.loc[zone, "minutes_to"], got, want)
            classes[letter][zone] = want
            checked += 1
        assert checked >= 5
        # under the panel: the mean weighted by trips to the airport, computed here by hand
        minutes, trips = part["minutes_to"].to_numpy(), part["trips_to"].to_numpy()
        mean = (minutes * trips).sum() / trips.sum()
        caption = next(t for t in fig.findobj(Text) if t.get_gid() == f"panel-mean-{letter}")
        assert f"出行加权平均 {format_minutes(mean)} 分钟" in caption.get_text()
        assert f"trip-weighted mean {format_minutes(mean)} min" in caption.get_text()
        assert f"trip-weighted mean {format_minutes(mean)} min" in text
    # the closure and the option change what the panels show
    assert any(classes["b"][z] != classes["c"][z] for z in classes["b"])
    assert any(classes["a"][z] != classes["b"][z] for z in classes["a"])
    titles = [
        t.get_text() for t in fig.findobj(Text) if (t.get_gid() or "").startswith("panel-title")
    ]
    assert "机场高速绕城外段封闭" in titles[1] and "机场第二通道全线" in titles[2]


def test_zones_without_airport_trips_are_hatched(appraised, zones, roads, cjk) -> None:
    table = appraised.zones["airport"].copy()
    table.loc[table["zone"] == "songbei", "trips_to"] = 0.0
    fig = amaps.airport_access_figure(**{**_airport_args(appraised, zones, roads), "table": table})
    image = _rendered(fig)
    ax = next(a for a in fig.axes if a.get_gid() == "map-panel-a")
    polygon = _metric_zones(zones).loc["songbei", "geometry"]
    assert _zone_colour(image, ax, polygon, 1.0) == (255, 255, 255)  # white under grey hatching
    legend = _legend(fig, gid="legend-minutes")
    assert legend["无到机场出行noairporttrips"] == (255, 255, 255)
    # the mean leaves the zone out: it has no trips to weigh
    part = table[(table["condition"] == "normal") & (table["option"] == "base")]
    mean = (part["minutes_to"] * part["trips_to"]).sum() / part["trips_to"].sum()
    caption = next(t for t in fig.findobj(Text) if t.get_gid() == "panel-mean-a")
    assert f"{format_minutes(mean)} min" in caption.get_text()


def test_airport_access_map_names_the_missing_condition(appraised, zones, roads) -> None:
    args = {**_airport_args(appraised, zones, roads), "condition": "no_such_closure"}
    with pytest.raises(DataSourceError, match="no_such_closure"):
        amaps.airport_access_figure(**args)


def test_minute_breaks_cover_every_value() -> None:
    breaks = amaps.minute_breaks([11.7, 68.4, np.nan, np.inf])
    assert breaks == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    wide = amaps.minute_breaks([3.0, 118.0])
    assert len(wide) - 1 <= amaps.MAX_MINUTE_CLASSES and wide[0] <= 3 and wide[-1] > 118
    # a few far zones with few trips get one open class; the rest keep fine steps
    minutes = [12.0, 18.0, 25.0, 33.0, 41.0, 47.0, 115.0]
    trips = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 1.0]
    assert amaps.minute_breaks(minutes, trips) == [10.0, 20.0, 30.0, 40.0, 50.0, np.inf]


# --------------------------------------------------------------------------- truck minutes


def test_truck_time_map_colours_follow_the_sign(appraised, zones, roads, cjk, tmp_path) -> None:
    place, option = "new_area_jiangbei", "freight_ring_feeders"
    table = appraised.zones["trucks"]
    base = table[(table["option"] == "base") & (table["place"] == place)]
    # known changes, one per class, on the zones drawn as areas
    changes = dict(zip(_areal(zones), [-7.0, -3.0, -1.0, 0.3, 1.0, 3.0, 7.0], strict=False))
    fake = base.assign(
        option=option, minutes=base["minutes"] + base["zone"].map(changes).fillna(0.0)
    )
    assert amaps.change_breaks(7.0) == (0.5, 2.0, 5.0)
    expected = {
        -7.0: "快 5 分钟以上 over 5 min faster",
        -3.0: "快 2–5 分钟 2–5 min faster",
        -1.0: "快 0.5–2 分钟 0.5–2 min faster",
        0.3: "变化很小(±0.5 分钟) little change (±0.5 min)",
        1.0: "慢 0.5–2 分钟 0.5–2 min slower",
        3.0: "慢 2–5 分钟 2–5 min slower",
        7.0: "慢 5 分钟以上 over 5 min slower",
    }
    paths = amaps.truck_time_map(
        zones, pd.concat([base, fake]), option=option, place=place,
        path_stem=tmp_path / "truck-time-x", title_zh="货车时间变化:测试",
        title_en="Change in truck minutes: test", network_label="trunk", roads=roads,
        date=DATE,
    )  # fmt: skip
    with Image.open(paths[0]) as image:
        assert abs(image.size[0] - A4_PIXELS[0]) <= 1
        assert abs(image.size[1] - A4_PIXELS[1]) <= 1
    assert paths[1].read_bytes().startswith(b"%PDF")
    text = _pdf_text(paths[1])
    assert "货车时间变化:测试" in text and "变化很小" in text and "little change" in text

    fig = amaps.truck_time_figure(
        zones, pd.concat([base, fake]), option=option, place=place, title_zh="货车时间变化:测试",
        title_en="Change in truck minutes: test", network_label="trunk", roads=roads, date=DATE,
    )  # fmt: skip
    legend = _legend(fig, title="货车时间变化")
    expected = {k: re.sub(r"\s+", "", v) for k, v in expected.items()}
    assert list(legend)[:7] == list(expected.values())
    image = _rendered(fig)
    ax = next(a for a in fig.axes if a.get_gid() == "map-frame")
    metric = _metric_zones(zones)
    for zone, change in changes.items():
        got = _zone_colour(image, ax, metric.loc[zone, "geometry"], 1.0)
        assert got == legend[expected[change]], (zone, change, got)
        r, _, b = got
        if change < -0.5:
            assert b > r  # faster is blue
        elif change > 0.5:
            assert r > b  # slower is orange
        else:
            assert abs(r - b) < 8  # a neutral grey
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert any("新区(江北)" in t for t in texts)  # the place is named on the map


# --------------------------------------------------------------------------- a comparison's maps


def test_draw_appraisal_maps_for_a_comparison(appraised, tmp_path, caplog) -> None:
    sc = scenarios.load_scenario()
    comparison = types.SimpleNamespace(
        appraisal=appraised, scenario=sc, network_source="embedded trunk network (indicative)",
        demand_source="indicative",
    )  # fmt: skip
    names = amaps.draw_appraisal_maps(comparison, tmp_path)
    expected = set()
    for gid, members in sc.groups.items():
        g = sc.group(gid)
        if g.measure == "airport_access":
            expected |= {
                f"airport-access-{o.id}"
                for o in members
                if o.id in set(appraised.zones["airport"]["option"])
            }
        elif g.measure == "logistics":
            part = appraised.overall[appraised.overall["group"] == gid]
            highest = part.sort_values("measure_value", ascending=False)["option"].iloc[0]
            expected |= {f"truck-time-{highest}"}
    assert expected and set(names) == {f"{n}.{s}" for n in expected for s in ("png", "pdf")}
    assert all((tmp_path / n).stat().st_size > 0 for n in names)

    # an appraisal without its zone tables: no map, a log line each
    bare = types.SimpleNamespace(**{**vars(comparison), "appraisal": types.SimpleNamespace(
        **{**vars(appraised), "zones": {}})})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="sanqu_geo.maps.appraisal"):
        assert amaps.draw_appraisal_maps(bare, tmp_path / "bare") == []
    assert "no zone table of airport access" in caplog.text
    assert "no zone table of truck minutes" in caplog.text


def test_appraisal_footers_name_the_network_in_the_page_language(
    appraised, zones, roads, cjk
) -> None:
    """The network the options were compared on is named in Chinese on a Chinese page and
    in both languages on a bilingual one: no English-only words in the footer."""
    from sanqu_geo.maps.airport_access import airport_access_figure
    from sanqu_geo.maps.truck_time import truck_time_figure

    def footer(fig: Figure) -> str:
        text = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
        return " ".join(text.split())

    args = _airport_args(appraised, zones, roads)
    zh = footer(airport_access_figure(**{**args, "lang": "zh"}))
    assert "比选路网:内置骨干路网(示意)" in zh
    assert "embedded trunk network" not in zh
    both = footer(airport_access_figure(**args))
    assert "内置骨干路网(示意) / embedded trunk network (indicative)" in both
    truck = footer(
        truck_time_figure(
            zones,
            appraised.zones["trucks"],
            option="freight_ring_feeders",
            place="new_area_jiangbei",
            title_zh="货车时间",
            title_en="Truck minutes",
            network_label="embedded trunk network (indicative)",
            roads=roads,
            lang="zh",
            date=DATE,
        )
    )
    assert "内置骨干路网(示意)" in truck
    assert "embedded trunk network" not in truck
