"""The legend and title box of the web maps: collapsible, following the layers switched on,
drawing lines as lines, areas as areas and points as points. Texts arrive escaped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["Legend", "LegendItem"]


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
{% macro html(this, kwargs) %}
<div class="sq-legend leaflet-control" id="sq-legend">
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
  .sq-legend { position: absolute; bottom: 24px; right: 10px; z-index: 1000; background: rgba(255,255,255,0.94);
    padding: 6px 8px; border-radius: 4px; font: 12px/1.35 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 270px; }
  .sq-legend-body { max-height: 45vh; overflow: auto; margin-top: 4px; }
  .sq-legend.sq-collapsed .sq-legend-body { display: none; }
  .sq-legend.sq-collapsed .sq-caret { display: inline-block; transform: rotate(180deg); }
  .sq-legend-toggle { font: bold 12px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: none;
    border: 0; padding: 2px 0; cursor: pointer; width: 100%; text-align: left; }
  .sq-legend-row { display: flex; align-items: center; margin: 1px 0; }
  .sq-swatch { flex: 0 0 26px; margin-right: 6px; }
  .sq-legend-note { color: #666; margin-top: 6px; font-size: 11px; }
  .sq-title { position: absolute; top: 10px; left: 60px; z-index: 1000; background: rgba(255,255,255,0.93);
    padding: 6px 12px; border-radius: 4px; font: bold 15px/1.3 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
  .sq-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; vertical-align: top; }
  .sq-popup td { vertical-align: top; }
  .sq-district { font: italic 12px/1.2 "Noto Sans CJK SC", sans-serif; color: #8a8a8a; text-align: center;
    white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
  .sq-base-symbol { font-size: 10px; line-height: 12px; color: #6b6b6b; text-align: center; }
  .sq-label-icon { background: none; border: 0; }
  .sq-label { font: 600 12px/1.2 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; white-space: nowrap;
    display: inline-block; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; visibility: hidden; }
  .sq-label-zone { font-size: 13px; }
  .en { color: #555; }
  path.leaflet-interactive:focus { outline: none; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var legend = document.getElementById('sq-legend');
  var toggle = document.getElementById('sq-legend-toggle');
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
    """The legend and the title box (all texts escaped before they get here)."""

    _template = _TEMPLATE

    def __init__(
        self, heading: str, title: str, items: list[LegendItem], note: str, toggle_title: str
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.heading = heading
        self.title = title
        self.items = items
        self.note = note
        self.toggle_title = toggle_title
