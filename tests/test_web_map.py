"""The interactive maps as a person sees them: built pages opened in headless Chromium."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageColor

from sanqu_geo import crs, layers
from sanqu_geo.cli import main
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps import interactive, style

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "maps"
CHROMIUM = Path("/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>"


# ------------------------------------------------------------------ without a browser


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = interactive.publish(["infrastructure"], tmp_path / "a", offline=True)[0].read_bytes()
    b = interactive.publish(["infrastructure"], tmp_path / "b", offline=True)[0].read_bytes()
    assert a == b


def test_offline_page_has_no_external_resources_and_no_local_paths(tmp_path: Path) -> None:
    page = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    text = page.read_text(encoding="utf-8")
    assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', text)
    assert "L.map(" in text or "L.map (" in text  # Leaflet itself is inlined and used
    for local in (str(REPO), str(tmp_path), "/home/", "/root/", "file://"):
        assert local not in text
    assert page.stat().st_size < 3_000_000


def test_online_page_links_leaflet_only(tmp_path: Path) -> None:
    text = interactive.publish(["infrastructure"], tmp_path)[0].read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="([^"]+)"', text)
    assert any("leaflet" in s for s in scripts)
    assert not any("jquery" in s or "bootstrap" in s for s in scripts)
    assert "OpenStreetMap" in text


def test_user_text_is_escaped_in_the_page(tmp_path: Path) -> None:
    _import_hostile_facility(tmp_path)
    text = interactive.publish(["infrastructure"], tmp_path / "out", offline=True)[0].read_text(
        encoding="utf-8"
    )
    assert XSS not in text
    assert "</script><script>" not in text
    # escaped for HTML, then embedded as JSON with <, > and & as unicode escapes
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in text


def test_tianditu_needs_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(SettingsError, match="TIANDITU_KEY"):
        interactive.publish(["infrastructure"], tmp_path, basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "k123")
    text = interactive.publish(["infrastructure"], tmp_path, basemap="tianditu")[0].read_text(
        encoding="utf-8"
    )
    assert "tianditu.gov.cn" in text and "tk=k123" in text


def test_unknown_recipe_and_bad_recipe(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="infrastructure"):
        interactive.load_recipe("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text('[map]\nlayers = ["zones", "clouds"]\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="clouds"):
        interactive.load_recipe(bad)


def test_local_tiles_are_linked_relative_to_the_page(tmp_path: Path) -> None:
    tiles = tmp_path / "tiles"
    (tiles / "10").mkdir(parents=True)
    out = tmp_path / "site" / "maps"
    text = interactive.publish(["infrastructure"], out, offline=True, tiles=tiles)[0].read_text(
        encoding="utf-8"
    )
    assert '"../../tiles/{z}/{x}/{y}.png"' in text
    assert str(tmp_path) not in text


def test_maps_build_cli_bad_basemap_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["maps", "build", "infrastructure", "--basemap", "bing", "--out", str(tmp_path)]) == 2
    )
    assert "unknown basemap 'bing'" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.html"))


def _import_hostile_facility(tmp_path: Path) -> None:
    airport = layers.load_layer("facilities").set_index("id").loc["airport", "geometry"]
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [airport.x, airport.y]},
        "properties": {
            "id": "airport",
            "name_zh": XSS,
            "name_en": "</script><script>alert(2)</script>",
            "kind": "airport",
        },
    }
    src = tmp_path / "hostile.geojson"
    src.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    layers.import_layer(src, "facilities", crs="wgs84")


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


class _Page:
    def __init__(self, browser, path: Path, *, block_network: bool = True) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        if block_network:

            def route(r):
                url = r.request.url
                if url.startswith(("file:", "data:", "blob:")):
                    return r.continue_()
                self.requests.append(url)
                return r.abort()

            self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("Object.keys(window).some(k => k.startsWith('map_'))")
        self.page.wait_for_timeout(500)

    def js(self, code: str):
        return self.page.evaluate(code)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()


_FIND = """(id) => {
  const map = window[Object.keys(window).find(k => k.startsWith('map_'))];
  let found = null;
  map.eachLayer(l => {
    if (l.feature && l.feature.properties.id === id && (l.getLatLng || l.getLatLngs)) found = l;
  });
  if (!found) return null;
  // a marker's position, or the middle vertex of a line
  const flat = found.getLatLng ? [found.getLatLng()] : found.getLatLngs().flat(3);
  const at = flat[Math.floor(flat.length / 2)];
  const p = map.latLngToContainerPoint(at);
  const box = map.getContainer().getBoundingClientRect();
  return {lat: at.lat, lng: at.lng, x: p.x + box.left, y: p.y + box.top};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_offline_infrastructure_map_in_chromium(browser, tmp_path: Path) -> None:
    page_path = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    p = _Page(browser, page_path)
    try:
        assert p.errors == []
        assert p.requests == []  # nothing asked the network
        overlays = p.js(
            "document.querySelectorAll('.leaflet-control-layers-overlays label').length"
        )
        # the base, zones, river, districts, roads, the project terms present (近期, 中期,
        # 中远期, not a plan task), facilities
        assert overlays == 10
        assert p.js("document.querySelector('#sq-legend') !== null")
        spot = p.page.evaluate(_FIND, "freight_expressway_new")
        assert spot is not None
        p.page.mouse.click(spot["x"], spot["y"])
        p.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        popup = p.js("document.querySelector('.leaflet-popup-content').innerText")
        assert "第39项" in popup and "Task 39" in popup and "中远期" in popup
        p.shot("infrastructure-offline.png")
    finally:
        p.close()


@pytest.mark.browser
@pytest.mark.slow
def test_escaped_name_shows_as_text_and_no_dialog(browser, tmp_path: Path) -> None:
    _import_hostile_facility(tmp_path)
    page_path = interactive.publish(["infrastructure"], tmp_path / "out", offline=True)[0]
    p = _Page(browser, page_path)
    try:
        spot = p.page.evaluate(_FIND, "airport")
        p.page.mouse.click(spot["x"], spot["y"])
        p.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        text = p.js("document.querySelector('.leaflet-popup-content').innerText")
        assert XSS in text
        assert p.js("document.querySelectorAll('.leaflet-popup-content img').length") == 0
        p.page.wait_for_timeout(300)
        assert p.dialogs == []
        assert p.errors == []
        p.shot("escaped-name.png")
    finally:
        p.close()


@pytest.mark.browser
@pytest.mark.slow
def test_gaode_mode_puts_the_airport_at_its_gcj02_position(browser, tmp_path: Path) -> None:
    page_path = interactive.publish(["infrastructure"], tmp_path, basemap="gaode", offline=True)[0]
    p = _Page(browser, page_path)  # tiles blocked: only the overlay position matters here
    try:
        spot = p.page.evaluate(_FIND, "airport")
        airport = layers.load_layer("facilities").set_index("id").loc["airport", "geometry"]
        glon, glat = crs.wgs84_to_gcj02(airport.x, airport.y)
        assert spot["lng"] == pytest.approx(glon, abs=1e-6)
        assert spot["lat"] == pytest.approx(glat, abs=1e-6)
        assert abs(spot["lng"] - airport.x) > 0.004  # really shifted (about 470 m east)
        assert any("autonavi" in url for url in p.requests)
    finally:
        p.close()


@pytest.mark.browser
@pytest.mark.slow
def test_both_maps_from_the_cli_open_offline(browser, tmp_path: Path) -> None:
    out = tmp_path / "maps"
    assert main(["maps", "build", "--offline", "--out", str(out)]) == 0
    for name in ("infrastructure", "corridors"):
        p = _Page(browser, out / f"{name}.html")
        try:
            assert p.errors == [] and p.requests == []
            assert (
                p.js("document.querySelectorAll('.leaflet-control-layers-overlays label').length")
                >= 5
            )
            if name == "corridors":
                # the isochrone layers are listed but off: they would paint the city over
                iso = p.js(
                    "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays "
                    "label')).filter(l => l.innerText.includes('等时圈'))"
                    ".map(l => l.querySelector('input').checked)"
                )
                assert iso and not any(iso)
            p.shot(f"{name}-cli.png")
        finally:
            p.close()


def test_corridor_recipe_minutes_are_used(tmp_path: Path) -> None:
    recipe = tmp_path / "iso20.toml"
    recipe.write_text(
        '[map]\ntitle_zh = "二十分钟"\ntitle_en = "Twenty minutes"\nlayers = ["corridors"]\n'
        "[corridors]\nminutes = [20]\n",
        encoding="utf-8",
    )
    assert main(["maps", "build", str(recipe), "--offline", "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "iso20.html").read_text(encoding="utf-8")
    assert " 20 min" in text and " 30 min" not in text and " 60 min" not in text


_MAP = "window[Object.keys(window).find(k => k.startsWith('map_'))]"

_VISIBLE_LABELS = """() => Array.from(document.querySelectorAll('.sq-label'))
  .filter(el => el.style.visibility === 'visible')
  .map(el => { const b = el.getBoundingClientRect();
               return {text: el.innerText, x0: b.left, y0: b.top, x1: b.right, y1: b.bottom}; })"""

_BASE_PATHS = """() => {
  const pane = document.querySelector('.leaflet-sq-base-pane');
  const box = document.querySelector('.leaflet-container').getBoundingClientRect();
  return Array.from(pane.querySelectorAll('path')).filter(p => {
    const b = p.getBoundingClientRect();
    return b.right > box.left && b.left < box.right && b.bottom > box.top && b.top < box.bottom;
  }).length;
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_zoom_13_over_the_inland_port_shows_base_roads_and_labels(browser, tmp_path: Path) -> None:
    page_path = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    hub = layers.load_layer("facilities").set_index("id").loc["inland_port_hub", "geometry"]
    p = _Page(browser, page_path)
    try:
        p.js(f"{_MAP}.setView([{hub.y}, {hub.x}], 13, {{animate: false}})")
        p.page.wait_for_timeout(600)
        assert p.js(f"{_MAP}.getZoom()") == 13
        # streets of the base, not just the handful of trunk roads, are drawn in view
        assert p.page.evaluate(_BASE_PATHS) >= 20
        labels = p.page.evaluate(_VISIBLE_LABELS)
        texts = " ".join(label["text"] for label in labels)
        for name in ("内陆港", "集装箱中心站", "综保区卡口"):
            assert name in texts
        # labels shown never overlap one another
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert (
                    a["x1"] <= b["x0"]
                    or b["x1"] <= a["x0"]
                    or a["y1"] <= b["y0"]
                    or (b["y1"] <= a["y0"])
                ), (a["text"], b["text"])
        # at zoom 10 the small-site labels are hidden, the big zones are named
        p.js(f"{_MAP}.setZoom(10, {{animate: false}})")
        p.page.wait_for_timeout(400)
        texts10 = " ".join(label["text"] for label in p.page.evaluate(_VISIBLE_LABELS))
        assert "综保区卡口" not in texts10
        assert "Airport" in texts10 or "机场" in texts10
        p.js(f"{_MAP}.setView([{hub.y}, {hub.x}], 13, {{animate: false}})")
        p.page.wait_for_timeout(400)
        assert p.errors == [] and p.requests == []
        p.shot("infrastructure-inland-port-z13.png")
    finally:
        p.close()


@pytest.mark.browser
@pytest.mark.slow
def test_legend_collapses_and_follows_the_layer_control(browser, tmp_path: Path) -> None:
    page_path = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    p = _Page(browser, page_path)
    try:
        body = "document.getElementById('sq-legend-body')"
        assert p.js(f"{body}.offsetHeight") > 100
        # lines are drawn as lines, areas as boxes
        assert p.js("document.querySelectorAll('#sq-legend svg line').length") >= 5
        assert p.js("document.querySelectorAll('#sq-legend svg rect').length") >= 5
        p.page.click("#sq-legend-toggle")
        assert p.js(f"{body}.offsetHeight") == 0
        assert p.js("document.getElementById('sq-legend').offsetHeight") < 40
        p.page.click("#sq-legend-toggle")
        assert p.js(f"{body}.offsetHeight") > 100

        # the term that holds the part under construction
        term = (
            layers.load_layer("projects").set_index("id").at["airport_second_passage_ph1", "phase"]
        )
        near = f"项目 {term}"
        rows = f"""Array.from(document.querySelectorAll('.sq-legend-row'))
          .filter(r => r.innerText.includes('{near}') && r.offsetHeight > 0).length"""
        assert p.js(rows) == 1
        p.page.hover(".leaflet-control-layers")
        label = p.page.locator(".leaflet-control-layers-overlays label", has_text=near)
        label.locator("input").click()
        p.page.wait_for_timeout(200)
        assert p.js(rows) == 0  # the entry follows the layer switched off
        hidden = p.js(
            "Array.from(document.querySelectorAll('.sq-legend-row')).filter(r => "
            "r.offsetHeight === 0).length"
        )
        assert hidden >= 2  # the phase and its part under construction
        label.locator("input").click()
        p.page.wait_for_timeout(200)
        assert p.js(rows) == 1
        assert p.errors == []
        p.shot("legend-follows-layers.png")
    finally:
        p.close()


_LINE_SPOT = """(id) => {
  const map = window[Object.keys(window).find(k => k.startsWith('map_'))];
  let found = null;
  map.eachLayer(l => { if (l.feature && l.feature.properties.id === id && l.getLatLngs) found = l; });
  if (!found) return null;
  map.fitBounds(found.getBounds(), {animate: false, padding: [200, 200]});
  const pts = found.getLatLngs().flat(3);
  const a = map.latLngToContainerPoint(pts[Math.floor(pts.length / 2) - 1]);
  const b = map.latLngToContainerPoint(pts[Math.floor(pts.length / 2)]);
  const box = map.getContainer().getBoundingClientRect();
  return {x: (a.x + b.x) / 2 + box.left, y: (a.y + b.y) / 2 + box.top,
          pane: found.options.pane};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_phase_1_passage_opens_its_own_popup_on_a_click(browser, tmp_path: Path) -> None:
    page_path = interactive.publish(["infrastructure"], tmp_path, offline=True)[0]
    p = _Page(browser, page_path)
    try:
        spot = p.page.evaluate(_LINE_SPOT, "airport_second_passage_ph1")
        assert spot is not None and spot["pane"] == "sq-top"
        p.page.wait_for_timeout(300)
        # what a person's click hits at that spot is the phase-1 line
        hit = p.js(
            f"(() => {{ const el = document.elementFromPoint({spot['x']}, {spot['y']});"
            " return el && el.closest('.leaflet-sq-top-pane') !== null; })()"
        )
        assert hit
        p.page.mouse.click(spot["x"], spot["y"])
        p.page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        popup = p.js("document.querySelector('.leaflet-popup-content').innerText")
        assert "机场第二通道(一期)" in popup and "phase 1" in popup
        assert "全线" not in popup
        assert "在建" in popup  # the status as words, not the code
        assert "under_construction" not in popup
        p.shot("phase-1-popup.png")
    finally:
        p.close()


def test_mbtiles_file_becomes_a_tile_folder_beside_the_page(tmp_path: Path) -> None:
    import io
    import sqlite3

    from PIL import Image

    mbtiles = tmp_path / "harbin.mbtiles"
    with sqlite3.connect(mbtiles) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
        buf = io.BytesIO()
        Image.new("RGB", (256, 256), (200, 10, 10)).save(buf, format="PNG")
        # zoom 10, the tile of central Harbin: x 872, XYZ y 364, TMS row 1023 - 364 = 659
        db.execute("INSERT INTO tiles VALUES (10, 872, 659, ?)", (buf.getvalue(),))
    out = tmp_path / "out"
    page = interactive.publish(["infrastructure"], out, offline=True, tiles=mbtiles)[0]
    tile = out / "tiles" / "10" / "872" / "364.png"
    assert tile.is_file()
    with Image.open(tile) as im:
        assert im.getpixel((5, 5)) == (200, 10, 10)
    html = page.read_text(encoding="utf-8")
    assert '"tiles/{z}/{x}/{y}.png"' in html
    assert str(tmp_path) not in html  # no local path in the page
    bad = tmp_path / "not.mbtiles"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(DataSourceError, match="not an MBTiles file"):
        interactive.publish(["infrastructure"], tmp_path / "x", offline=True, tiles=bad)


# ------------------------------------------------------------------ pages read at a glance

#: Option ids and profile names of the corridor fixture: none may show on a page.
_CODES = (
    "airport_second_passage",
    "airport_art_harbin_west",
    "freight_g1001",
    "truck",
    "car",
    "Profile",
)


def _corridor_data() -> dict:
    """Corridor layers as :func:`sanqu_geo.compare.map_layers` gives them, drawn by hand on the
    projects of tasks 36 and 37 (the rail option runs along the second passage for 4/5 of its
    length), with two ranked road options and an unranked rail option."""
    import geopandas as gpd
    from shapely.geometry import Point

    projects = layers.load_layer("projects").set_index("id")
    passage = projects.loc["airport_second_passage", "geometry"]
    rail = projects.loc["airport_art_harbin_west", "geometry"]
    g1001 = projects.loc["freight_expressway_g1001", "geometry"]
    nan = float("nan")
    road = {"key_links_mean_saved_min": 2.46, "vht_saved": 812.0, "cost_yi_yuan": nan}
    options = gpd.GeoDataFrame(
        [
            {"option": "airport_second_passage", "group": "airport", "title_zh": "第二通道",
             "title_en": "Second passage", "corridor": "c1", "profile": "car", "rank": 1,
             **road, "geometry": passage},
            {"option": "freight_g1001", "group": "freight", "title_zh": "货运通道",
             "title_en": "Freight expressway", "corridor": "c2", "profile": "truck", "rank": 2,
             **road, "geometry": g1001},
            {"option": "airport_art_harbin_west", "group": "rail", "title_zh": "机场智轨",
             "title_en": "Airport ART", "corridor": "c3", "profile": "rail", "rank": nan,
             "key_links_mean_saved_min": nan, "vht_saved": nan, "cost_yi_yuan": nan,
             "from_zh": "哈西站", "to_zh": "机场", "from_en": "Harbin West", "to_en": "Airport",
             "door_to_door_min": 41.2, "car_congested_min": 47.9, "geometry": rail},
        ],
        crs="EPSG:4326",
    )  # fmt: skip
    stops = gpd.GeoDataFrame(
        [
            {"option": o, "corridor": c, "number": i + 1, "geometry": Point(g.coords[k])}
            for o, c, g in (
                ("airport_second_passage", "c1", passage),
                ("freight_g1001", "c2", g1001),
            )
            for i, k in enumerate((0, -1))
        ],
        crs="EPSG:4326",
    )
    routes = gpd.GeoDataFrame(
        [
            {"option": "base:car", "link": "w", "link_zh": "哈西站—机场", "link_en": "West – airport",
             "minutes": 38.0, "saved_min": 0.0, "geometry": passage},
            {"option": "airport_second_passage", "link": "w", "link_zh": "哈西站—机场",
             "link_en": "West – airport", "minutes": 37.6, "saved_min": 0.4, "geometry": passage},
        ],
        crs="EPSG:4326",
    )  # fmt: skip
    airport = Point(passage.coords[-1])
    iso = gpd.GeoDataFrame(
        [
            {"option": o, "place": "airport", "place_zh": "机场", "place_en": "Airport",
             "minutes": 30.0, "area_km2": 100.0, "profile": "car",
             "geometry": airport.buffer(0.1)}
            for o in ("base", "airport_second_passage")
        ],
        crs="EPSG:4326",
    )  # fmt: skip
    return {"options": options, "interchanges": stops, "routes": routes, "isochrones": iso}


def _flows_inputs():
    """A small flows page: v/c on two roads, one option's difference with its new corridor, the
    zones using it."""
    import geopandas as gpd
    from shapely.geometry import LineString

    zones = layers.load_layer("zones", located_only=True)
    roads = [
        LineString([(126.45, 45.70), (126.62, 45.72)]),
        LineString([(126.62, 45.72), (126.70, 45.80)]),
    ]
    congestion = gpd.GeoDataFrame(
        {"name": ["友谊路", "机场路"], "vc": [0.5, 1.3], "pcu": [1200.0, 3600.0]},
        geometry=roads,
        crs="EPSG:4326",
    )
    new = LineString([(126.30, 45.62), (126.45, 45.70)])
    diff = gpd.GeoDataFrame(
        {"name": ["友谊路", "机场路", "新通道"], "corridor": ["", "", "c1"],
         "delta_pcu": [-300.0, 150.0, 2400.0]},
        geometry=[*roads, new],
        crs="EPSG:4326",
    )  # fmt: skip
    used = zones.head(3).assign(vehicles=[215.0, 640.0, 90.0])
    return (
        congestion,
        {"opt": (("第二通道", "Second passage"), diff)},
        {"opt": (("第二通道", "Second passage"), used)},
    )


def test_no_import_cycle_between_the_page_modules() -> None:
    import ast
    import subprocess
    import sys

    def imported(module: str) -> set[str]:
        tree = ast.parse((REPO / "sanqu_geo" / "maps" / f"{module}.py").read_text("utf-8"))
        out = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                out.add(node.module)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        return out

    assert "sanqu_geo.maps.interactive" not in imported("web_corridors")
    assert "sanqu_geo.maps.web_corridors" in imported("interactive")
    # either module imports first, in a fresh interpreter
    for first in ("web_corridors", "interactive"):
        done = subprocess.run(
            [sys.executable, "-c", f"import sanqu_geo.maps.{first}"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


def test_corridor_popups_have_one_figure_per_line_with_its_period() -> None:
    m = interactive.build_map(
        interactive.load_recipe("corridors"), basemap="none", corridor_data=_corridor_data()
    )
    page = interactive.render_html(m)
    popups = [json.loads(f'"{p}"') for p in re.findall(r'"popup": "((?:[^"\\]|\\.)*)"', page)]
    # the corridor layers' popups (options, routes today, isochrones); not sources' dates
    popups = [p for p in popups if "Rank" in p or "free flow" in p]
    assert len(popups) >= 5
    numbers = re.compile(r"\d+(?:[.,]\d+)?")
    for text in popups:
        for cell in re.findall(r"<td>(.*?)</td>", text):
            assert len(numbers.findall(cell)) <= 1, cell
        for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", text):
            if "节省" in th and numbers.search(td):
                assert "高峰" in th or "自由流" in th, th
        for code in _CODES:
            assert not re.search(rf"(?<![\w-]){code}(?![\w-])", text), (code, text)
    # the free-flow saving of 0.4 min is named as such
    assert any("自由流节省" in p for p in popups)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    from sanqu_geo.maps import flows

    folder = tmp_path_factory.mktemp("glance")
    out = {}
    for name, data in (("infrastructure", None), ("corridors", _corridor_data())):
        m = interactive.build_map(interactive.load_recipe(name), basemap="none", corridor_data=data)
        out[name] = folder / f"{name}.html"
        out[name].write_text(interactive.render_html(m, offline=True), encoding="utf-8")
    congestion, differences, select = _flows_inputs()
    out["flows"] = folder / "flows.html"
    out["flows"].write_text(
        flows.flows_web_map(congestion, differences, select_link=select), encoding="utf-8"
    )
    return out


_BOXES = """() => {
  const box = el => { if (!el) return null; const b = el.getBoundingClientRect();
    return {x0: b.left, y0: b.top, x1: b.right, y1: b.bottom, w: b.width, h: b.height}; };
  const title = document.querySelector('.sq-title');
  return {
    title: document.title,
    titleBox: box(title), titleText: title ? title.innerText : '',
    legend: box(document.getElementById('sq-legend')),
    scale: box(document.querySelector('.leaflet-control-scale')),
    scaleText: Array.from(document.querySelectorAll('.leaflet-control-scale-line'))
      .map(e => e.innerText),
  };
}"""


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"]
    )


@pytest.mark.browser
@pytest.mark.parametrize("name", ["infrastructure", "corridors", "flows"])
@pytest.mark.parametrize("width", [1400, 900])
def test_every_page_has_a_title_a_metric_scale_and_a_legend_clear_of_it(
    browser, pages, name: str, width: int
) -> None:
    p = _Page(browser, pages[name])
    try:
        p.page.set_viewport_size({"width": width, "height": 700})
        p.page.wait_for_timeout(300)
        info = p.js(_BOXES)
        assert p.errors == []
        assert len(info["title"]) > 4 and info["title"].split(" ")[0] in info["titleText"]
        assert info["titleBox"]["w"] > 50 and info["titleBox"]["h"] > 10
        assert info["scaleText"] and all(re.fullmatch(r"\d+ k?m", t) for t in info["scaleText"])
        assert info["legend"]["h"] > 20
        assert not _overlap(info["legend"], info["scale"]), info
        p.shot(f"glance-{name}-{width}.png")
    finally:
        p.close()


_PATH_HITS = """(sel) => {
  const map = window[Object.keys(window).find(k => k.startsWith('map_'))];
  const box = map.getContainer().getBoundingClientRect();
  let layer = null;
  map.eachLayer(l => { if (l.feature && l._path && sel(l.feature.properties)) layer = l; });
  if (!layer) return null;
  const pts = layer.getLatLngs().flat(3);
  let hits = 0, inside = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    for (const t of [0.25, 0.5, 0.75]) {
      const a = map.latLngToContainerPoint(pts[i]), b = map.latLngToContainerPoint(pts[i + 1]);
      const x = a.x + (b.x - a.x) * t, y = a.y + (b.y - a.y) * t;
      if (x < 5 || y < 5 || x > box.width - 5 || y > box.height - 5) continue;
      inside += 1;
      if (document.elementFromPoint(x + box.left, y + box.top) === layer._path) hits += 1;
    }
  }
  const style = getComputedStyle(layer._path);
  return {hits, inside, stroke: style.stroke, width: parseFloat(style.strokeWidth),
          opacity: parseFloat(style.strokeOpacity)};
}"""


def _hits(p: _Page, predicate: str) -> dict:
    return p.page.evaluate(f"(src) => ({_PATH_HITS})(new Function('p', src))", predicate)


@pytest.mark.browser
def test_task_37_is_visible_beside_task_36_on_the_infrastructure_map(browser, pages) -> None:
    p = _Page(browser, pages["infrastructure"])
    try:
        p.js(f"{_MAP}.setZoom(11)")
        p.page.wait_for_timeout(600)
        rail = _hits(p, "return p.id === 'airport_art_harbin_west'")
        assert rail is not None and rail["inside"] >= 10
        assert rail["width"] >= 3 and rail["opacity"] > 0.5 and rail["stroke"] != "none"
        assert rail["hits"] >= 0.8 * rail["inside"], rail
        # phase 1 of task 36 stays visible along its length too
        ph1 = _hits(p, "return p.id === 'airport_second_passage_ph1' && p.weight < 9")
        assert ph1 is not None and ph1["hits"] >= 0.8 * ph1["inside"], ph1
        p.shot("glance-task37.png")
    finally:
        p.close()


@pytest.mark.browser
def test_corridor_page_shows_the_rail_option_and_no_internal_code(browser, pages) -> None:
    p = _Page(browser, pages["corridors"])
    try:
        names = p.js(
            "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
            ".map(l => [l.innerText.trim(), l.querySelector('input').checked])"
        )
        rail = [checked for text, checked in names if "机场智轨" in text]
        assert rail == [True], names
        drawn = _hits(p, "return p.id === 'airport_art_harbin_west'")
        assert drawn is not None and drawn["hits"] >= 0.8 * drawn["inside"], drawn
        # everything a reader sees, the collapsed layer list included
        p.js("document.querySelector('.leaflet-control-layers').classList.add("
             "'leaflet-control-layers-expanded')")  # fmt: skip
        text = p.js("document.body.innerText")
        for code in _CODES:
            assert not re.search(rf"(?<![\w-]){code}(?![\w-])", text), code
        assert "第二通道" in text and "机场智轨" in text
    finally:
        p.close()


_CANVAS_POINTS = """() => {
  const map = window[Object.keys(window).find(k => k.startsWith('map_'))];
  const box = map.getContainer().getBoundingClientRect();
  let layer = null;
  map.eachLayer(l => { if (l.feature && l.feature.properties && String(l.feature.properties.tooltip || '')
    .includes('New corridor')) layer = l; });
  if (!layer) return [];
  const pts = layer.getLatLngs().flat(3).map(ll => map.latLngToContainerPoint(ll));
  const out = [];
  for (let i = 0; i + 1 < pts.length; i++) {
    for (let k = 1; k < 20; k++) {
      const x = pts[i].x + (pts[i + 1].x - pts[i].x) * k / 20;
      const y = pts[i].y + (pts[i + 1].y - pts[i].y) * k / 20;
      if (x > 5 && y > 5 && x < box.width - 5 && y < box.height - 5) {
        out.push([x + box.left, y + box.top]);
      }
    }
  }
  return out;
}"""


@pytest.mark.browser
def test_select_link_layer_shows_the_corridor_and_the_figures(browser, pages) -> None:
    p = _Page(browser, pages["flows"])
    try:
        p.page.locator(".leaflet-control-layers").hover()
        p.page.get_by_text("Who uses the corridor").click()
        p.page.mouse.move(5, 400)
        p.page.wait_for_timeout(500)
        # the page draws on a canvas: the corridor's own colour, sampled along its course
        p.js(
            f"{_MAP}.fitBounds(L.latLngBounds([[45.60, 126.28], [45.72, 126.47]]),"
            "{paddingTopLeft: [60, 80], paddingBottomRight: [330, 60]}) && null"
        )
        p.page.wait_for_timeout(600)
        points = p.js(_CANVAS_POINTS)
        assert len(points) >= 10
        image = Image.open(io.BytesIO(p.page.screenshot())).convert("RGB")
        ink = ImageColor.getrgb(style.INK)
        near = [
            max(abs(a - b) for a, b in zip(image.getpixel((round(x), round(y))), ink, strict=True))
            <= 40
            for x, y in points
        ]
        assert sum(near) >= 0.8 * len(near), near
        labels = [lab["text"] for lab in p.page.evaluate(_VISIBLE_LABELS)]
        assert any("640" in t for t in labels) and any("215" in t for t in labels), labels
        p.shot("glance-flows-select-link.png")
    finally:
        p.close()
