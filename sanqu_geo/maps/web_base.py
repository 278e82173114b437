"""What every web page of the toolkit shares: escaped bilingual text, popup tables, GeoJSON
layers, the metric scale, the offline base and the place labels.

The base is drawn under the overlays from the toolkit's own data (the main streets of
central Harbin derived from OpenStreetMap, the trunk roads by class, the Songhua, district
names, railway stations and the airport); zones, facilities and districts are named at the
zoom levels where their labels fit. The page modules (:mod:`~sanqu_geo.maps.interactive`,
:mod:`~sanqu_geo.maps.web_corridors`) import from here, never from each other the other way.
Never computes anything but label positions.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Callable, Iterable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from sanqu_geo import crs as _crs
from sanqu_geo import layers
from sanqu_geo.maps import style
from sanqu_geo.resources import data_file

__all__ = [
    "BASE_ATTRIBUTION",
    "SIMPLIFY_DEG",
    "LabelPlacer",
    "MetricScale",
    "OffsetLines",
    "PageContext",
    "add_base",
    "add_geojson",
    "add_labels",
    "base_panes",
    "bilingual",
    "code_text",
    "district_marker",
    "escape",
    "plain",
    "popup_rows",
    "prepare",
]

#: Simplification tolerance (degrees, about 5 m) for drawn lines and polygons: the web map is
#: read at city zoom levels (10–15), where 5 m is below one pixel.
SIMPLIFY_DEG = 0.00005

#: Credit of the street base (derived from OpenStreetMap by ``tools/derive_base_streets.py``).
BASE_ATTRIBUTION = "Streets © OpenStreetMap contributors, ODbL"

#: Leaflet panes: the base between tiles (200) and overlays (400); the phase under
#: construction above the other overlays, rail lines above it; labels above markers, below
#: tooltips (650).
PANES: dict[str, tuple[int, bool]] = {
    "sq-base": (250, False),
    "sq-top": (450, True),
    "sq-rail": (460, True),
    "sq-labels": (620, False),
}

#: Screen offset (pixels) of a rail line that runs along a road project or option: beside the
#: widest road line (a 9 px casing) with a gap, so both read along their whole length.
RAIL_OFFSET_PX = 7.5

#: Zone labels appear from these zoom levels on, by zone area (km²): big areas early.
_ZONE_MINZOOM = ((100.0, 10), (10.0, 11), (0.0, 13))
#: Facility labels by kind; other kinds from zoom 14.
_FACILITY_MINZOOM = {
    "airport": 10,
    "inland_port": 11,
    "container_station": 12,
    "rail_station": 12,
    "customs_gate": 13,
    "terminal": 14,
}


# --------------------------------------------------------------------------- text


def escape(value: Any) -> str:
    """Escape any value for HTML; a missing value becomes an empty string.

    Parameters
    ----------
    value : Any
        Text, number or None/NaN.

    Returns
    -------
    str
        Escaped text.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def bilingual(zh: Any, en: Any, lang: str) -> str:
    """Escaped bilingual label HTML: Chinese first, English second (on its own line).

    Parameters
    ----------
    zh, en : Any
        The Chinese and English texts (either may be missing).
    lang : {"zh", "en", "both"}
        The page's language.

    Returns
    -------
    str
        Escaped HTML.
    """
    zh, en = escape(zh), escape(en)
    if lang == "zh":
        return zh or en
    if lang == "en":
        return en or zh
    return f"{zh}<br><span class='en'>{en}</span>" if zh and en and zh != en else (zh or en)


def plain(zh: str, en: str, lang: str) -> str:
    """A one-line escaped bilingual string, for layer names and legend entries.

    Parameters
    ----------
    zh, en : str
        The Chinese and English texts.
    lang : {"zh", "en", "both"}
        The page's language.

    Returns
    -------
    str
        Escaped text.
    """
    zh, en = escape(zh), escape(en)
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def code_text(value: Any, lang: str) -> str:
    """A code (status, accuracy) shown as its words, escaped."""
    return escape(style.code_label(value, lang))


def popup_rows(pairs: Iterable[tuple[str, str, Any]], lang: str) -> str:
    """A popup table from (label zh, label en, value) rows; one figure per row.

    Values are escaped here; rows without a value are left out.

    Parameters
    ----------
    pairs : iterable of (str, str, Any)
        Chinese label, English label, value.
    lang : {"zh", "en", "both"}
        The page's language.

    Returns
    -------
    str
        The table's HTML.
    """
    out = []
    for zh, en, value in pairs:
        text = escape(value)
        if not text:
            continue
        name = zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
        out.append(f"<tr><th>{escape(name)}</th><td>{text}</td></tr>")
    return "<table class='sq-popup'>" + "".join(out) + "</table>"


