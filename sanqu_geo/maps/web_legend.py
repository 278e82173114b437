"""The legend and title of the web maps: the page's ``<title>`` and a title box; a collapsible
legend following the layers switched on, drawing lines as lines, areas as areas and points as
points, stacked as a Leaflet control in the bottom-right corner so it never covers the scale
(bottom left) or the credits. Texts arrive escaped.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from typing import Any

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["Legend", "LegendItem", "flows_page"]


@dataclasses.dataclass
class LegendItem:
    """One legend entry.

    ``kind`` is ``line``, ``area`` or ``point``; ``dash`` an SVG ``dasharray`` or None;
    ``group`` the folium layer it describes (the entry hides while that layer is off).
    """

    colour: str
    label: str
    kind: str = "area"
    dash: str | None = None
    weight: float = 3.0
    fill: str | None = None
    group: Any = None


_TEMPLATE = Template(
    """
{% macro header(this, kwargs) %}
{%- if this.page_title %}<title>{{ this.page_title }}</title>{% endif %}
{% endmacro %}
{% macro html(this, kwargs) %}
<div class="sq-legend" id="sq-legend">
  <button type="button" class="sq-legend-toggle" id="sq-legend-toggle" aria-expanded="true"
    title="{{ this.toggle_title }}">{{ this.title }} <span class="sq-caret">▾</span></button>
  <div class="sq-legend-body" id="sq-legend-body">
  {% for item in this.items %}
  <div class="sq-legend-row"{% if item.group is not none %} data-layer="{{ item.group.get_name() }}"{% endif %}>
    <svg class="sq-swatch" width="26" height="14" viewBox="0 0 26 14" aria-hidden="true">
    {%- if item.kind == 'line' -%}
      <line x1="1" y1="7" x2="25" y2="7" stroke="{{ item.colour }}" stroke-width="{{ item.weight }}"
        stroke-linecap="butt"{% if item.dash %} stroke-dasharray="{{ item.dash }}"{% endif %}/>
    {%- elif item.kind == 'point' -%}
      <circle cx="13" cy="7" r="5" fill="{{ item.fill or item.colour }}" stroke="{{ item.colour }}" stroke-width="2"/>
    {%- else -%}
      <rect x="2" y="1" width="22" height="12" fill="{{ item.fill or item.colour }}" fill-opacity="0.35"
        stroke="{{ item.colour }}" stroke-width="2"{% if item.dash %} stroke-dasharray="{{ item.dash }}"{% endif %}/>
    {%- endif -%}
    </svg><span class="sq-legend-label">{{ item.label }}</span></div>
  {% endfor %}
  <div class="sq-legend-note">{{ this.note }}</div>
  </div>
