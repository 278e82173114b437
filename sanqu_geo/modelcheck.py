"""Checks of the base peak hour that tell a sketch from a city model.

From one solved base peak hour (:func:`sanqu_geo.peak.solve`): links above a v/c limit (unless
on the list of named, known bottlenecks kept with their source), the share of network delay
each link holds, the share of car trips that stay inside their district, the Songhua
screenline (every road bridge with volume, capacity and v/c) and the network mean peak speed
by road class. Pure functions of the run and the layers: no I/O of its own, no drawing.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import shapely

from sanqu_geo import capacity, settings, speeds

logger = logging.getLogger(__name__)

__all__ = [
    "ModelCheck",
    "bridge_screenline",
    "check_model",
    "delay_shares",
    "district_intrazonal_shares",
    "speed_by_class",
]


#: Both ends of a screenline link lie at least this far (m) from the river centreline.
SCREENLINE_MARGIN_M = 150.0


def _spans(geom, line) -> bool:
    """True when the link's two ends lie on opposite sides of the river, away from it."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    ends = [shapely.Point(geom.coords[0]), shapely.Point(geom.coords[-1])]
    sides = []
    for p in ends:
        near = line.interpolate(line.project(p))
        if geod.inv(p.x, p.y, near.x, near.y)[2] < SCREENLINE_MARGIN_M:
            return False
        sides.append(p.y > near.y)
    return sides[0] != sides[1]


def _road_frame(run) -> pd.DataFrame:
    """The run's road edges (:meth:`PeakRun.edge_table`) with what the checks read besides:
    vehicles of every class, one road class and name per edge, geometry, bridge."""
    G = run.graph
    frame = run.edge_table().reset_index()
    edges = [G.edges[e] for e in zip(frame["u"], frame["v"], frame["key"], strict=True)]
    frame["vehicles"] = frame[list(run.result.class_names)].sum(axis=1)
    frame["highway"] = frame["highway"].map(speeds._first_class)
    frame["name"] = ["/".join(capacity._names(d)) for d in edges]
    frame["geometry"] = [d.get("geometry") for d in edges]
    frame["bridge"] = [capacity._is_bridge(d) for d in edges]
    return frame.rename(columns={"time_congested_s": "time_s", "length": "length_m"})


def delay_shares(run) -> pd.DataFrame:
    """Delay (PCU-hours above free flow) by road link, largest first, with its share.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``highway``, ``length_m``, ``pcu``, ``capacity``, ``vc``, ``delay_pcu_h``,
        ``share`` (of the network's delay), ``u``, ``v``, ``key``.
    """
    frame = _road_frame(run)
    frame["delay_pcu_h"] = (
        frame["pcu"] * np.maximum(frame["time_s"] - frame["time_free_s"], 0) / 3600
    )
    total = float(frame["delay_pcu_h"].sum())
    frame["share"] = frame["delay_pcu_h"] / total if total > 0 else 0.0
    frame = frame.sort_values("delay_pcu_h", ascending=False, kind="stable")
    return frame.drop(columns=["geometry", "bridge"]).reset_index(drop=True)


def speed_by_class(run) -> pd.DataFrame:
    """Network mean peak speed by road class: vehicle-km ÷ vehicle-hours (all vehicles).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.

    Returns
    -------
    pandas.DataFrame
        ``highway``, ``veh_km``, ``veh_h``, ``speed_kph``, ``free_speed_kph`` (the same
        vehicles at free-flow times), one row per class and a last row ``all``.
    """
    frame = _road_frame(run)
    frame["veh_km"] = frame["vehicles"] * frame["length_m"] / 1000
    frame["veh_h"] = frame["vehicles"] * frame["time_s"] / 3600
    frame["veh_h_free"] = frame["vehicles"] * frame["time_free_s"] / 3600
    groups = frame.groupby("highway")[["veh_km", "veh_h", "veh_h_free"]].sum()
    groups.loc["all"] = groups.sum()
    groups = groups[groups["veh_h"] > 0]
    groups["speed_kph"] = groups["veh_km"] / groups["veh_h"]
    groups["free_speed_kph"] = groups["veh_km"] / groups["veh_h_free"]
    order = [c for c in groups.sort_values("veh_km", ascending=False).index if c != "all"]
    return groups.loc[[*order, "all"]].reset_index()[
        ["highway", "veh_km", "veh_h", "speed_kph", "free_speed_kph"]
    ]


def district_intrazonal_shares(demand_) -> pd.DataFrame:
    """Share of each district's car trips (by origin) that end in the same district.

    Parameters
    ----------
    demand_ : Demand
        Zones with a ``district`` column (model zones) or ``kind == district``.

    Returns
    -------
    pandas.DataFrame
        ``district``, ``car_trips``, ``inside``, ``share``; empty when zones carry no district.
    """
    zones = demand_.zones
    if "district" in zones.columns and zones["district"].notna().any():
        district = dict(zip(zones["id"], zones["district"].fillna(""), strict=True))
    else:
        district = {z: z for z, k in zip(zones["id"], zones.get("kind", ""), strict=False)
                    if k == "district"}  # fmt: skip
    od = demand_.od[demand_.od["class"] == "car"]
    o = od["origin"].map(district).fillna("")
    d = od["destination"].map(district).fillna("")
    frame = pd.DataFrame(
        {"district": o, "trips": od["trips"], "inside": np.where(o == d, od["trips"], 0.0)}
    )
    frame = frame[frame["district"] != ""]
    out = (
        frame.groupby("district")[["trips", "inside"]].sum().rename(columns={"trips": "car_trips"})
    )
    out["share"] = out["inside"] / out["car_trips"]
    return out.reset_index()


