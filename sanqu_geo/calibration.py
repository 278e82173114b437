"""Calibration of the city model to published targets, and the validation table.

Two parameters are fitted, each to the target it governs most:

* :data:`settings.city_free_flow_factor` (free-flow speed of the city's streets against their
  design speed) to the car free-flow speed of the urban core that Amap's published pairs of
  peak speed and delay index imply (speed × index, four months of 2020: 40.8–41.8 km/h);
* the car trip rate (``generation.car_trips_per_resident``) to the network delay index, the
  middle of Amap's published range 1.4–1.9.

Everything else published is a check, never fitted: the peak car speed of the core against
Amap's 22.6–29.6 km/h, Amap's ten most congested morning roads, 三大动力路 and 松北大道, the
two bridges with a published design flow, the airport expressway against its holiday record
under a stated holiday factor. :func:`validation_table` lists every target with its source,
the model's value, the difference and a verdict; a target the model misses stays in the
table, marked. Pure functions of a solved run and the demand, except :func:`fit`, which
solves (and sets the two parameters while it runs, restoring them after).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo import demand, modelcheck, peak, settings
from sanqu_geo.errors import AssignmentError

logger = logging.getLogger(__name__)

__all__ = [
    "AMAP_MORNING_TOP10",
    "Fit",
    "congested_trip_minutes",
    "core_speeds",
    "delay_ratio_ranks",
    "fit",
    "named_roads",
    "validation_links",
    "validation_table",
]

#: Amap 2020 Q1, weekday morning peak: the ten most congested roads (harbin-demand-facts §3, M).
AMAP_MORNING_TOP10: tuple[str, ...] = (
    "和平路", "中山路", "文昌街", "跃兴街", "学府四道街",
    "西大直街", "新阳路", "301国道", "海洋大街", "东大直街",
)  # fmt: skip

#: Amap's source line for the 2020 Q1 figures.
_AMAP_Q1 = (
    "Amap 2020 Q1 report (ZAKER Harbin, hlj.sina.com.cn 2020-04-18), harbin-demand-facts §3 (M)"
)
_AMAP_WEEK = "Amap weekly report to 2019-11-24 (hlj.sina.com.cn), harbin-demand-facts §3 (M)"

#: Amap free-flow speed implied by its published pairs (peak speed × delay index): 2020 Q1
#: 29.62 × 1.40, Jan 22.6 × 1.85, Feb 37.4 × 1.09, Mar 32.38 × 1.28 (km/h).
AMAP_FREE_FLOW_PAIRS: tuple[tuple[float, float], ...] = (
    (29.62, 1.40), (22.6, 1.85), (37.4, 1.09), (32.38, 1.28),
)  # fmt: skip

#: A congested road, in the validation: its v/c on its busiest stretch of at least this length
#: (m, in one direction, sections shorter than :data:`settings.junction_internal_max_m` left
#: out) reaches :data:`congested_vc`. **Assumption** (a stretch of a few blocks, as a driver
#: meets a queue).
road_stretch_m: float = 300.0
congested_vc: float = 0.9

#: Amap's morning top ten: at least this many at ``congested_vc`` (the validation's target).
amap_roads_needed: int = 7

#: Ordinary day ÷ the busiest day of the 2021 May-Day holiday on the airport expressway.
#: **Assumption**: holiday peaks of Chinese expressways run 1.2–1.6 times an ordinary day (small
#: cars toll-free on holidays); no ordinary-day count is published (harbin-demand-facts §6).
holiday_factor: tuple[float, float] = (1.2, 1.6)

#: "About 30 km/h" read as within this many km/h. **Assumption**.
speed_tolerance_kph: float = 5.0


def amap_free_flow_kph() -> tuple[float, float, float]:
    """Amap's implied free-flow speed: (lowest, mean, highest) over its published pairs."""
    values = [s * i for s, i in AMAP_FREE_FLOW_PAIRS]
    return min(values), float(np.mean(values)), max(values)


# --------------------------------------------------------------------------- measures


def _frame(run) -> pd.DataFrame:
    frame = modelcheck._road_frame(run)
    G = run.graph
    ends = list(zip(frame["u"], frame["v"], frame["key"], strict=True))
    frame["source"] = [G.edges[e].get("source") for e in ends]
    frame["northbound"] = [G.nodes[e[1]]["y"] > G.nodes[e[0]]["y"] for e in ends]
    return frame