</div>
<div class="sq-title" id="sq-title">{{ this.heading }}</div>
<style>
  .sq-legend { background: rgba(255,255,255,0.94);
    padding: 6px 8px; border-radius: 4px; font: 12px/1.35 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 270px; }
  .sq-legend-body { max-height: 45vh; overflow: auto; margin-top: 4px; }
  .sq-legend-class { display: inline-block; margin-right: 6px; white-space: nowrap; }
  .sq-legend.sq-collapsed .sq-legend-body { display: none; }
  .sq-legend.sq-collapsed .sq-caret { display: inline-block; transform: rotate(180deg); }
  .sq-legend-toggle { font: bold 12px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: none;
    border: 0; padding: 2px 0; cursor: pointer; width: 100%; text-align: left; }
  .sq-legend-row { display: flex; align-items: center; margin: 1px 0; }
  .sq-swatch { flex: 0 0 26px; margin-right: 6px; }
  .sq-legend-note { color: #666; margin-top: 6px; font-size: 11px; }
  .sq-title { position: absolute; top: 10px; left: 60px; right: 70px; width: max-content; max-width: calc(100% - 130px); z-index: 1000; background: rgba(255,255,255,0.93);
    padding: 6px 12px; border-radius: 4px; font: bold 15px/1.3 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
  .sq-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; vertical-align: top; }
  .sq-popup td { vertical-align: top; }
  .sq-label-centre { text-align: center; }
  .sq-base-symbol { font-size: 10px; line-height: 12px; color: #6b6b6b; text-align: center; }
  .sq-label-icon { background: none; border: 0; }
  .sq-label { font: 600 12px/1.2 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; white-space: nowrap;
    display: inline-block; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; visibility: hidden; }
  .sq-label-zone { font-size: 13px; }
  .sq-label.sq-district { font: italic 12px/1.2 "Noto Sans CJK SC", sans-serif; color: #8a8a8a;
    text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
  .en { color: #555; }
  path.leaflet-interactive:focus { outline: none; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var legend = document.getElementById('sq-legend');
  var toggle = document.getElementById('sq-legend-toggle');
  // a control of the bottom-right corner: stacked above the credits, clear of the scale
  var control = L.control({position: 'bottomright'});
  control.onAdd = function () { return legend; };
  control.addTo(map);
  legend.classList.add('leaflet-control');
  L.DomEvent.disableClickPropagation(legend);
  L.DomEvent.disableScrollPropagation(legend);
  toggle.addEventListener('click', function () {
    var collapsed = legend.classList.toggle('sq-collapsed');
    toggle.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
  });
  if (map.getSize().x < 700) { legend.classList.add('sq-collapsed'); }
  function follow() {
    legend.querySelectorAll('.sq-legend-row[data-layer]').forEach(function (row) {
      var layer = window[row.dataset.layer];
      row.style.display = (layer && map.hasLayer(layer)) ? '' : 'none';
    });
  }
  map.on('overlayadd overlayremove', follow);
  map.whenReady(follow);
})();
{% endmacro %}
"""
)


class Legend(MacroElement):
    """The legend, the title box and the page's ``<title>``.

    Parameters
    ----------
    heading : str
        The title box (escaped HTML).
    title : str
        The legend's own heading (escaped).
    items : list of LegendItem
        The entries (labels escaped).
    note : str
        The note under the entries (escaped).
    toggle_title : str
        Tooltip of the show/hide button (escaped).
    page_title : str, optional
        The page's ``<title>`` (escaped); none when the page has one already.
    """

    _template = _TEMPLATE

    def __init__(
        self,
        heading: str,
        title: str,
        items: list[LegendItem],
        note: str,
        toggle_title: str,
        *,
        page_title: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.heading = heading
        self.title = title
        self.items = items
        self.note = note
        self.toggle_title = toggle_title
        self.page_title = page_title


def flows_page(
    m: Any,
    *,
    title_zh: str,
    title_en: str,
    select_link: dict[str, tuple[tuple[str, str], Any]] | None = None,
    differences: dict[str, tuple[tuple[str, str], Any]] | None = None,
    breaks: Sequence[float] = (),
) -> Any:
    """Finish the flows page: title box, legend, labelled select-link layers, metric scale.

    Each select-link layer (found by its name, ``新通道使用者 … · Who uses the corridor: …``)
    gets its option's new corridor (the links of ``differences`` with a ``corridor``) drawn as
    a dark line, and the ten zones with most trips on it their figure written on the map.

    Parameters
    ----------
    m : folium.Map
        The flows page, its layers added.
    title_zh, title_en : str
        The page's title (plain text, escaped here).
    select_link : dict, optional
        Option id → ((中文, English) title, zones with ``vehicles``), as drawn.
    differences : dict, optional
        Option id → ((中文, English) title, links with ``corridor``).
    breaks : sequence of float
        Upper bounds of the select-link classes (vehicles per hour).

    Returns
    -------
    folium.Map
        The same map.
    """
    import folium

    from sanqu_geo.maps import style, web_base

    groups = {
        child.layer_name: child
        for child in m._children.values()
        if isinstance(child, folium.FeatureGroup)
    }
    for option, ((zh, en), zones) in (select_link or {}).items():
        group = groups.get(html.escape(f"新通道使用者 {zh} · Who uses the corridor: {en}"))
        if group is None:
            continue
        links = (differences or {}).get(option, (None, None))[1]
        if links is not None and "corridor" in links:
            corridor = links[links["corridor"].astype(str) != ""].to_crs("EPSG:4326")
            web_base.add_geojson(
                group,
                corridor,
                [
                    {
                        "stroke": style.INK,
                        "weight": 4,
                        "opacity": 1.0,
                        "tooltip": html.escape(f"新通道 {zh} · New corridor: {en}"),
                        "popup": html.escape(f"新通道 {zh} · New corridor: {en}"),
                    }
                    for _ in range(len(corridor))
                ],
                pane="sq-top",
            )
        used = zones[zones["vehicles"] > 0].to_crs("EPSG:4326")
        top = used.sort_values("vehicles", ascending=False).head(10)
        points = [g.representative_point() for g in top.geometry]
        web_base.add_labels(
            group,
            [(p.y, p.x) for p in points],
            [
                f"{web_base.escape(r.name_zh)} {style.format_volume(r.vehicles)}"
                for r in top.itertuples()
            ],
            [0] * len(top),
            kind="zone",
        )
    items = [LegendItem(c, f"v/c {html.escape(zh)} · {html.escape(en)}", "line", weight=5)
             for _, c, zh, en in style.VC_CLASSES]  # fmt: skip
    items += [
        LegendItem(style.FLOW_GAIN_COLOUR, "流量增加 Flow gain", "line", weight=5),
        LegendItem(style.FLOW_LOSS_COLOUR, "流量减少 Flow loss", "line", weight=5),
    ]
    if select_link:
        lows = [0.0, *breaks[:-1]]
        for lo, hi, colour in zip(lows, breaks, style.SELECT_LINK_COLOURS, strict=False):
            span = (
                f"> {style.format_volume(lo)}"
                if hi == float("inf")
                else f"{style.format_volume(lo)}–{style.format_volume(hi)}"
            )
            items.append(
                LegendItem(colour, f"新通道使用者 {span} 辆/小时 veh/h", "area", fill=colour)
            )
        items.append(LegendItem(style.INK, "新通道 New corridor", "line", weight=4))
    heading = html.escape(title_zh)
    if title_en:
        heading += f" · <span class='en'>{html.escape(title_en)}</span>"
    Legend(
        heading,
        "图例 Legend",
        items,
        "线宽表示流量(pcu/h);需求为示意值。Line width shows the volume (pcu/h); indicative demand.",
        "展开/收起图例 Show or hide the legend",
        page_title=None,
    ).add_to(m)
    web_base.LabelPlacer().add_to(m)
    return m