def bridge_screenline(run, river) -> pd.DataFrame:
    """The Songhua screenline: every road link across the river, grouped by bridge.

    A link counts when it is a bridge (OSM ``bridge``, or the trunk network's ``bridge``) that
    crosses the centreline with both ends at least
    :data:`SCREENLINE_MARGIN_M` from it, on opposite banks (north or south of the nearest
    point of the line).

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    river : geopandas.GeoDataFrame
        The river centreline (layer ``river``).

    Returns
    -------
    pandas.DataFrame
        ``bridge`` (name, or the class and position where unnamed), ``direction``
        (``northbound`` / ``southbound``), ``pcu``, ``capacity``, ``vc``, ``vehicles``.
    """
    frame = _road_frame(run)
    line = shapely.union_all(river.to_crs(settings.default_crs).geometry.to_numpy())
    geoms = np.array(frame["geometry"], dtype=object)
    # a bridge across the river: both ends well away from the (indicative) centreline, on
    # opposite sides; a bank road or viaduct that the centreline happens to touch is not one
    hit = shapely.intersects(geoms, line) & frame["bridge"].to_numpy(dtype=bool)
    hit[hit] = [_spans(g, line) for g in geoms[hit]]
    rows = []
    for i in np.flatnonzero(hit):
        row = frame.iloc[i]
        g = geoms[i]
        crossing = g.intersection(line)
        point = crossing.representative_point() if not crossing.is_empty else g.centroid
        north = g.coords[-1][1] > g.coords[0][1]
        name = row["name"] or f"{row['highway']} @ {point.x:.3f}E"
        rows.append(
            {
                "bridge": name,
                "lon": round(point.x, 3),
                "direction": "northbound" if north else "southbound",
                "pcu": row["pcu"],
                "vehicles": row["vehicles"],
                "capacity": row["capacity"],
                "highway": row["highway"],
            }
        )
    if not rows:
        return pd.DataFrame(columns=["bridge", "direction", "pcu", "vehicles", "capacity", "vc"])
    out = pd.DataFrame(rows)
    # One bridge may be drawn as several parallel links (two carriageways): sum them.
    out = (
        out.groupby(["bridge", "direction"], sort=False)
        .agg(
            lon=("lon", "mean"),
            highway=("highway", "first"),
            pcu=("pcu", "sum"),
            vehicles=("vehicles", "sum"),
            capacity=("capacity", "sum"),
        )
        .reset_index()
        .sort_values(["lon", "direction"], kind="stable")
    )
    out["vc"] = out["pcu"] / out["capacity"]
    return out.reset_index(drop=True)


