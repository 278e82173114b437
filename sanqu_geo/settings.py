"""Defaults of sanqu-geo: coordinate systems, the Harbin study area, and storage folders.

Plain module-level variables, read at call time, so a user can change them in a session
(``sanqu_geo.settings.metric_crs = "EPSG:32652"``). This module does no I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

#: CRS of every layer at rest: WGS-84 longitude/latitude.
default_crs: str = "EPSG:4326"

#: CRS used for lengths and areas: CGCS2000 / 3-degree Gauss-Kruger CM 126E. Its central
#: meridian (126°E) runs through Harbin (126.2–126.9°E), so scale error across the study area
#: stays below 0.01 %; UTM zones 51N/52N would split the city at 126°E.
metric_crs: str = "EPSG:4551"

#: CGCS2000 geographic CRS; within the accuracy of any planning data it equals WGS-84.
cgcs2000_crs: str = "EPSG:4490"

#: Bounding box (lon_min, lat_min, lon_max, lat_max) of the wider Harbin area. Data whose
#: points fall outside it are reported as "far from Harbin".
harbin_bbox: tuple[float, float, float, float] = (125.0, 44.8, 128.0, 46.6)

#: The road network every command uses unless told otherwise: ``harbin``, the embedded city
#: network (OpenStreetMap core + trunk roads); ``trunk`` is the embedded trunk sketch. The
#: ``SANQU_GEO_NETWORK`` environment variable sets it for a whole session.
default_network: str = os.environ.get("SANQU_GEO_NETWORK", "harbin")

#: Seconds to wait for each answer of a download (Nominatim and Overpass for ``--place`` and
#: ``--bbox``) before giving up: offline, or behind a proxy that never answers, a command
#: fails within about this long instead of waiting for ever. It is also the time the Overpass
#: server is given for the query (osmnx sends it along), so a large area may need more.
download_timeout_s: float = 60.0

#: Folder where imported user layers, the network cache and other state are kept.
#: Overridden by the ``SANQU_GEO_HOME`` environment variable.
home_folder: Path = Path(
    os.environ.get("SANQU_GEO_HOME", Path.home() / ".local" / "share" / "sanqu-geo")
)


def get_home_folder() -> Path:
    """Return the folder for user state, honouring ``SANQU_GEO_HOME`` set after import.

    Returns
    -------
    pathlib.Path
        The folder (not created here).
    """
    env = os.environ.get("SANQU_GEO_HOME")
    return Path(env) if env else home_folder


#: Free-flow speed (km/h) by OSM road class when a road has no usable ``maxspeed``.
#: From the Chinese design standards (harbin-facts §11): motorway = 高速公路 (JTG B01-2014:
#: 120/100/80; 100 as for G1001 and the airport expressway); trunk = 城市快速路 or 一级公路
#: (CJJ 37 and JTG: 100/80/60; 80); primary = 主干路 (60/50/40; 50); secondary = 次干路
#: (50/40/30; 40); tertiary and local = 支路 (40/30/20; 30); ramps lower.
default_speeds_kph: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 20.0,
    "road": 30.0,
    "service": 20.0,
}

#: Free-flow speed factor on the city network's own streets (edges whose ``source`` is
#: ``osm``; grade-separated classes, :data:`grade_separated_classes`, keep their speed). The
#: design speeds above are what a road is built for; a city street at night runs below it
#: (parked cars, bus stops, pedestrians, lane changes at junction approaches). **Calibrated**
#: (``sanqu-geo model calibrate``) so that the car free-flow speed of the urban core equals the
#: Amap free-flow speed implied by its published pairs of peak speed and delay index (29.62 km/h
#: × 1.40, 22.6 × 1.85, 37.4 × 1.09, 32.38 × 1.28: 40.8–41.8 km/h; harbin-demand-facts §3).
city_free_flow_factor: float = 0.888

#: Speed (km/h) for a road class not in :data:`default_speeds_kph`.
fallback_speed_kph: float = 30.0

#: Highest plausible speed (km/h): the legal maximum on Chinese expressways (道路交通安全法实施条例
#: art. 78: 120 km/h). A ``maxspeed`` above it is read as junk (the class default is used, with
#: a warning), and no profile or file raises a free-flow speed beyond it.
max_speed_kph: float = 120.0

#: Largest profile ``factor`` accepted (a profile may speed roads up at most this much).
max_profile_factor: float = 2.0

#: Implicit ``maxspeed`` zone values (km/h). China: 道路交通安全法实施条例 arts. 45–46 and 78
#: (no centre line: urban 30, rural 40; one lane each way: urban 50, rural 70; expressway 120).
maxspeed_zones_kph: dict[str, float] = {
    "CN:motorway": 120.0,
    "CN:expressway": 120.0,
    "CN:urban": 50.0,
    "CN:rural": 70.0,
    "CN:living_street": 20.0,
}

#: Travel-time profiles. ``factor`` multiplies the free-flow speed by road class
#: (``default`` for the rest); ``cap_kph`` caps it; ``respect_bans`` drops roads inside the
#: truck-ban polygons. Indicative values: peak factors from typical urban congestion ratios;
#: trucks capped at 80 km/h on expressways (harbin-facts §11) and 60 elsewhere; winter 0.8.
profiles: dict[str, dict] = {
    "car": {
        "description_zh": "小汽车(畅行)",
        "description_en": "Car, free flow",
        "factor": {"default": 1.0},
        "cap_kph": {},
        "respect_bans": False,
    },
    "car_peak": {
        "description_zh": "小汽车(高峰)",
        "description_en": "Car, peak hour",
        "factor": {
            "motorway": 0.75,
            "motorway_link": 0.7,
            "trunk": 0.6,
            "trunk_link": 0.6,
            "primary": 0.55,
            "secondary": 0.6,
            "default": 0.7,
        },
        "cap_kph": {},
        "respect_bans": False,
    },
    "truck": {
        "description_zh": "货车",
        "description_en": "Truck",
        "factor": {"default": 1.0},
        "cap_kph": {"motorway": 80.0, "default": 60.0},
        "respect_bans": True,
    },
    "winter": {
        "description_zh": "小汽车(冬季)",
        "description_en": "Car, winter roads",
        "factor": {"default": 0.8},
        "cap_kph": {},
        "respect_bans": False,
    },
}

#: Road classes a facility may be snapped to.
snap_classes: tuple[str, ...] = (
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
)

#: Largest snapping distance (m) from a facility or zone to its access node.
snap_max_distance_m: float = 3000.0

#: Speed (km/h) on the connector from a facility or zone to its access node.
connector_speed_kph: float = 20.0

#: Model check (``sanqu-geo model check``): no road section of the base peak hour above this
#: v/c unless it is a named, known bottleneck (:data:`known_bottlenecks`), and no link holding
#: more than this share of the network's delay. Links shorter than
#: :data:`junction_internal_max_m` above the limit are pieces of a junction, listed apart.
#: Thresholds of the city model's acceptance, not standards.
check_vc_limit: float = 1.5
check_delay_share_max: float = 0.05

#: Named roads known to run above capacity in the morning peak, with the source that says so:
#: the Amap top-10 congested roads of the weekday morning peak (Amap 2020 Q1 report,
#: harbin-demand-facts §3, M). A link of these may exceed :data:`check_vc_limit` in the check.
known_bottlenecks: dict[str, str] = {
    name: "Amap 2020 Q1 top-10 congested roads, weekday AM peak (harbin-demand-facts §3)"
    for name in ("和平路", "中山路", "文昌街", "跃兴街", "学府四道街", "西大直街", "新阳路",
                 "301国道", "海洋大街", "东大直街")
}  # fmt: skip

#: Zone kinds of the model's zone system (layer ``zones_model``) that load on their own local
#: roads (:func:`sanqu_geo.access.loading_nodes`); ``external`` zones load at their road end.
model_zone_kinds: tuple[str, ...] = ("urban", "outer", "external")

#: Road classes a model zone loads on first: collectors (次干路 and the larger 支路), which carry
#: a zone's trips away in more than one lane where local streets have one.
zone_collector_classes: tuple[str, ...] = ("secondary", "tertiary")

#: Road classes a model zone loads on: collector (次干路, tertiary) and local streets (支路).
zone_loading_classes: tuple[str, ...] = (
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
)
#: Added where a zone holds fewer than two nodes of :data:`zone_loading_classes` (outer zones on
#: the trunk roads): arterials, never an expressway.
zone_loading_fallback_classes: tuple[str, ...] = ("primary",)
#: Classes whose nodes are never loading nodes: expressways and every ramp.
zone_barred_classes: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
)
#: One more loading node per this many km² of zone, from two up to :data:`zone_max_connectors`.
zone_km2_per_connector: float = 2.0
zone_max_connectors: int = 6


# --------------------------------------------------------------------------- capacities

#: Design capacity (设计通行能力) of one lane (PCU/h) by OSM road class, before any signal
#: reduction. Urban roads: CJJ 37-2012 (2016 ed.) 《城市道路工程设计规范》 table 4.2.2 (快速路 basic
#: segment: 设计通行能力 2000 / 1750 / 1400 pcu/h at 100 / 80 / 60 km/h; 基本通行能力 2200 /
#: 2100 / 1800) and table 4.3.2 (other urban roads: 设计通行能力 1400 / 1350 / 1300 / 1300 pcu/h
#: at 60 / 50 / 40 / 30 km/h; 基本通行能力 1800 / 1700 / 1650 / 1600). Each class takes the value
#: at the design speed matching :data:`default_speeds_kph` (trunk 80, primary 50, secondary 40,
#: local 30); ramps the 60 km/h 快速路 value. Motorways (高速公路, 100 km/h): the design
#: service volumes of JTG B01-2014 are not in the sources, so the CJJ 37 快速路 design capacity at
#: the same design speed (2000) is used, an **assumption**. Design capacity is the "practical
#: capacity" the BPR function was fitted to (Traffic Assignment Manual, 1964).
capacity_per_lane_pcu: dict[str, float] = {
    "motorway": 2000.0,
    "motorway_link": 1400.0,
    "trunk": 1750.0,
    "trunk_link": 1400.0,
    "primary": 1350.0,
    "primary_link": 1300.0,
    "secondary": 1300.0,
    "secondary_link": 1300.0,
    "tertiary": 1300.0,
    "tertiary_link": 1300.0,
    "unclassified": 1300.0,
    "residential": 1300.0,
    "living_street": 1300.0,
    "road": 1300.0,
    "service": 1300.0,
}

#: Capacity (PCU/h per lane) for a road class not in :data:`capacity_per_lane_pcu`.
fallback_capacity_per_lane_pcu: float = 1300.0

#: Road classes with signalised junctions and the share of the hour their through lanes get a
#: green light (g/C). A signalised road carries its lane capacity times g/C (the HCM / CJJ 37
#: §4.3 reduction for intersection-controlled segments), on an edge that ends at a signalised
#: junction (:mod:`sanqu_geo.junctions`). **Assumption**: g/C = 0.4 for arterials (and
#: OpenStreetMap's trunk roads where they meet one at grade) and 0.35 for secondary and local
#: roads: the through phase of a four-phase plan with protected left turns, the usual plan at
#: the arterial crossings of large Chinese cities; no signal data are published for Harbin.
#: Motorways are uninterrupted flow.
signal_green_share: dict[str, float] = {
    "trunk": 0.4,
    "primary": 0.4,
    "primary_link": 0.4,
    "secondary": 0.35,
    "secondary_link": 0.35,
    "tertiary": 0.35,
    "tertiary_link": 0.35,
    "unclassified": 0.35,
    "residential": 0.35,
    "living_street": 0.35,
    "road": 0.35,
}

#: Road classes whose at-grade meetings from three or more directions are treated as signalised
#: junctions where OSM has no ``highway=traffic_signals`` tag (主干路 and 次干路 meeting each
#: other; GB 50647-2011 puts signal control at such junctions). A rule of
#: thumb: an assumption wherever OSM is untagged (the Harbin extract tags 5 signals).
signal_junction_classes: tuple[str, ...] = ("trunk", "primary", "secondary")

#: An edge shorter than this (m) between two signalised nodes lies inside one junction of a
#: divided road (OSM draws each carriageway): it gets no delay of its own, so a driver pays one
#: signal per junction. **Assumption** (junction depth of Harbin's wide arterials).
junction_internal_max_m: float = 60.0

#: Grade-separated road classes: no junction delay (uninterrupted flow). OpenStreetMap's
#: ``trunk`` is not among them: in Harbin it also tags signalised arterials, and a trunk road
#: meets a signal only where the junction rule finds an at-grade junction.
grade_separated_classes: tuple[str, ...] = ("motorway", "motorway_link", "trunk_link")

#: Signal cycle (s) of the free-flow junction delay ``C (1 − g/C)² / 2`` (Webster 1958; HCM 2010
#: uniform delay at low flow). **Assumption**: 120 s, a common cycle of large Chinese cities'
#: arterial junctions; no Harbin signal timings are published.
signal_cycle_s: float = 120.0

#: Green share (g/C) of an approach whose class is not in :data:`signal_green_share`
#: (residential streets and service roads entering a signalised junction). **Assumption**.
signal_green_share_minor: float = 0.3

#: Lanes per direction by class where neither OSM ``lanes`` nor a published count exists.
#: **Assumption** (typical Harbin cross-sections: G1001 and the airport expressway two lanes
#: each way; the ring roads and the main arterials three; secondary roads two; local one).
default_lanes_per_direction: dict[str, float] = {
    "motorway": 2.0,
    "motorway_link": 1.0,
    "trunk": 3.0,
    "trunk_link": 1.0,
    "primary": 3.0,
    "primary_link": 1.0,
    "secondary": 2.0,
    "secondary_link": 1.0,
    "tertiary": 1.0,
    "tertiary_link": 1.0,
    "unclassified": 1.0,
    "residential": 1.0,
    "living_street": 1.0,
    "road": 1.0,
    "service": 1.0,
}

#: Published lane counts (both directions) of named roads, by Chinese name; they win over
#: the class default (an OSM ``lanes`` tag still wins over them). 阳明滩大桥: 8 lanes
#: (SASAC 2011-11-22); 松浦大桥: 8 lanes (Xinhua 2008-08-09); harbin-demand-facts §4.
published_lanes: dict[str, int] = {"阳明滩大桥": 8, "松浦大桥": 8}

#: Published capacities (PCU/h, both directions together) of named roads. They replace
#: lanes × capacity per lane: 阳明滩大桥 design flow 9,800 veh/h (SASAC 2011-11-22), 松浦大桥
#: peak-hour capacity 9,800 veh/h (Xinhua 2008-08-09); harbin-demand-facts §4. Split evenly
#: between the two directions.
published_capacity_pcu: dict[str, float] = {"阳明滩大桥": 9800.0, "松浦大桥": 9800.0}

#: Names OpenStreetMap gives the bridge ways of a road with a published capacity: on an edge
#: tagged ``bridge``, the name stands for the bridge (松浦大道 runs over 松浦大桥).
published_bridge_names: dict[str, str] = {"松浦大道": "松浦大桥"}

#: Capacity (PCU/h) of an interchange ramp that joins a corridor to the network: one lane of
#: :data:`capacity_per_lane_pcu` ``motorway_link`` (assumption: single-lane ramps).
ramp_lanes: float = 1.0
#: BPR volume-delay defaults ``t = t0 · (1 + α (v/c)^β)`` for edges without ``bpr_alpha`` or
#: ``bpr_beta``: the US Bureau of Public Roads values (Traffic Assignment Manual, 1964).
bpr_alpha: float = 0.15
bpr_beta: float = 4.0

#: Volume-delay function of the peak-hour assignment (:mod:`sanqu_geo.peak`): ``conical``
#: (Spiess 1990) on every road. Unlike BPR, whose delay grows slowly beyond capacity, so that
#: a short ramp or a local street next to a zone takes twice its capacity for a few seconds of
#: delay, the conical function rises with a slope that tends to ``α`` per unit of v/c above
#: capacity; it equals BPR's t0 at zero flow and 2·t0 at capacity. ``bpr`` keeps BPR.
peak_vdf: str = "conical"

#: Conical volume-delay default steepness α (Spiess 1990, "Conical volume-delay functions",
#: Transportation Science 24(2)); β = (2α − 1)/(2α − 2). Per edge: ``conical_alpha``.
conical_alpha: float = 4.0

#: Passenger-car equivalents by vehicle type: the vehicle conversion factors (车辆折算系数) of
#: JTG B01-2014 《公路工程技术标准》 §3.3 (table 3.3.2): 小客车 1.0, 中型车 1.5, 大型车 2.5,
#: 汽车列车 4.0.
pce_by_vehicle: dict[str, float] = {
    "car": 1.0,  # 小客车
    "medium": 1.5,  # 中型车
    "large": 2.5,  # 大型车
    "articulated": 4.0,  # 汽车列车
}

#: PCE of a truck class whose mix is not known: 2.5, the 大型车 factor, a middle value between
#: medium trucks (1.5) and articulated container trucks (4.0). A choice, not a measurement:
#: split trucks into classes by type where counts allow.
truck_pce: float = 2.5
