"""Label placement on the print maps: candidate spots around anchors, overlap costs against
what is already placed, halos and leader lines. Knows nothing of the layers it labels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import patheffects
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sanqu_geo.maps.style import (
    HALO,
)

if TYPE_CHECKING:
    from sanqu_geo.maps.furniture import _Page, _Style


def _halo(style: _Style, width: float = 2.4) -> list[Any]:
    return [patheffects.withStroke(linewidth=width * style.scale, foreground=HALO)]


def _ring(step: float, rings: Sequence[int] = (1, 2, 3, 4)) -> list[tuple[float, float]]:
    """Label offsets in points: right, left, above, below and the diagonals, then farther out."""
    directions = [
        (1, 0),
        (-1, 0),
        (0, 1),
        (0, -1),
        (0.8, 0.7),
        (-0.8, 0.7),
        (0.8, -0.7),
        (-0.8, -0.7),
    ]
    return [(dx * step * r, dy * step * r) for r in rings for dx, dy in directions]


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_label(
    page: _Page,
    anchors: Sequence[tuple[float, float]],
    text: str,
    *,
    offsets: Sequence[tuple[float, float]],
    leader_colour: str | None = None,
    leader_from: float = 9.0,
    **text_kw: Any,
) -> Text:
    """Put ``text`` near one of the anchors where it overlaps nothing placed before.

    Tries each anchor with each offset (points, scaled with the paper) and keeps the first
    free spot; if none is free, the spot with the least overlap. A leader line joins a label
    set farther than ``leader_from`` points from its anchor.
    """
    ax, s = page.ax, page.style.scale
    frame = ax.get_window_extent(page.renderer).padded(-3 * s)
    probe = ax.annotate(text, anchors[0], xytext=(0, 0), textcoords="offset points", **text_kw)
    best: tuple[float, tuple[float, float], tuple[float, float], str, str] | None = None
    for anchor in anchors:
        for dx, dy in offsets:
            ha = "left" if dx > 0.1 else "right" if dx < -0.1 else "center"
            va = "bottom" if dy > 0.1 else "top" if dy < -0.1 else "center"
            probe.xy = anchor
            probe.set_position((dx * s, dy * s))
            probe.set_ha(ha)
            probe.set_va(va)
            box = probe.get_window_extent(page.renderer)
            outside = box.width * box.height - _overlap(box, frame)
            cost = sum(_overlap(box, other) for other in page.obstacles) + 50 * outside
            if best is None or cost < best[0]:
                best = (cost, anchor, (dx, dy), ha, va)
            if cost == 0:
                break
        if best is not None and best[0] == 0:
            break
    probe.remove()
    assert best is not None
    _, anchor, (dx, dy), ha, va = best
    arrow = None
    if leader_colour and math.hypot(dx, dy) > leader_from:
        arrow = {
            "arrowstyle": "-",
            "color": leader_colour,
            "linewidth": 0.5 * s,
            "shrinkA": 1,
            "shrinkB": 1,
        }
    label = ax.annotate(
        text,
        anchor,
        xytext=(dx * s, dy * s),
        textcoords="offset points",
        ha=ha,
        va=va,
        arrowprops=arrow,
        **text_kw,
    )
    page.obstacles.append(label.get_window_extent(page.renderer).padded(2 * s))
    return label


def _block_points(page: _Page, xy: Iterable[tuple[float, float]], radius_pt: float) -> None:
    """Keep labels off markers."""
    r = radius_pt * page.style.scale * page.fig.dpi / 72.0
    for x, y in page.ax.transData.transform(np.asarray(list(xy), dtype=float).reshape(-1, 2)):
        page.obstacles.append(Bbox.from_extents(x - r, y - r, x + r, y + r))


def _line_anchors(
    geom: Any, fractions: Sequence[float] = (0.5, 0.35, 0.65, 0.2, 0.8)
) -> list[tuple[float, float]]:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        p = geom.representative_point()
        return [(p.x, p.y)]
    if geom.geom_type == "Point":
        return [(geom.x, geom.y)]
    if geom.geom_type == "MultiLineString":
        geom = max(geom.geoms, key=lambda g: g.length)
    points = [geom.interpolate(f, normalized=True) for f in fractions]
    return [(p.x, p.y) for p in points]


def _block_lines(
    page: _Page, geoms: Iterable[Any], width_pt: float, *, step_pt: float = 5.0
) -> None:
    """Keep labels off lines: small boxes along each line (metres), ``width_pt`` wide."""
    from sanqu_geo.maps.furniture import _data_per_point

    step = step_pt * _data_per_point(page)
    xy: list[tuple[float, float]] = []
    for geom in geoms:
        parts = [geom] if geom.geom_type == "LineString" else list(getattr(geom, "geoms", []))
        for line in parts:
            if line.geom_type != "LineString" or line.length == 0:
                continue
            for d in np.arange(0.0, line.length + step / 2, step):
                p = line.interpolate(min(d, line.length))
                xy.append((p.x, p.y))
    if xy:
        _block_points(page, xy, width_pt / 2 + 0.8)