# --------------------------------------------------------------------------- layers


@dataclasses.dataclass
class PageContext:
    """What every layer of one page needs to know.

    Attributes
    ----------
    lang : {"zh", "en", "both"}
        The page's language.
    shift : bool
        Overlays are shifted to GCJ-02 (a Gaode basemap).
    layers : tuple of str
        The layers the page shows.
    """

    lang: str
    shift: bool
    layers: tuple[str, ...] = ()


def prepare(gdf: gpd.GeoDataFrame, ctx: PageContext) -> gpd.GeoDataFrame:
    """Drop empty geometries, simplify (:data:`SIMPLIFY_DEG`) and shift a frame like the page.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        In WGS-84.
    ctx : PageContext
        The page.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame.
    """
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    if ctx.shift:
        gdf = _crs.from_wgs84(gdf, "gcj02")
    return gdf


def _feature_collection(gdf: gpd.GeoDataFrame, properties: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection with only the given (already escaped) properties."""
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(json.dumps(geom.__geo_interface__)),
            "properties": props,
        }
        for geom, props in zip(gdf.geometry, properties, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def add_geojson(
    group: folium.FeatureGroup,
    gdf: gpd.GeoDataFrame,
    properties: list[dict[str, Any]],
    *,
    point_radius: float | None = None,
    pane: str | None = None,
    interactive: bool = True,
) -> None:
    """Add a frame to a layer, each feature styled by its own properties.

    Parameters
    ----------
    group : folium.FeatureGroup
        The layer.
    gdf : geopandas.GeoDataFrame
        Features (prepared with :func:`prepare`).
    properties : list of dict
        One per feature: ``stroke``, ``weight``, ``fill``, ``fill_opacity``, ``opacity``,
        ``dash`` and, when interactive, ``popup`` and ``tooltip`` (escaped HTML).
    point_radius : float, optional
        Draw points as circle markers of this radius (pixels).
    pane : str, optional
        The Leaflet pane.
    interactive : bool
        With popups and tooltips.
    """
    if len(gdf) == 0:
        return  # nothing to draw (folium cannot tie a popup to an empty collection)
    data = _feature_collection(gdf, properties)

    def paint(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        return {
            "color": p.get("stroke", style.INK),
            "weight": p.get("weight", 2),
            "fillColor": p.get("fill", p.get("stroke", style.INK)),
            "fillOpacity": p.get("fill_opacity", 0.2),
            "opacity": p.get("opacity", 0.9),
            "dashArray": p.get("dash"),
        }

    marker = None
    if point_radius is not None:
        marker = folium.CircleMarker(radius=point_radius, fill=True, fill_opacity=0.9, weight=1.5)
    options: dict[str, Any] = {"pane": pane} if pane else {}
    if not interactive:
        folium.GeoJson(
            data, style_function=paint, marker=marker, interactive=False, **options
        ).add_to(group)
        return
    folium.GeoJson(
        data,
        style_function=paint,
        marker=marker,
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        embed=True,
        **options,
    ).add_to(group)


def base_panes(m: folium.Map) -> None:
    """Add the panes the base, the part under construction and the labels draw in."""
    for name, (z_index, pointer) in PANES.items():
        folium.map.CustomPane(name, z_index=z_index, pointer_events=pointer).add_to(m)


def _lines(
    group: folium.FeatureGroup, gdf: gpd.GeoDataFrame, paint: Callable[[Any], dict[str, Any]]
) -> None:
    features = [
        {"type": "Feature", "geometry": geom.__geo_interface__, "properties": paint(row)}
        for geom, row in zip(gdf.geometry, gdf.itertuples(), strict=True)
    ]
    folium.GeoJson(
        json.loads(json.dumps({"type": "FeatureCollection", "features": features})),
        style_function=lambda f: f["properties"],
        pane="sq-base",
        interactive=False,
        smooth_factor=1.0,
    ).add_to(group)


def add_base(
    m: folium.Map,
    prepare: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
    *,
    lang: str,
    districts: bool = True,
) -> folium.FeatureGroup:
    """Draw the toolkit's own light base under the overlays.

    Parameters
    ----------
    m : folium.Map
        The map.
    prepare : callable
        Drops empty geometries, simplifies and shifts a frame like the overlays.
    lang : {"zh", "en", "both"}
        Language of the district names.
    districts : bool
        Also name the districts (off when the page has a districts layer of its own).

    Returns
    -------
    folium.FeatureGroup
        The base, one entry of the layer control (on by default).
    """
    name = {"zh": "底图(示意)", "en": "Base (indicative)"}.get(lang, "底图(示意) Base (indicative)")
    group = folium.FeatureGroup(name=name, show=True)
    streets = prepare(gpd.read_file(data_file("base/streets.geojson")))
    trunk = prepare(gpd.read_file(data_file("roads/trunk.geojson")))
    frames = [(streets, 0.8), (trunk, 1.0)]
    for frame, scale in frames:
        order = {c: i for i, c in enumerate(style.ROAD_STYLES)}
        frame = frame.assign(_o=frame["highway"].map(order).fillna(99)).sort_values(
            "_o", ascending=False, kind="stable"
        )
        _lines(
            group,
            frame,
            lambda row, scale=scale: {
                "color": style.ROAD_STYLES.get(str(row.highway), style.ROAD_STYLES["tertiary"])[1],
                "weight": style.ROAD_STYLES.get(str(row.highway), style.ROAD_STYLES["tertiary"])[3]
                * scale,
                "opacity": 0.9,
            },
        )
    river = prepare(layers.load_layer("river", located_only=True))
    _lines(group, river, lambda row: {"color": style.RIVER_COLOUR, "weight": 7, "opacity": 0.45})
    facilities = prepare(layers.load_layer("facilities", located_only=True))
    for row in facilities[facilities["kind"].isin(["rail_station", "airport"])].itertuples():
        symbol = "■" if row.kind == "rail_station" else "▲"
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=f"<div class='sq-base-symbol'>{symbol}</div>",
                icon_size=(12, 12),
                icon_anchor=(6, 6),
            ),
            interactive=False,
            pane="sq-base",
        ).add_to(group)
    if districts:
        for row in prepare(layers.load_layer("districts", located_only=True)).itertuples():
            text = _text(row.name_zh, row.name_en, lang)
            district_marker(row.geometry, text, pane="sq-base").add_to(group)
    group.add_to(m)
    return group


def district_marker(geometry: Any, text: str, **marker_kw: Any) -> folium.Marker:
    """A district's name (escaped HTML ``text``) at a point inside it; not clickable.

    Parameters
    ----------
    geometry : shapely geometry
        The district, in the map's WGS-84 coordinates.
    text : str
        The label, already escaped.
    **marker_kw
        Passed to :class:`folium.Marker` (``pane``).

    Returns
    -------
    folium.Marker
    """
    point = geometry.representative_point()
    # placed by LabelPlacer after the zone and facility names: moved or left out, never over them
    return folium.Marker(
        [point.y, point.x],
        icon=folium.DivIcon(
            html=f"<div class='sq-label sq-district' data-minzoom='0' data-kind='district'>{text}</div>",
            icon_size=(140, 30),
            icon_anchor=(70, 15),
            class_name="sq-label-icon sq-label-centre",
        ),
        interactive=False,
        **marker_kw,
    )


def _text(zh: Any, en: Any, lang: str) -> str:
    zh = html.escape(str(zh or ""), quote=True)
    en = html.escape(str(en or ""), quote=True)
    if lang == "zh":
        return zh or en
    if lang == "en":
        return en or zh
    return f"{zh}<br><span class='en'>{en}</span>" if zh and en and zh != en else (zh or en)


def zone_minzoom(area_km2: float) -> int:
    """The first zoom level at which a zone of ``area_km2`` is named."""
    return next(z for limit, z in _ZONE_MINZOOM if area_km2 >= limit)


def facility_minzoom(kind: Any) -> int:
    """The first zoom level at which a facility of ``kind`` is named."""
    return _FACILITY_MINZOOM.get(str(kind), 14)


def add_labels(
    group: folium.FeatureGroup,
    points: list[tuple[float, float]],
    texts: list[str],
    minzooms: list[int],
    *,
    kind: str,
    colours: list[str] | None = None,
) -> None:
    """Permanent labels (already escaped HTML) shown from their zoom level on where they fit.

    Parameters
    ----------
    group : folium.FeatureGroup
        The layer the labels belong to (they follow its switch in the layer control).
    points : list of (lat, lon)
        Anchors.
    texts : list of str
        Escaped label HTML.
    minzooms : list of int
        First zoom level of each label.
    kind : {"zone", "facility"}
        Zone labels are centred; facility labels sit right of their symbol.
    colours : list of str, optional
        Text colours.
    """
    for i, ((lat, lon), text, minzoom) in enumerate(zip(points, texts, minzooms, strict=True)):
        colour = colours[i] if colours else style.INK
        anchor = (0, 9) if kind == "facility" else (80, 10)
        folium.Marker(
            [lat, lon],
            icon=folium.DivIcon(
                html=(
                    f"<div class='sq-label sq-label-{kind}' data-minzoom='{minzoom}' "
                    f"data-kind='{kind}' style='color:{colour}'>{text}</div>"
                ),
                icon_size=(160, 20),
                icon_anchor=(-8, anchor[1]) if kind == "facility" else anchor,
                class_name="sq-label-icon",
            ),
            interactive=False,
            pane="sq-labels",
        ).add_to(group)


_LABELS = Template(
    """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  function overlap(a, b) {
    return !(a.right < b.left || b.right < a.left || a.bottom < b.top || b.bottom < a.top);
  }
  // names of zones and facilities first (by zoom level), district names last; a zone or
  // district name may move up or down by a line to clear a name placed before it
  var PRIORITY = {facility: 0, zone: 0, district: 1};
  var SHIFTS = {facility: [0], zone: [0, -16, 16], district: [0, 18, -18, 36, -36]};
  function place() {
    var zoom = map.getZoom();
    var labels = Array.prototype.slice.call(
      map.getContainer().querySelectorAll('.sq-label[data-minzoom]'));
    labels.sort(function (a, b) {
      return (PRIORITY[a.dataset.kind] || 0) - (PRIORITY[b.dataset.kind] || 0)
        || a.dataset.minzoom - b.dataset.minzoom;
    });
    var shown = [];
    labels.forEach(function (el) {
      el.style.visibility = 'hidden';
      el.style.transform = '';
      if (zoom < Number(el.dataset.minzoom)) { return; }
      var shifts = SHIFTS[el.dataset.kind] || [0];
      for (var i = 0; i < shifts.length; i++) {
        el.style.transform = shifts[i] ? 'translateY(' + shifts[i] + 'px)' : '';
        var box = el.getBoundingClientRect();
        if (box.width === 0) { return; }
        if (!shown.some(function (other) { return overlap(box, other); })) {
          el.style.visibility = 'visible';
          shown.push(box);
          return;
        }
      }
      el.style.transform = '';
    });
  }
  map.on('zoomend moveend overlayadd overlayremove', place);
  map.whenReady(function () { setTimeout(place, 0); });
  window.sqPlaceLabels = place;
})();
{% endmacro %}
"""
)


_SCALE = Template(
    """
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false, maxWidth: 160, position: 'bottomleft'})
  .addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only, at the bottom left of the map."""

    _template = _SCALE

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


_OFFSETS = Template(
    """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  // a line drawn parallel to its true course, ``offset`` screen pixels to the left of its
  // direction, recomputed at every zoom level (as transit maps draw shared corridors)
  function shift(latlngs, px, zoom) {
    if (latlngs.length && Array.isArray(latlngs[0])) {
      return latlngs.map(function (part) { return shift(part, px, zoom); });
    }
    var pts = latlngs.map(function (ll) { return map.project(ll, zoom); });
    var n = pts.length;
    if (n < 2) { return latlngs; }
    var normals = [];
    for (var i = 0; i + 1 < n; i++) {
      var dx = pts[i + 1].x - pts[i].x, dy = pts[i + 1].y - pts[i].y;
      var len = Math.sqrt(dx * dx + dy * dy) || 1;
      normals.push([dy / len, -dx / len]);
    }
    return pts.map(function (p, i) {
      var a = normals[Math.max(i - 1, 0)], b = normals[Math.min(i, n - 2)];
      var nx = a[0] + b[0], ny = a[1] + b[1];
      var len = Math.sqrt(nx * nx + ny * ny);
      if (len < 1e-6) { nx = b[0]; ny = b[1]; len = 1; }
      nx /= len; ny /= len;
      var cos = Math.max(nx * b[0] + ny * b[1], 0.5);  // mitre, limited at sharp turns
      return map.unproject(L.point(p.x + nx * px / cos, p.y + ny * px / cos), zoom);
    });
  }
  function apply() {
    var zoom = map.getZoom();
    map.eachLayer(function (layer) {
      var props = layer.feature && layer.feature.properties;
      if (!props || !props.offset || !layer.getLatLngs) { return; }
      if (!layer._sqTrue) { layer._sqTrue = layer.getLatLngs(); }
      layer.setLatLngs(shift(layer._sqTrue, Number(props.offset), zoom));
    });
  }
  map.on('zoomend overlayadd', apply);
  map.whenReady(apply);
})();
{% endmacro %}
"""
)


class OffsetLines(MacroElement):
    """Draws every line feature with an ``offset`` property that many pixels beside its course.

    Used where a rail line runs along a road project, so neither hides the other.
    """

    _template = _OFFSETS

    def __init__(self) -> None:
        super().__init__()
        self._name = "OffsetLines"


class LabelPlacer(MacroElement):
    """Shows each label from its zoom level on, unless it would cover a label placed before."""

    _template = _LABELS

    def __init__(self) -> None:
        super().__init__()
        self._name = "LabelPlacer"