def _speed(part: pd.DataFrame, column: str = "car", time: str = "time_s") -> float:
    hours = float((part[column] * part[time]).sum()) / 3600
    return float((part[column] * part["length_m"]).sum()) / 1000 / hours if hours > 0 else math.nan


def core_speeds(run, *, frame: pd.DataFrame | None = None) -> dict[str, float]:
    """Car speeds of the urban core (the city network's own streets) and of every road.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    frame : pandas.DataFrame, optional
        The run's road frame, when already built.

    Returns
    -------
    dict
        ``core_peak``, ``core_free``, ``all_peak``, ``all_free`` (km/h: car vehicle-km ÷ car
        vehicle-hours, congested and at free-flow times). The core is the edges whose
        ``source`` is ``osm``; on a network without them, every road.
    """
    frame = _frame(run) if frame is None else frame
    core = frame[frame["source"] == "osm"]
    core = core if len(core) else frame
    return {
        "core_peak": _speed(core),
        "core_free": _speed(core, time="time_free_s"),
        "all_peak": _speed(frame),
        "all_free": _speed(frame, time="time_free_s"),
    }


def named_roads(run, names, *, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per named road: length, v/c on its busiest stretch, largest v/c, car speed by direction.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    names : iterable of str
        Road names (OSM ``name``; a section joining several ways matches any of them).
    frame : pandas.DataFrame, optional
        The run's road frame, when already built.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``km`` (both directions), ``vc_stretch`` (v/c reached over the busiest
        :data:`road_stretch_m`), ``vc_max``, ``speed_kph`` (cars, both directions),
        ``speed_north_kph``, ``speed_south_kph``; NaN where the network has no such road.
    """
    frame = _frame(run) if frame is None else frame
    split = [set(str(n).split("/")) for n in frame["name"]]
    rows = []
    for name in names:
        part = frame[[name in s for s in split]]
        part = part[part["length_m"] >= settings.junction_internal_max_m]
        if part.empty:
            rows.append({"name": name, "km": 0.0})
            continue
        order = np.argsort(-part["vc"].to_numpy(), kind="stable")
        vc = part["vc"].to_numpy()[order]
        reach = np.cumsum(part["length_m"].to_numpy()[order])
        at = min(int(np.searchsorted(reach, road_stretch_m)), len(vc) - 1)
        rows.append({
            "name": name,
            "km": float(part["length_m"].sum()) / 1000,
            "vc_stretch": float(vc[at]),
            "vc_max": float(vc[0]),
            "speed_kph": _speed(part),
            "speed_north_kph": _speed(part[part["northbound"]]),
            "speed_south_kph": _speed(part[~part["northbound"]]),
        })  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["name", "km", "vc_stretch", "vc_max", "speed_kph", "speed_north_kph",
                 "speed_south_kph"],
    )  # fmt: skip


#: Roads ranked by delay in the validation: named roads at least this long (km, both
#: directions).
rank_min_km: float = 2.0


def delay_ratio_ranks(run, *, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Named roads ranked by congested ÷ free-flow car time (1 = most delayed).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    frame : pandas.DataFrame, optional
        The run's road frame, when already built.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``km``, ``ratio``, ``rank``, for roads of at least :data:`rank_min_km`
        carrying cars; a section joining several ways counts for each of its names.
    """
    frame = _frame(run) if frame is None else frame
    rows = []
    for names, part in frame.groupby("name", sort=False):
        for name in str(names).split("/"):
            if name:
                rows.append(part.assign(road=name))
    if not rows:
        return pd.DataFrame(columns=["name", "km", "ratio", "rank"])
    roads = pd.concat(rows)
    roads["free_h"] = roads["car"] * roads["time_free_s"]
    roads["peak_h"] = roads["car"] * roads["time_s"]
    out = roads.groupby("road").agg(
        km=("length_m", lambda m: m.sum() / 1000), free=("free_h", "sum"), peak=("peak_h", "sum")
    )
    out = out[(out["km"] >= rank_min_km) & (out["free"] > 0)]
    out["ratio"] = out["peak"] / out["free"]
    out = out.sort_values("ratio", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index().rename(columns={"road": "name"})[["name", "km", "ratio", "rank"]]


def _airport_daily(run, expansion_factor: float) -> float:
    links = run.edge_table()
    part = links[[str(r or "").startswith("airport-expressway-02") for r in links["road_id"]]]
    return peak.busiest_two_way(part) * expansion_factor


#: Published door-to-door car times between places (min): (origin facility, destination
#: facility, low, high, what was published, source).
PUBLISHED_TRIPS: tuple[tuple[str, str, float, float, str, str], ...] = (
    ("harbin_station", "airport", 30.0, 60.0,
     "taxi, city centre (中山路) → Taiping airport: 30–60 min depending on traffic",
     "bkwk.cn (aggregator, undated), harbin-demand-facts §5 (L)"),
)  # fmt: skip


def _place_name(facility: str) -> str:
    from sanqu_geo import travel

    places = travel.load_places("facilities").set_index("id")
    if facility not in places.index:
        return facility
    row = places.loc[facility]
    return f"{row.get('name_zh', facility)} {row.get('name_en', '')}".strip()


def congested_trip_minutes(run, pairs) -> list[float]:
    """Car minutes of the base peak hour between facilities, connectors included.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    pairs : iterable of (str, str)
        Facility ids (layer ``facilities``).

    Returns
    -------
    list of float
        Minutes per pair (NaN where a facility is not located).
    """
    from sanqu_geo import assignment, travel

    H = assignment.congested_graph(run.result)
    H.remove_nodes_from(list(run.centroids.values()))
    places = travel.load_places("facilities").set_index("id", drop=False)
    out = []
    for a, b in pairs:
        if a not in places.index or b not in places.index:
            out.append(math.nan)
            continue
        table = travel.place_od(H, places.loc[[a]], places.loc[[b]])
        out.append(float(table.iloc[0, 0]) / 60)
    return out


# --------------------------------------------------------------------------- the table

_COLUMNS = ["target", "published", "source", "model", "difference", "verdict", "use"]
_WITHIN, _OUTSIDE, _INFO = "within 符合", "outside 不符", "for information 参考"


def _verdict(ok: bool | None) -> str:
    return _INFO if ok is None else (_WITHIN if ok else _OUTSIDE)


def _band_diff(value: float, low: float, high: float) -> float:
    """Distance outside a band (0 inside), signed: negative below, positive above."""
    if not math.isfinite(value):
        return math.nan
    return value - high if value > high else (value - low if value < low else 0.0)


_CHECK = "check 校核"
_IMPLIED = "implied: fitted free-flow speed ÷ fitted delay index 由标定推得"
_WEAK = "weak check: peak-hour share K and holiday factor both assumed 弱校核"


def validation_table(run, demand_, river=None) -> pd.DataFrame:
    """Every published target against the model's base peak hour.

    Parameters
    ----------
    run : PeakRun
        The base peak hour.
    demand_ : Demand
        Its demand.
    river : geopandas.GeoDataFrame, optional
        The river layer, for the bridges (default: the embedded one).

    Returns
    -------
    pandas.DataFrame
        ``target``, ``published`` (the published figure), ``source``, ``model``,
        ``difference`` (model minus the published value or band, 0 inside a band; NaN where
        the target is not a number), ``verdict`` (``within 符合`` / ``outside 不符`` /
        ``for information 参考``) and ``use`` (``fitted: …`` for a target a parameter was
        fitted to, else ``check 校核``). ``model`` is a number, or text for a road the network
        does not have.
    """
    if river is None:
        from sanqu_geo import layers

        river = layers.load_layer("river", located_only=True)
    frame = _frame(run)
    speeds_ = core_speeds(run, frame=frame)
    di = peak.delay_index(run)
    params = demand.load_parameters()["calibration"]
    low_di, high_di = float(params["delay_index_low"]), float(params["delay_index_high"])
    f_low, _, f_high = amap_free_flow_kph()
    rows: list[dict[str, Any]] = []

    def add(target, published, source, model, diff, ok, use=_CHECK):
        use = "—" if ok is None and use == _CHECK else use
        rows.append(dict(zip(_COLUMNS, [target, published, source, model, diff, _verdict(ok), use],
                             strict=True)))  # fmt: skip

    add("car free-flow speed, city streets (OSM), km/h 城市道路小汽车自由流车速",
        f"{f_low:.1f}–{f_high:.1f} (Amap speed × delay index, 4 months of 2020)", _AMAP_Q1,
        speeds_["core_free"], _band_diff(speeds_["core_free"], f_low, f_high),
        f_low <= speeds_["core_free"] <= f_high,
        "fitted: city_free_flow_factor 标定参数")  # fmt: skip
    add("network delay index, peak hour 路网高峰延误指数", f"{low_di:g}–{high_di:g} "
        "(2020 Q1 1.40; Jan 2020 1.85; 2019 1.935)", str(params.get("source", _AMAP_Q1)), di,
        _band_diff(di, low_di, high_di), low_di <= di <= high_di,
        "fitted: car_trips_per_resident 标定参数")  # fmt: skip
    add(
        "car peak speed, city streets (OSM), km/h 城市道路小汽车高峰车速",
        "22.6–29.6 (Jan 2020 22.6; 2020 Q1 29.62)",
        _AMAP_Q1,
        speeds_["core_peak"],
        _band_diff(speeds_["core_peak"], 22.6, 29.62),
        22.6 <= speeds_["core_peak"] <= 29.62,
        _IMPLIED,
    )
    add("car peak speed, every modelled road, km/h 全路网小汽车高峰车速",
        "no published figure (Amap measures urban roads)", "—", speeds_["all_peak"], math.nan,
        None)  # fmt: skip

    roads = named_roads(run, AMAP_MORNING_TOP10, frame=frame)
    hits = 0
    for r in roads.itertuples(index=False):
        present = r.km > 0
        ok = present and r.vc_stretch >= congested_vc
        hits += bool(ok)
        add(f"Amap morning top 10: {r.name} · v/c on its busiest {road_stretch_m:g} m",
            f"among the 10 most congested (v/c ≥ {congested_vc:g} read as congested)", _AMAP_Q1,
            r.vc_stretch if present else "not in the network under this name 路网无此路名",
            r.vc_stretch - congested_vc if present else math.nan, ok)  # fmt: skip
    add(
        "Amap morning top 10 at v/c ≥ 0.9 早高峰前十拥堵道路",
        f"≥ {amap_roads_needed} of 10",
        _AMAP_Q1,
        float(hits),
        float(hits - amap_roads_needed),
        hits >= amap_roads_needed,
    )

    ranks = delay_ratio_ranks(run, frame=frame)
    if len(ranks):
        amap = ranks[ranks["name"].isin(AMAP_MORNING_TOP10)]
        add(f"Amap morning top 10: their ranks by congested ÷ free-flow car time among the "
            f"{len(ranks)} named roads of at least {rank_min_km:g} km 拥堵排序",
            "ranks 1–10 (the ten most congested)", _AMAP_Q1,
            ", ".join(f"{r.name} {r.rank}" for r in amap.itertuples()) or "none ranked",
            math.nan, None, "for information: where the model puts congestion 仅供参考")  # fmt: skip

    extra = named_roads(run, ("三大动力路", "松北大道"), frame=frame).set_index("name")
    s = float(extra.loc["三大动力路"].get("speed_kph", math.nan))
    add("三大动力路 peak car speed, km/h", "30.29 (通乡街–和平路, week to 2019-11-24; about 30 "
        f"read as ±{speed_tolerance_kph:g})", _AMAP_WEEK, s, s - 30.29,
        abs(s - 30.29) <= speed_tolerance_kph if math.isfinite(s) else False)  # fmt: skip
    s = float(extra.loc["松北大道"].get("speed_north_kph", math.nan))
    add("松北大道 northbound peak car speed, km/h", "> 50", _AMAP_WEEK, s, _band_diff(s, 50, math.inf),
        s > 50 if math.isfinite(s) else False)  # fmt: skip

    screen = modelcheck.bridge_screenline(run, river)
    published = {"阳明滩大桥": "SASAC 2011-11-22 (H)", "松浦大桥": "Xinhua 2008-08-09 (H)"}
    aliases = {b: [b, *(n for n, p in settings.published_bridge_names.items() if p == b)]
               for b in published}  # fmt: skip
    for bridge, src in published.items():
        part = screen[screen["bridge"].astype(str).str.contains("|".join(aliases[bridge]))]
        veh = float(part["vehicles"].sum()) if len(part) else math.nan
        add(f"{bridge} veh/h both ways 双向", "design flow 9,800 veh/h (not to be exceeded unflagged)",
            f"{src}, harbin-demand-facts §4", veh if len(part) else "not in the network 路网无此桥",
            _band_diff(veh, 0, 9800), veh <= 9800 if len(part) else False)  # fmt: skip
    named = "|".join(n for names in aliases.values() for n in names)
    for row in screen[~screen["bridge"].astype(str).str.contains(named)].itertuples():
        add(f"Songhua bridge {row.bridge} · {row.direction} · v/c 松花江桥梁", "no published count",
            "—", float(row.vc), math.nan, None)  # fmt: skip

    k = float(demand_.expansion_factor)
    daily = _airport_daily(run, k)
    lo, hi = 39200 / holiday_factor[1], 39200 / holiday_factor[0]
    add(f"机场高速 airport section, veh/day both ways (peak × {k:g})",
        f"{lo:,.0f}–{hi:,.0f}: the 2021 May-Day record 39,200 ÷ a holiday factor "
        f"{holiday_factor[0]:g}–{holiday_factor[1]:g} (assumption)",
        "生活报 2021-05-06, harbin-demand-facts §4 (M)", daily, _band_diff(daily, lo, hi),
        lo <= daily <= hi if math.isfinite(daily) else False, _WEAK)  # fmt: skip

    minutes = congested_trip_minutes(run, [(a, b) for a, b, *_ in PUBLISHED_TRIPS])
    for (a, b, low, high, what, src), m in zip(PUBLISHED_TRIPS, minutes, strict=True):
        add(f"car time {_place_name(a)} → {_place_name(b)} in the peak, min 高峰小汽车时间",
            f"{low:g}–{high:g} ({what})", src, m, _band_diff(m, low, high), None,
            "for information: a wide band from a low-grade source 仅供参考")  # fmt: skip

    res = run.result
    km = run.vehicle_km().get("car", math.nan)
    od = demand_.od[demand_.od["class"] == "car"]
    loaded = float(od.loc[od["origin"] != od["destination"], "trips"].sum())
    add("mean car trip on the network, km 小汽车平均出行距离", "8.7–8.9 (特大 city class: 济南, "
        "青岛 commutes; not Harbin's own)", "2023 commuting report, harbin-demand-facts §3b (M)",
        km / loaded if loaded else math.nan, _band_diff(km / loaded, 8.7, 8.9) if loaded else math.nan,
        None, "fitted: beta_car_per_min (free-flow skims) 标定参数")  # fmt: skip
    minutes = run.vehicle_hours().get("car", math.nan) * 60 / loaded if loaded else math.nan
    add("mean car trip time in the peak, min 小汽车平均出行时间", "36 (特大 class, one-way commute, "
        "all modes, door to door)", "2023 commuting report, harbin-demand-facts §3b (M)", minutes,
        math.nan, None)  # fmt: skip
    residents = float(demand_.zones.get("population", pd.Series(dtype=float)).fillna(0).sum())
    per = f" ({float(od['trips'].sum()) / residents:.4f} per resident 人均)" if residents else ""
    add(
        f"car trips in the peak hour 高峰小时小汽车出行{per}",
        "no survey published (2009 survey results not found); vehicle stock 2–3 million "
        "(Baidu 2021 class)",
        "harbin-demand-facts §4–§6",
        float(od["trips"].sum()),
        math.nan,
        None,
    )
    add(
        "relative gap 相对间隙",
        "≤ 1e-4",
        "model",
        float(res.relative_gap),
        math.nan,
        res.relative_gap <= 1e-4,
        "convergence 收敛",
    )
    return pd.DataFrame(rows, columns=_COLUMNS)


# --------------------------------------------------------------------------- the fit


@dataclasses.dataclass
class Fit:
    """The result of :func:`fit`.

    Attributes
    ----------
    free_flow_factor : float
        Fitted :data:`settings.city_free_flow_factor`.
    car_trips_per_resident : float
        Fitted car trip rate.
    steps : pandas.DataFrame
        One row per solve: ``factor``, ``rate``, ``core_free_kph``, ``delay_index``,
        ``core_peak_kph``, ``relative_gap``.
    converged : bool
        Both targets met within their tolerances.
    """

    free_flow_factor: float
    car_trips_per_resident: float
    steps: pd.DataFrame
    converged: bool


#: Core free-flow speeds (km/h) a fit may aim at: Amap's implied 31–42 km/h, with room.
plausible_free_flow_kph: tuple[float, float] = (10.0, 80.0)

#: Largest number of solves of one fit.
max_fit_solves: int = 50


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _check_fit_options(free_flow_kph: Any, gap: Any, max_solves: Any) -> None:
    """Refuse a fit's options that cannot be meant, naming the option and the value."""
    if free_flow_kph is not None:
        low, high = plausible_free_flow_kph
        ok = _number(free_flow_kph) and math.isfinite(free_flow_kph)
        if not (ok and low <= float(free_flow_kph) <= high):
            shown = f"{float(free_flow_kph):g}" if _number(free_flow_kph) else repr(free_flow_kph)
            msg = (
                f"free_flow_kph target {shown} is not a plausible core free-flow speed: give km/h "
                f"from {low:g} to {high:g} (Amap implies about 41)"
            )
            raise AssignmentError(msg)
    if not (_number(gap) and math.isfinite(gap) and 0 < gap <= 0.01):
        msg = f"gap {gap!r} must be a relative gap above 0 and at most 0.01 (e.g. 1e-4)"
        raise AssignmentError(msg)
    if (
        isinstance(max_solves, bool)
        or not isinstance(max_solves, int | np.integer)
        or not 1 <= max_solves <= max_fit_solves
    ):
        msg = f"max_solves {max_solves!r} must be a whole number from 1 to {max_fit_solves}"
        raise AssignmentError(msg)


def fit(
    *,
    source: str | None = None,
    free_flow_kph: float | None = None,
    delay_index: float | None = None,
    gap: float = 1e-4,
    max_solves: int = 12,
    progress: Callable[[int, dict[str, float]], Any] | None = None,
) -> Fit:
    """Fit the street free-flow factor and the car trip rate to their two targets.

    Each step regenerates the default demand (its gravity model reads free-flow times) and
    solves the base peak hour; the factor moves by the ratio of target to modelled core
    free-flow speed, the rate by a secant step on ``log(index − 1)`` against ``log(rate)``
    (bisection in log space while no bracket is known). The settings are restored after.

    Parameters
    ----------
    source : str, optional
        Network (default :data:`settings.default_network`); the factor applies to the city
        network's own streets only.
    free_flow_kph : float, optional
        Target core free-flow speed, km/h, within :data:`plausible_free_flow_kph` (default:
        Amap's implied mean, :func:`amap_free_flow_kph`).
    delay_index : float, optional
        Target delay index, within :data:`sanqu_geo.peak.plausible_delay_index` (default: the
        middle of the published band).
    gap : float
        Relative gap of each solve (above 0, at most 0.01).
    max_solves : int
        Largest number of solves (1 to :data:`max_fit_solves`).
    progress : callable, optional
        Called with (step, the step's row) after each solve.

    Returns
    -------
    Fit
        The fitted values and the steps; ``converged`` says whether both targets were met.

    Raises
    ------
    AssignmentError
        When a target or an option is not valid.
    """
    _check_fit_options(free_flow_kph, gap, max_solves)
    if delay_index is not None:
        delay_index = peak.check_delay_index_target(delay_index)
    source = demand.network_name(source)
    base = demand.parameters_for(copy.deepcopy(demand.load_parameters()), source)
    cal = base["calibration"]
    if delay_index is None:
        delay_index = (float(cal["delay_index_low"]) + float(cal["delay_index_high"])) / 2
    target_di = peak.check_delay_index_target(delay_index)
    target_free = amap_free_flow_kph()[1] if free_flow_kph is None else float(free_flow_kph)
    factor0 = settings.city_free_flow_factor
    f, r = factor0, float(base["generation"]["car_trips_per_resident"])
    rows: list[dict[str, float]] = []
    bracket: list[float | None] = [None, None]  # log rates below / above the target
    try:
        for step in range(max_solves):
            settings.city_free_flow_factor = f
            params = copy.deepcopy(base)
            params["generation"]["car_trips_per_resident"] = r
            d = demand.default_demand(parameters=params, network=source)
            run = peak.solve(None, source=source, demand_=d, gap=gap)
            sp = core_speeds(run)
            di = peak.delay_index(run)
            row = {"factor": f, "rate": r, "core_free_kph": sp["core_free"], "delay_index": di,
                   "core_peak_kph": sp["core_peak"], "relative_gap": run.result.relative_gap}  # fmt: skip
            rows.append(row)
            if progress is not None:
                progress(step, row)
            ok_f = abs(sp["core_free"] - target_free) <= 0.3
            ok_d = abs(di - target_di) <= 0.02
            if ok_f and ok_d:
                break
            if not ok_f:
                f = float(np.clip(f * target_free / sp["core_free"], 0.5, 1.2))
            lr = math.log(r)
            bracket[0 if di < target_di else 1] = lr
            if len(rows) >= 2 and rows[-2]["rate"] != r and rows[-2]["delay_index"] > 1:
                x0, y0 = math.log(rows[-2]["rate"]), math.log(rows[-2]["delay_index"] - 1)
                y1 = math.log(max(di - 1, 1e-6))
                slope = (y1 - y0) / (lr - x0) if lr != x0 else 0.0
                new = lr + (math.log(target_di - 1) - y1) / slope if slope > 0.05 else math.nan
            else:
                new = lr + (math.log(target_di - 1) - math.log(max(di - 1, 1e-3))) / 1.5
            lo, hi = bracket
            if lo is not None and hi is not None and not (lo < new < hi):
                new = (lo + hi) / 2
            r = float(math.exp(np.clip(new if math.isfinite(new) else lr, lr - 1.0, lr + 1.0)))
    finally:
        settings.city_free_flow_factor = factor0
    steps = pd.DataFrame(rows)
    last = rows[-1]
    converged = (
        abs(last["core_free_kph"] - target_free) <= 0.3
        and abs(last["delay_index"] - target_di) <= 0.02
    )
    return Fit(float(last["factor"]), float(last["rate"]), steps, converged)


def validation_links(run, table: pd.DataFrame) -> Any:
    """The roads a validation target names, with the target's verdict, for a map.

    Parameters
    ----------
    run : PeakRun
        The base peak hour the table was made from.
    table : pandas.DataFrame
        From :func:`validation_table`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``road`` (the name), ``verdict``, ``ok`` (True within, False outside), one row per
        road edge of a named road, bridge or the airport expressway's airport section;
        EPSG:4326.
    """
    import geopandas as gpd

    frame = _frame(run)
    split = [set(str(n).split("/")) for n in frame["name"]]
    road_id = [str(r or "") for r in frame["road_id"]]
    wanted: list[tuple[str, str, Any]] = []
    for row in table.itertuples(index=False):
        if row.verdict.startswith("for"):
            continue
        target = str(row.target)
        for name in (*AMAP_MORNING_TOP10, "三大动力路", "松北大道", "阳明滩大桥", "松浦大桥"):
            if name in target and not target.startswith("Amap morning top 10 at"):
                names = {
                    name,
                    *(n for n, p in settings.published_bridge_names.items() if p == name),
                }
                wanted.append((name, row.verdict, lambda i, names=names: bool(split[i] & names)))
        if target.startswith("机场高速"):
            wanted.append(("机场高速", row.verdict,
                           lambda i: road_id[i].startswith("airport-expressway-02")))  # fmt: skip
    rows = []
    for name, verdict, pick in wanted:
        for i in range(len(frame)):
            if pick(i) and frame["geometry"].iloc[i] is not None:
                rows.append({"road": name, "verdict": verdict,
                             "ok": verdict.startswith("within"), "geometry": frame["geometry"].iloc[i]})  # fmt: skip
    return gpd.GeoDataFrame(
        rows, columns=["road", "verdict", "ok", "geometry"], geometry="geometry",
        crs=settings.default_crs,
    )  # fmt: skip