@dataclasses.dataclass
class ModelCheck:
    """The checks of one base peak hour.

    Attributes
    ----------
    over_limit : pandas.DataFrame
        Road sections above :data:`settings.check_vc_limit` that are not known bottlenecks.
    known : pandas.DataFrame
        Links above the limit that are on :data:`settings.known_bottlenecks`.
    junction : pandas.DataFrame
        Links shorter than :data:`settings.junction_internal_max_m` above the limit: pieces of
        a junction (a ramp's end, the gap between a divided road's carriageways), whose v/c is
        the junction's rather than a road section's; listed apart, never dropped.
    delay : pandas.DataFrame
        :func:`delay_shares`.
    intrazonal : pandas.DataFrame
        :func:`district_intrazonal_shares`.
    screenline : pandas.DataFrame
        :func:`bridge_screenline`.
    speeds : pandas.DataFrame
        :func:`speed_by_class`.
    network : str
        The graph's source.
    demand : str
        The demand's source.
    relative_gap : float
        Of the assignment.
    """

    over_limit: pd.DataFrame
    known: pd.DataFrame
    junction: pd.DataFrame
    delay: pd.DataFrame
    intrazonal: pd.DataFrame
    screenline: pd.DataFrame
    speeds: pd.DataFrame
    network: str
    demand: str
    relative_gap: float

    @property
    def largest_delay_share(self) -> float:
        """The largest share of network delay held by one link."""
        return float(self.delay["share"].max()) if len(self.delay) else 0.0

    def verdicts(self) -> pd.DataFrame:
        """One row per check: ``check``, ``value``, ``limit``, ``ok``."""
        speed_all = self.speeds.loc[self.speeds["highway"] == "all", "speed_kph"]
        rows = [
            ("road sections above the v/c limit (not known bottlenecks) 超限路段",
             len(self.over_limit), f"0 above v/c {settings.check_vc_limit:g}",
             len(self.over_limit) == 0),
            (f"junction pieces (< {settings.junction_internal_max_m:g} m) above it, listed apart "
             "交叉口内短路段", len(self.junction), "reported", None),
            ("largest share of network delay on one link 单一路段延误占比", self.largest_delay_share,
             f"≤ {settings.check_delay_share_max:.0%}",
             self.largest_delay_share <= settings.check_delay_share_max),
            ("network mean peak speed km/h 路网高峰平均车速", float(speed_all.iloc[0]) if len(speed_all) else float("nan"),
             "Amap 22.6–29.6 (harbin-demand-facts §3); not calibrated yet", None),
        ]  # fmt: skip
        return pd.DataFrame(rows, columns=["check", "value", "limit", "ok"])

    def table(self, *, top: int = 10) -> pd.DataFrame:
        """Every check as one table for a workbook sheet, with bilingual headers.

        Parameters
        ----------
        top : int
            Links listed by delay.

        Returns
        -------
        pandas.DataFrame
            ``部分 Section``, ``项目 Item``, ``数值 Value``, ``参照 Reference``,
            ``结论 Verdict``: the checks, the links with most delay, the links above the
            v/c limit, the intrazonal shares by district, the Songhua bridges and the
            speeds by class, then the network and demand they come from.
        """
        rows: list[tuple] = []
        for row in self.verdicts().itertuples(index=False):
            verdict = "—" if row.ok is None else ("通过 pass" if row.ok else "未通过 fail")
            rows.append(("检查 Checks", row.check, round(float(row.value), 3), row.limit, verdict))
        total = float(self.delay["delay_pcu_h"].sum())
        for row in self.delay.head(top).itertuples(index=False):
            rows.append((
                "延误最大的路段 Links with most delay",
                f"{row.name or '(unnamed 无名)'} · {row.highway} · {row.length_m:,.0f} m",
                round(float(row.delay_pcu_h), 1),
                f"{row.share:.1%} of {total:,.0f} PCU·h; v/c {row.vc:.2f}",
                "",
            ))  # fmt: skip
        for label, frame, verdict in (
            ("超限路段 Links above the v/c limit", self.over_limit, "未通过 fail"),
            ("已知瓶颈 Known bottlenecks above the limit", self.known, "已知 known"),
            (
                f"交叉口内短路段 Junction pieces (< {settings.junction_internal_max_m:g} m) above "
                "the limit",
                self.junction,
                "交叉口 junction",
            ),
        ):
            for row in frame.itertuples(index=False):
                rows.append((label, f"{row.name or '(unnamed 无名)'} · {row.highway} · "
                             f"{row.length_m:,.0f} m", round(float(row.vc), 2),
                             f"v/c ≤ {settings.check_vc_limit:g}", verdict))  # fmt: skip
        for row in self.intrazonal.itertuples(index=False):
            rows.append(("区内出行占比 Car trips staying in their district", str(row.district),
                         round(float(row.share), 3), f"{row.car_trips:,.0f} car trips", ""))  # fmt: skip
        for row in self.screenline.itertuples(index=False):
            rows.append(("松花江断面 Songhua screenline", f"{row.bridge} · {row.direction}",
                         round(float(row.pcu)), f"capacity {row.capacity:,.0f} PCU/h; v/c {row.vc:.2f}",
                         ""))  # fmt: skip
        for row in self.speeds.itertuples(index=False):
            rows.append(("高峰平均车速 Peak mean speed km/h", str(row.highway),
                         round(float(row.speed_kph), 1), f"free flow {row.free_speed_kph:.1f} km/h",
                         ""))  # fmt: skip
        rows.append(("来源 Source", "路网 network", self.network, "", ""))
        rows.append(("来源 Source", "需求 demand", self.demand, "", ""))
        rows.append(("来源 Source", "相对间隙 relative gap", f"{self.relative_gap:.1e}", "", ""))
        return pd.DataFrame(
            rows,
            columns=["部分 Section", "项目 Item", "数值 Value", "参照 Reference", "结论 Verdict"],
        )


def check_model(run, demand_, river) -> ModelCheck:
    """All checks of a solved base peak hour.

    Parameters
    ----------
    run : PeakRun
        The base peak hour.
    demand_ : Demand
        The demand it was solved with.
    river : geopandas.GeoDataFrame
        The river layer (for the screenline).

    Returns
    -------
    ModelCheck
        The checks.
    """
    delay = delay_shares(run)
    high = delay[delay["vc"] > settings.check_vc_limit]
    known_names = set(settings.known_bottlenecks)
    is_known = np.array(
        [any(k in str(n).split("/") for k in known_names) for n in high["name"]], dtype=bool
    )
    short = (high["length_m"] < settings.junction_internal_max_m).to_numpy()
    return ModelCheck(
        over_limit=high[~is_known & ~short].reset_index(drop=True),
        known=high[is_known].reset_index(drop=True),
        junction=high[~is_known & short].reset_index(drop=True),
        delay=delay,
        intrazonal=district_intrazonal_shares(demand_),
        screenline=bridge_screenline(run, river),
        speeds=speed_by_class(run),
        network=str(run.graph.graph.get("source", "")),
        demand=str(demand_.source),
        relative_gap=float(run.result.relative_gap),
    )
