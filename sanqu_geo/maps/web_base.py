"""The offline base of the web maps and their place labels.

Draws, under the overlays, a light base from the toolkit's own data (the main streets of
central Harbin derived from OpenStreetMap, the trunk roads by class, the Songhua, district
names, railway stations and the airport), and names zones and main facilities at the zoom
levels where their labels fit. Never computes anything but label positions.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template

from sanqu_geo import layers
from sanqu_geo.maps import style
from sanqu_geo.resources import data_file

__all__ = ["BASE_ATTRIBUTION", "add_base", "add_labels", "base_panes", "district_marker"]

#: Credit of the street base (derived from OpenStreetMap by ``tools/derive_base_streets.py``).
BASE_ATTRIBUTION = "Streets © OpenStreetMap contributors, ODbL"

#: Leaflet panes: the base between tiles (200) and overlays (400); the phase under
#: construction above the other overlays; labels above markers, below tooltips (650).
PANES: dict[str, tuple[int, bool]] = {
    "sq-base": (250, False),
    "sq-top": (450, True),
    "sq-labels": (620, False),
}

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

_SIMPLIFY_DEG = 0.00005


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
    return folium.Marker(
        [point.y, point.x],
        icon=folium.DivIcon(
            html=f"<div class='sq-district'>{text}</div>",
            icon_size=(140, 30),
            icon_anchor=(70, 15),
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
                    f"style='color:{colour}'>{text}</div>"
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
  function place() {
    var zoom = map.getZoom();
    var labels = Array.prototype.slice.call(
      map.getContainer().querySelectorAll('.sq-label[data-minzoom]'));
    labels.sort(function (a, b) { return a.dataset.minzoom - b.dataset.minzoom; });
    var shown = [];
    labels.forEach(function (el) {
      el.style.visibility = 'hidden';
      if (zoom < Number(el.dataset.minzoom)) { return; }
      var box = el.getBoundingClientRect();
      if (box.width === 0) { return; }
      if (shown.some(function (other) { return overlap(box, other); })) { return; }
      el.style.visibility = 'visible';
      shown.push(box);
    });
  }
  map.on('zoomend moveend overlayadd overlayremove', place);
  map.whenReady(function () { setTimeout(place, 0); });
  window.sqPlaceLabels = place;
})();
{% endmacro %}
"""
)


class LabelPlacer(MacroElement):
    """Shows each label from its zoom level on, unless it would cover a label placed before."""

    _template = _LABELS

    def __init__(self) -> None:
        super().__init__()
        self._name = "LabelPlacer"
