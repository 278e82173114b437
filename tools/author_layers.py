"""Author the embedded indicative GIS layers of sanqu-geo.

Writes, deterministically (re-running gives byte-identical files):

* ``data/boundaries/zones.geojson``       zone polygons (FTZ, New Area, CBZ, airport zone, ...)
* ``data/boundaries/facilities.geojson``  facility points (airport, stations, gates, ...)
* ``data/boundaries/river.geojson``       the Songhua centreline through Harbin
* ``data/boundaries/districts.geojson``   district label points
* ``data/projects/projects.geojson``      the plan's infrastructure and platform projects

Every geometry is drawn from published anchor points and published areas/lengths; none of it
is surveyed or official. Polygons with a published area are scaled about their centroid in the
metric CRS (EPSG:4551, CGCS2000 3-degree Gauss-Kruger CM 126E) so that their area matches.
The script validates everything before it writes anything, and prints a table of computed
areas and lengths.

Run from anywhere: ``python tools/author_layers.py``.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points

from sanqu_geo._atomic import write_text

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ROOT / "data" / "boundaries"
PROJECTS = ROOT / "data" / "projects"

METRIC_CRS = "EPSG:4551"
HARBIN_BBOX = (125.0, 44.8, 128.0, 46.6)  # lon_min, lat_min, lon_max, lat_max
DECIMALS = 6
AREA_TOLERANCE = 0.005  # relative, for scaled polygons
LENGTH_TOLERANCE = 0.10  # relative, for lines with a published length
MAX_SEGMENT_KM = 2.5  # vertex spacing of authored lines (straight runways exempt)

ACCURACY = "indicative"
#: The plan's deadline terms and their years (中远期 has none).
PHASE_YEAR: dict[str, int | None] = {
    "近期": 2021,
    "中期": 2022,
    "远期": 2025,
    "中远期": None,
    "长远期": 2035,
}
TASK_NOTE = "task"
NOT_A_TASK_NOTE = "not a task of the plan"
TASKS_CSV = ROOT / "data" / "plan" / "tasks.csv"


def plan_tasks() -> dict[int, dict[str, Any]]:
    """The plan's 40 tasks from the embedded register (``data/plan/tasks.csv``)."""
    with TASKS_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        int(r["task"]): {**r, "terms": r["terms"].split(";"), "areas": r["areas"].split(";")}
        for r in rows
    }


_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

Coords = Sequence[tuple[float, float]]


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """Project a lon/lat geometry to the metric CRS."""
    return shapely.transform(geom, _TO_METRIC.transform, interleaved=False)


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """Project a metric geometry back to lon/lat."""
    return shapely.transform(geom, _TO_WGS84.transform, interleaved=False)


def round_geom(geom: BaseGeometry) -> BaseGeometry:
    """Round every coordinate to ``DECIMALS`` places."""
    return shapely.transform(geom, lambda xy: np.round(xy, DECIMALS))


def area_km2(geom: BaseGeometry) -> float:
    return to_metric(geom).area / 1e6


def length_km(geom: BaseGeometry) -> float:
    return to_metric(geom).length / 1e3


def polygon(coords: Coords) -> Polygon:
    """A lon/lat polygon, exterior ring counter-clockwise (RFC 7946), rounded."""
    return round_geom(orient(Polygon(coords), sign=1.0))


def scaled_polygon(coords: Coords, target_km2: float) -> Polygon:
    """Scale a lon/lat polygon about its metric centroid so its area is ``target_km2``."""
    metric = to_metric(Polygon(coords))
    factor = math.sqrt(target_km2 * 1e6 / metric.area)
    scaled = affinity.scale(metric, xfact=factor, yfact=factor, origin=metric.centroid)
    return round_geom(orient(to_wgs84(scaled), sign=1.0))


def line(coords: Coords) -> LineString:
    return round_geom(LineString(coords))


def point(lon: float, lat: float) -> Point:
    return round_geom(Point(lon, lat))


def river_lat(lon: float) -> float:
    """Latitude of the Songhua centreline at a longitude (linear between vertices)."""
    xs = [c[0] for c in SONGHUA]
    ys = [c[1] for c in SONGHUA]
    return float(np.interp(lon, xs, ys))


def max_segment_km(geom: LineString) -> float:
    coords = np.asarray(to_metric(geom).coords)
    return float(np.max(np.hypot(*np.diff(coords, axis=0).T)) / 1e3)


def metric_distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    return to_metric(a).distance(to_metric(b))


# --------------------------------------------------------------------------------------------
# Authored coordinates (lon, lat; WGS-84)
# --------------------------------------------------------------------------------------------

# Songhua centreline, west to east, about every 1.5 km. Anchors: 冰雪大世界 (45.7766, 126.5617)
# and 太阳岛 (45.7826, 126.5819) lie on the north bank; 人民广场, 友谊宫 (45.7751, 126.6063),
# 中央大街 (45.767, 126.610), 兆麟公园, 北马路, 清真寺, 靖宇公园 and 哈尔滨东站 on the south bank.
SONGHUA: list[tuple[float, float]] = [
    (126.30, 45.752),
    (126.32, 45.755),
    (126.34, 45.757),
    (126.36, 45.760),
    (126.38, 45.762),
    (126.40, 45.765),
    (126.42, 45.767),
    (126.44, 45.769),
    (126.46, 45.770),
    (126.48, 45.771),
    (126.50, 45.772),
    (126.52, 45.772),
    (126.54, 45.771),
    (126.56, 45.771),
    (126.58, 45.775),
    (126.60, 45.779),
    (126.62, 45.783),
    (126.64, 45.789),
    (126.66, 45.793),
    (126.68, 45.796),
    (126.70, 45.798),
    (126.72, 45.800),
    (126.74, 45.802),
    (126.76, 45.804),
    (126.78, 45.806),
    (126.80, 45.808),
    (126.82, 45.811),
    (126.84, 45.814),
    (126.86, 45.817),
    (126.88, 45.820),
    (126.90, 45.823),
]

RIVER_BANK_OFFSET = 0.0045  # degrees of latitude (~0.5 km) from the centreline to the bank

FTZ_RECT = [(126.46, 45.790), (126.60, 45.790), (126.60, 45.856), (126.46, 45.856)]


def jiangbei_coords() -> list[tuple[float, float]]:
    """江北一体发展区: south edge along the north bank, irregular north edge.

    The north edge dips around 呼兰's town centre (45.89, 126.59), which is not part of the
    New Area (only 利业镇 of 呼兰区 is).
    """
    south = [
        (round(lon, 2), round(river_lat(lon) + RIVER_BANK_OFFSET, 4))
        for lon in np.arange(126.37, 126.731, 0.02)
    ]
    east_north_west = [
        (126.760, 45.832),
        (126.768, 45.868),
        (126.750, 45.910),
        (126.702, 45.924),
        (126.658, 45.906),
        (126.628, 45.887),
        (126.602, 45.880),
        (126.576, 45.882),
        (126.552, 45.894),
        (126.515, 45.912),
        (126.468, 45.916),
        (126.412, 45.904),
        (126.370, 45.872),
        (126.352, 45.830),
        (126.354, 45.778),
    ]
    return south + east_north_west


PINGFANG = [
    (126.582, 45.552),
    (126.630, 45.538),
    (126.682, 45.542),
    (126.712, 45.566),
    (126.705, 45.605),
    (126.690, 45.628),
    (126.650, 45.634),
    (126.610, 45.632),
    (126.578, 45.615),
    (126.570, 45.585),
]

# CBZ phase 1: about 2.4 x 1.6 km around the estimated centre (45.690, 126.790), with a notch on
# its north-west side where the inland port lies between it and the container centre.
CBZ_PHASE1 = [
    (126.7815, 45.6975),
    (126.8060, 45.6978),
    (126.8076, 45.6905),
    (126.8068, 45.6832),
    (126.7768, 45.6830),
    (126.7762, 45.6858),
    (126.7812, 45.6862),
]

AIRPORT_ZONE = [
    (126.200, 45.632),
    (126.204, 45.598),
    (126.226, 45.580),
    (126.282, 45.580),
    (126.318, 45.594),
    (126.321, 45.636),
    (126.304, 45.660),
    (126.262, 45.663),
    (126.222, 45.661),
]


def container_coords() -> list[tuple[float, float]]:
    """Irregular hexagon in a 1.5 km (E-W) x 1.0 km (N-S) box centred on 45.700, 126.760."""
    lon0, lat0 = 126.760, 45.700
    half_w = 0.75 / (111.320 * math.cos(math.radians(lat0)))  # 0.75 km in degrees of lon
    half_h = 0.0045  # 0.5 km in degrees of lat
    w, e, s, n = lon0 - half_w, lon0 + half_w, lat0 - half_h, lat0 + half_h
    cut_lon, cut_lat = 0.0080, 0.0054  # NW and SE corners cut (~0.62 x 0.60 km)
    return [
        (w, s),
        (e - cut_lon, s),
        (e, s + cut_lat),
        (e, n),
        (w + cut_lon, n),
        (w, n - cut_lat),
    ]


INLAND_PORT = [
    (126.7715, 45.6995),
    (126.7790, 45.6990),
    (126.7795, 45.6900),
    (126.7760, 45.6878),
    (126.7680, 45.6885),
    (126.7650, 45.6935),
]

AIRCRAFT_RECYCLING = [
    (126.2460, 45.5978),
    (126.2540, 45.5976),
    (126.2542, 45.6022),
    (126.2490, 45.6026),
    (126.2458, 45.6014),
]

RUNWAY_2 = [(126.2432, 45.6066), (126.2726, 45.6315)]

# Airport second passage, city to airport. 伊春路 section from 学府路 x 跃兴街, north to 富山屯,
# across the 三环, then 老机场路 / 机场路延长线 to the 机场高速 toll station north of the runways.
PASSAGE_CITY = [
    (126.6050, 45.7150),  # 学府路 x 跃兴街
    (126.5940, 45.7105),
    (126.5820, 45.7065),
    (126.5700, 45.7030),  # south of 哈尔滨西站
    (126.5580, 45.7020),
    (126.5450, 45.7040),
    (126.5400, 45.7120),
    (126.5370, 45.7205),  # 富山屯 (indicative)
    (126.5270, 45.7165),
    (126.5190, 45.7100),
]
TIANPING = (126.5135, 45.7040)  # 天平路, end of phase 1
PASSAGE_AIRPORT = [
    (126.4960, 45.7000),
    (126.4780, 45.6955),
    (126.4600, 45.6905),
    (126.4420, 45.6855),
    (126.4240, 45.6810),
    (126.4060, 45.6765),
    (126.3880, 45.6725),
    (126.3700, 45.6690),
    (126.3520, 45.6655),
    (126.3340, 45.6620),
    (126.3160, 45.6585),
    (126.3000, 45.6550),  # crossing of 机场高速; start of the 临空 branch
    (126.2860, 45.6525),
    (126.2740, 45.6510),
    (126.2620, 45.6500),  # 机场高速 toll station
]
LINKONG_BRANCH = [
    (126.3000, 45.6550),
    (126.2870, 45.6570),
    (126.2740, 45.6582),
    (126.2610, 45.6590),
    (126.2480, 45.6592),
    (126.2385, 45.6592),  # before 太安路
]

# Airport-side approach of the ART corridor: T2 north along the landside, west of runway 1,
# to the toll station.
ART_AIRPORT_SIDE = [
    (126.2352, 45.6098),  # T2
    (126.2330, 45.6170),
    (126.2370, 45.6240),
    (126.2440, 45.6310),
    (126.2530, 45.6420),
]

# G1001 west section 秦家 -> 群力 interchange, then 机场高速 to the airport toll station.
G1001_WEST = [
    (126.4700, 45.8400),  # 秦家 (indicative)
    (126.4680, 45.8260),
    (126.4660, 45.8120),
    (126.4660, 45.7980),
    (126.4680, 45.7840),
    (126.4720, 45.7700),  # Songhua crossing
    (126.4770, 45.7560),
    (126.4840, 45.7430),
    (126.4920, 45.7310),
    (126.5000, 45.7200),  # 群力 interchange with 机场高速
]
AIRPORT_EXPRESSWAY = [
    (126.4840, 45.7160),
    (126.4670, 45.7120),
    (126.4500, 45.7075),
    (126.4330, 45.7030),
    (126.4160, 45.6985),
    (126.3990, 45.6940),
    (126.3820, 45.6890),
    (126.3650, 45.6840),
    (126.3480, 45.6790),
    (126.3310, 45.6740),
    (126.3140, 45.6690),
    (126.2980, 45.6640),
    (126.2840, 45.6590),
    (126.2720, 45.6545),
    (126.2620, 45.6500),
]
FREIGHT_NEW = [
    (126.4500, 45.8300),  # 松北
    (126.4380, 45.8180),
    (126.4260, 45.8060),
    (126.4140, 45.7940),
    (126.4020, 45.7820),
    (126.3920, 45.7700),
    (126.3820, 45.7580),  # south of the Songhua
    (126.3710, 45.7460),
    (126.3600, 45.7340),
    (126.3490, 45.7220),
    (126.3380, 45.7100),
    (126.3250, 45.6990),
    (126.3120, 45.6880),
    (126.2990, 45.6780),
    (126.2870, 45.6700),
    (126.2780, 45.6660),
    (126.2700, 45.6630),  # airport, from the north
]
HASHUANG_EXTENSION = [
    (126.2600, 45.5960),  # south side of the airport, east of the recycling base
    (126.2620, 45.5800),
    (126.2650, 45.5640),
    (126.2680, 45.5480),
    (126.2710, 45.5320),
    (126.2740, 45.5160),
    (126.2780, 45.5000),
    (126.2820, 45.4840),
    (126.2860, 45.4680),
    (126.2900, 45.4520),
    (126.2950, 45.4360),
    (126.3000, 45.4200),
    (126.3050, 45.4040),
    (126.3080, 45.3900),
    (126.3100, 45.3800),  # 双城 approach
]

CONTAINER_GATE = (126.7630, 45.7040)  # on the north side, just inside the yard
CBZ_GATE_SEED = (126.7925, 45.6978)  # snapped onto the CBZ boundary
LAST_MILE_VIA = [
    (126.7630, 45.7052),  # north side road
    (126.7710, 45.7054),
    (126.7790, 45.7055),
    (126.7860, 45.7050),
    (126.7905, 45.7025),  # 香明街 (assumed) into the CBZ
    (126.7925, 45.6995),
]


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def build_zones() -> list[dict[str, Any]]:
    ftz = scaled_polygon(FTZ_RECT, 79.86)
    jiangbei = scaled_polygon(jiangbei_coords(), 398.0)
    pingfang = scaled_polygon(PINGFANG, 95.0)
    cbz1 = scaled_polygon(CBZ_PHASE1, 3.29)
    airport = polygon(AIRPORT_ZONE)
    container = scaled_polygon(container_coords(), 1.13)
    inland = scaled_polygon(INLAND_PORT, 1.0)

    def zone(
        id_: str,
        name_zh: str,
        name_en: str,
        kind: str,
        group: str,
        area: float | None,
        source: str,
        note: str,
        geom: BaseGeometry | None,
    ) -> dict[str, Any]:
        return feature(
            {
                "id": id_,
                "name_zh": name_zh,
                "name_en": name_en,
                "kind": kind,
                "group": group,
                "area_km2_published": area,
                "accuracy": ACCURACY,
                "source": source,
                "note": note,
            },
            geom,
        )

    return [
        zone(
            "ftz_harbin",
            "中国(黑龙江)自由贸易试验区哈尔滨片区",
            "China (Heilongjiang) Pilot FTZ – Harbin Area",
            "ftz",
            "ftz",
            79.86,
            "harbin.gov.cn 2019-08-28 (area); placeholder extent",
            "Official 四至 (annex to the 2019 State Council notice) not public; placeholder "
            "rectangle lon 126.46–126.60, lat 45.790–45.856 over the Songbei CBD and "
            "science-city belt north of the Songhua, scaled to the published 79.86 km². "
            "Not the legal boundary.",
            ftz,
        ),
        zone(
            "new_area_jiangbei",
            "哈尔滨新区 江北一体发展区",
            "Harbin New Area – Jiangbei integrated development area",
            "new_area",
            "new_area",
            398.0,
            "《哈尔滨新区总体规划(2018-2035年)》 via bkwk.cn (398 km²); Xinhua 2015-12-23 "
            "(493 km² in total); indicative extent",
            "Boundary not published. Drawn north of the Songhua over 松北镇, 松浦镇 and "
            "呼兰区利业镇 (利民), towards 对青山镇, 乐业镇 and 万宝镇; south edge follows the "
            "north bank; 呼兰 town centre left outside (assumption); scaled to 398 km².",
            jiangbei,
        ),
        zone(
            "new_area_pingfang",
            "哈尔滨新区 江南政策协同区(平房区)",
            "Harbin New Area – Pingfang policy-coordination area",
            "new_area",
            "new_area",
            95.0,
            "bkwk.cn (江南政策协同区 = 平房区, 95 km²); hljszw.org.cn yearbook (平房区 94 km²); "
            "indicative extent",
            "District boundary not embedded; indicative shape around 平房公园 and 新疆大街, "
            "south of the G1001 ring, scaled to 95 km².",
            pingfang,
        ),
        zone(
            "cbz_phase1",
            "哈尔滨综合保税区(一期)",
            "Harbin Comprehensive Bonded Zone (phase 1)",
            "cbz",
            "cbz",
            3.29,
            "hlj.sina.com.cn 2016-09-11 (香坊区, customs gate); area commonly cited; "
            "estimated centre",
            "Area 3.29 km² commonly cited, not confirmed. Location not published: centre "
            "estimated at about 45.690, 126.790 (low confidence), south-east of the container "
            "centre beyond the 滨绥 railway; about 2.4 × 1.6 km, notched on the north-west for "
            "the inland port.",
            cbz1,
        ),
        zone(
            "cbz_phase2",
            "哈尔滨综合保税区(二期,临空经济区)",
            "Harbin Comprehensive Bonded Zone (phase 2, airport economic zone)",
            "cbz",
            "cbz",
            None,
            "no source found",
            "site in the airport economic zone; location not published",
            None,
        ),
        zone(
            "airport_zone",
            "哈尔滨临空经济区",
            "Harbin Airport Economic Zone",
            "airport_zone",
            "airport_zone",
            None,
            "ytjhdl 2014 (道里区, 临空局); placeholder extent",
            "Planned area and boundary not published. Placeholder around the airport after "
            "lon 126.20–126.32, lat 45.58–45.66, bent to hold the terminals, both runways, the "
            "aircraft recycling base to the south and the 临空 branch of the second passage.",
            airport,
        ),
        zone(
            "container_centre",
            "哈尔滨国际集装箱中心站",
            "Harbin International Container Centre Station",
            "container_centre",
            "inland_port",
            1.13,
            "heilongjiang dbw.cn 2016-09-16 (1.13 km², 1.5 × 1.0 km); estimated centroid",
            "Area and 1.5 km × 1.0 km extent published; position estimated (centroid about "
            "45.700, 126.760, south of the 滨绥 railway near 新香坊); outline not published.",
            container,
        ),
        zone(
            "inland_port",
            "哈尔滨(国际物流)内陆港",
            "Harbin Inland Port (rail–road intermodal centre)",
            "inland_port",
            "inland_port",
            1.0,
            "hlj.cenn.com 2013 (公铁联运中心 plan, 1.0 km²); estimated position",
            "1.0 km² from the 2013 公铁联运中心 plan; placed between the container centre and "
            "the CBZ around 45.695, 126.775 (low confidence); outline not published.",
            inland,
        ),
    ]


def build_facilities(zones: dict[str, BaseGeometry]) -> list[dict[str, Any]]:
    cbz_gate = round_geom(nearest_points(zones["cbz_phase1"].exterior, Point(CBZ_GATE_SEED))[0])

    def fac(
        id_: str,
        name_zh: str,
        name_en: str,
        kind: str,
        zone: str,
        status: str,
        source: str,
        note: str,
        geom: BaseGeometry | None,
    ) -> dict[str, Any]:
        return feature(
            {
                "id": id_,
                "name_zh": name_zh,
                "name_en": name_en,
                "kind": kind,
                "zone": zone,
                "status": status,
                "location_known": geom is not None,
                "accuracy": ACCURACY,
                "source": source,
                "note": note,
            },
            geom,
        )

    return [
        fac(
            "airport",
            "哈尔滨太平国际机场",
            "Harbin Taiping International Airport",
            "airport",
            "airport_zone",
            "existing",
            "Wikipedia (ARP 45°37′24.25″N 126°15′01.18″E)",
            "Aerodrome reference point; 太平镇, 道里区.",
            point(126.2503278, 45.6234028),
        ),
        fac(
            "airport_t2",
            "太平国际机场T2航站楼",
            "Taiping International Airport Terminal 2",
            "terminal",
            "airport_zone",
            "existing",
            "Amap POI 哈尔滨太平国际机场(迎宾路), converted to WGS-84",
            "Domestic terminal, opened 2018-04-30; landside POI, about 1 km south of T1.",
            point(126.2352, 45.6098),
        ),
        fac(
            "airport_t1",
            "太平国际机场T1航站楼",
            "Taiping International Airport Terminal 1",
            "terminal",
            "airport_zone",
            "existing",
            "public GitHub POI list (probably the T1 side)",
            "International flights; position low confidence (a POI probably on the T1 side).",
            point(126.2434, 45.6224),
        ),
        fac(
            "container_station",
            "哈尔滨国际集装箱中心站",
            "Harbin International Container Centre Station",
            "container_station",
            "container_centre",
            "existing",
            "heilongjiang dbw.cn 2016-09-16 (opened 2015-07-30); estimated position",
            "Gate on the north side road of the yard; position estimated (low confidence).",
            point(*CONTAINER_GATE),
        ),
        fac(
            "inland_port_hub",
            "哈尔滨(国际物流)内陆港",
            "Harbin Inland Port (rail–road intermodal hub)",
            "inland_port",
            "inland_port",
            "existing",
            "hlj.cenn.com 2013 (公铁联运中心 near the container centre); estimated position",
            "Between the container centre and the CBZ as commonly cited; point low "
            "confidence; build-out of the 2013 公铁联运中心 plan not confirmed.",
            point(126.775, 45.695),
        ),
        fac(
            "cbz_gate",
            "综合保税区卡口",
            "Harbin CBZ customs gate",
            "customs_gate",
            "cbz_phase1",
            "existing",
            "hlj.sina.com.cn 2016-09-11 (8-lane gate); haerbin.baogaosu.com 2015-09-11 (香明街)",
            "8-lane customs gate built by 2016 where 香明街 enters the CBZ; placed on the "
            "indicative CBZ boundary (low confidence).",
            cbz_gate,
        ),
        fac(
            "harbin_west",
            "哈尔滨西站",
            "Harbin West Railway Station",
            "rail_station",
            "",
            "existing",
            "Amap POI, converted to WGS-84",
            "High-speed rail station (哈大 HSR, opened 2012-12), 南岗区.",
            point(126.5714, 45.7053),
        ),
        fac(
            "harbin_station",
            "哈尔滨站",
            "Harbin Railway Station",
            "rail_station",
            "",
            "existing",
            "Amap POI, converted to WGS-84",
            "Main station, 南岗区.",
            point(126.6268, 45.7597),
        ),
        fac(
            "harbin_north",
            "哈尔滨北站",
            "Harbin North Railway Station",
            "rail_station",
            "new_area_jiangbei",
            "existing",
            "Amap POI, converted to WGS-84",
            "哈齐 HSR station at 利民, in the New Area north of the Songhua.",
            point(126.5296, 45.8483),
        ),
        fac(
            "harbin_east",
            "哈尔滨东站",
            "Harbin East Railway Station",
            "rail_station",
            "",
            "existing",
            "Amap POI, converted to WGS-84",
            "道外区; the en-wiki coordinates for this station are those of Harbin West.",
            point(126.7056, 45.7860),
        ),
        fac(
            "expo_centre",
            "哈尔滨国际会展体育中心",
            "Harbin International Convention, Exhibition and Sports Center",
            "exhibition",
            "",
            "existing",
            "en-wiki (45.7521, 126.7011 read as GCJ-02), converted to WGS-84",
            "红旗大街, 南岗区; hall of the 哈洽会.",
            point(126.6950, 45.7500),
        ),
        fac(
            "aircraft_recycling",
            "中龙飞机循环再制造基地",
            "Zhonglong aircraft recycling and remanufacturing base",
            "industrial",
            "airport_zone",
            "existing",
            "jctrans/中国民航报 2015-07-09; sdjklhk.com 2020-05-14 (production 2018-06-08)",
            "South side of the airport; point estimated (low confidence).",
            point(126.250, 45.600),
        ),
        fac(
            "new_area_government",
            "哈尔滨新区管委会/哈尔滨市政府",
            "Harbin New Area Administrative Committee / Harbin Municipal Government",
            "government",
            "new_area_jiangbei",
            "existing",
            "zh-wikipedia Harbin infobox (松北区世纪大道1号)",
            "The anchor is the city hall; the New Area committee (and the FTZ area "
            "committee) are believed to share offices there, unverified.",
            point(126.52917, 45.80139),
        ),
        fac(
            "bonded_logistics_b",
            "保税物流中心(B型)",
            "Bonded Logistics Centre (Type B)",
            "logistics",
            "ftz_harbin",
            "planned",
            "no source found",
            "Planned in the FTZ; no name, approval date or site found; location not published.",
            None,
        ),
    ]


def build_river() -> list[dict[str, Any]]:
    return [
        feature(
            {
                "id": "songhua",
                "name_zh": "松花江",
                "name_en": "Songhua River",
                "accuracy": ACCURACY,
                "source": "metro stations (metromancn hb.js, converted to WGS-84); landmarks "
                "太阳岛, 冰雪大世界 (north bank), 中央大街, 友谊宫 (south bank)",
                "note": "centreline traced from anchor points; indicative. Banks, islands and "
                "channel width not embedded.",
            },
            line(SONGHUA),
        )
    ]


def build_districts() -> list[dict[str, Any]]:
    rows = [
        ("songbei", "松北区", "Songbei District", 126.53, 45.82),
        ("hulan", "呼兰区", "Hulan District", 126.59, 45.89),
        ("daoli", "道里区", "Daoli District", 126.58, 45.76),
        ("nangang", "南岗区", "Nangang District", 126.63, 45.74),
        ("daowai", "道外区", "Daowai District", 126.66, 45.78),
        ("xiangfang", "香坊区", "Xiangfang District", 126.68, 45.71),
        ("pingfang", "平房区", "Pingfang District", 126.63, 45.60),
    ]
    return [
        feature(
            {
                "id": id_,
                "name_zh": zh,
                "name_en": en,
                "accuracy": ACCURACY,
                "source": "district names; label position chosen for display",
                "note": "label point only; boundaries not embedded",
            },
            point(lon, lat),
        )
        for id_, zh, en, lon, lat in rows
    ]


def build_projects(zones: dict[str, BaseGeometry], cbz_gate: Point) -> list[dict[str, Any]]:
    main_line = line([*PASSAGE_CITY, TIANPING, *PASSAGE_AIRPORT])
    phase1 = line([TIANPING, *PASSAGE_AIRPORT])
    branch = line(LINKONG_BRANCH)
    art = line(
        [
            *ART_AIRPORT_SIDE,
            *reversed(PASSAGE_AIRPORT),
            TIANPING,
            *reversed(PASSAGE_CITY[4:]),
            (126.5714, 45.7053),  # 哈尔滨西站
        ]
    )
    freight_g1001 = line([*G1001_WEST, *AIRPORT_EXPRESSWAY])
    freight_new = line(FREIGHT_NEW)
    last_mile = line([CONTAINER_GATE, *LAST_MILE_VIA, tuple(cbz_gate.coords[0])])
    hashuang = line(HASHUANG_EXTENSION)
    runway2 = line(RUNWAY_2)
    recycling = scaled_polygon(AIRCRAFT_RECYCLING, 0.30)
    tasks = plan_tasks()

    def proj(
        id_: str,
        task: int | None,
        title_zh: str,
        title_en: str,
        kind: str,
        status: str,
        source: str,
        note: str,
        geom: BaseGeometry | None,
        *,
        lead_unit: str = "",
        speed: float | None = None,
        lanes: int | None = None,
        length: float | None = None,
    ) -> dict[str, Any]:
        # Task number, sub-section, phase and deadline come from the plan's register
        # (data/plan/tasks.csv), never typed per feature.
        if task is None:
            subsection, phase, year = "", None, None
            ref = NOT_A_TASK_NOTE
        else:
            row = tasks[task]
            subsection = row["section"] + row["subsection"]
            phase = row["terms"][-1]
            year = PHASE_YEAR[phase]
            ref = f"{TASK_NOTE} {task}, {subsection}"
        return feature(
            {
                "id": id_,
                "item": task,
                "subsection": subsection,
                "title_zh": title_zh,
                "title_en": title_en,
                "kind": kind,
                "phase": phase,
                "target_year": year,
                "lead_unit": lead_unit,
                "status": status,
                "design_speed_kph": speed,
                "lanes": lanes,
                "length_km_published": length,
                "accuracy": ACCURACY,
                "source": source,
                "note": f"{note} ({ref}).",
            },
            geom,
        )

    return [
        # ---- platform tasks 6-10, section 三 （三） -------------------------------------------
        proj(
            "bonded_logistics_centre_b",
            6,
            "保税物流中心(B型)",
            "Bonded logistics centre (type B)",
            "logistics_platform",
            "unknown",
            "the plan, task 6; site: no source found",
            "In the FTZ Harbin area (New Area); no name, approval date or site found; "
            "location not published",
            None,
        ),
        proj(
            "cbz_phase2_site",
            7,
            "综保区二期(置换入临空经济区)",
            "Bonded zone phase 2 (moved into the airport economic zone)",
            "logistics_platform",
            "unknown",
            "the plan, task 7; site: no source found",
            "Bonded-zone phase 2 moved into the airport economic zone, built on aviation "
            "bonded processing and logistics; location not published",
            None,
        ),
        proj(
            "aircraft_recycling_base",
            7,
            "飞机循环再制造基地(中龙)",
            "Aircraft recycling and remanufacturing base (中龙)",
            "industrial_park",
            "completed",
            "jctrans/中国民航报 2015-07-09 (0.30 km²); sdjklhk.com 2020-05-14 (production "
            "2018-06-08)",
            "The existing industry task 7 builds on: about 0.30 km² on the south side of the "
            "airport (China Aircraft Leasing), production started 2018-06-08 (the status is "
            "the base's, not task 7's); outline indicative around 45.600, 126.250",
            recycling,
        ),
        proj(
            "cbz_phase1_support",
            8,
            "综保区一期配套",
            "Bonded zone phase 1 support facilities",
            "logistics_platform",
            "unknown",
            "the plan, task 8 (香坊区 named); outline: cbz_phase1 zone",
            "Support-company park, staff housing and services inside the bonded zone's "
            "closed area; the plan names 香坊区 to drive it. Drawn as the indicative phase-1 "
            "outline; the sites inside it are not published",
            zones["cbz_phase1"],
            lead_unit="香坊区",
        ),
        proj(
            "airport_express_cluster",
            9,
            "临空快递产业集聚区",
            "Airport express-delivery cluster",
            "logistics_platform",
            "unknown",
            "the plan, task 9; site: no source found",
            "Express-delivery cluster of the airport and the airport economic zone, with "
            "applications for ports of entry (international air mail, chilled aquatic "
            "products, duty-free shops) and bonded aviation fuel; location not published",
            None,
        ),
        proj(
            "airport_demonstration_zone",
            10,
            "临空经济示范区(申报国家批复)",
            "Airport economic demonstration zone (national approval)",
            "logistics_platform",
            "unknown",
            "the plan, task 10; outline: airport_zone placeholder",
            "Approval sought from the NDRC and CAAC for the whole airport economic zone; "
            "drawn as the zone's placeholder outline (its planned area is not published)",
            zones["airport_zone"],
        ),
        # ---- infrastructure tasks 35-40, section 五 （十一） -----------------------------------
        proj(
            "intermodal_centre",
            35,
            "哈尔滨国际物流内陆港(公铁联运中心)",
            "Harbin international logistics inland port (rail–road hub)",
            "logistics_platform",
            "unknown",
            "the plan, task 35; hlj.cenn.com 2013 (1.0 km²)",
            "On the logistics land between the bonded zone and the container centre station, "
            "one multimodal base with both; 1.0 km² rail–road transfer, bonded logistics and "
            "land-port functions (2013 plan); same outline as the inland_port zone "
            "(estimated position); build-out not confirmed",
            zones["inland_port"],
        ),
        proj(
            "inland_port_last_mile",
            35,
            "内陆港“最后一公里”(中心站—综保区)",
            "Inland-port last mile (container centre – bonded zone)",
            "arterial",
            "unknown",
            "the plan, task 35; haerbin.baogaosu.com 2015-09-11 (a new road links the "
            "container centre and the CBZ)",
            "Part of task 35, which also solves the last mile between the centre station and "
            "the bonded zone. About 3 km from the container-centre gate along the north side "
            "road and 香明街 (assumed) to the CBZ gate; alignment not published; 50 km/h "
            "assumed (urban arterial, CJJ 37)",
            last_mile,
            speed=50,
        ),
        proj(
            "airport_second_passage_ph1",
            36,
            "机场第二通道(一期)",
            "Airport second passage, phase 1",
            "urban_expressway",
            "under_construction",
            "hlj.people.com.cn 2021-06-28 (20.44 km, to 天平路); big5.cri.cn 2019-04-12 (route)",
            "Part of task 36. Viaduct from the 机场高速 toll station via 机场高速/机场路 "
            "(老机场路) to 天平路; main bridge 17.15 km; 35.7 亿 yuan; 6 lanes; under "
            "construction in 2021, opening date not found. Design speed 80 km/h assumed "
            "(urban expressway), not published. Alignment indicative",
            phase1,
            speed=80,
            lanes=6,
            length=20.44,
        ),
        proj(
            "airport_second_passage",
            36,
            "机场第二通道(全线)",
            "Airport second passage, full line",
            "urban_expressway",
            "unknown",
            "stllxg.cn 2019-04-15 (35.2 km, sections); big5.cri.cn 2019-04-12 (route)",
            "Part of task 36. Main line 学府路 × 跃兴街 → 伊春路 → 民主大街 → 老机场路 → "
            "机场路延长线 → 机场高速 toll station; 30.4 km = 伊春路 section 5.2 km + 老机场路 "
            "viaduct 25.2 km (6 lanes); the published 35.2 km total includes the 4.8 km 临空 "
            "branch (airport_second_passage_linkong). ART corridor reserved. Completion not "
            "found; design speed 80 km/h assumed. Alignment indicative",
            main_line,
            speed=80,
            lanes=6,
            length=30.4,
        ),
        proj(
            "airport_second_passage_linkong",
            36,
            "机场第二通道(临空经济区支线)",
            "Airport second passage, airport-zone branch",
            "urban_expressway",
            "unknown",
            "stllxg.cn 2019-04-15 (4.8 km, 4 lanes, to 太安路)",
            "Part of task 36. Viaduct west along the planned 机场路延长线 into the airport "
            "economic zone, landing before 太安路. Design speed not published. Completion not "
            "found. Alignment indicative",
            branch,
            lanes=4,
            length=4.8,
        ),
        proj(
            "airport_art_harbin_west",
            37,
            "机场—哈尔滨西站轨道(智轨走廊)",
            "Airport – Harbin West rail link (ART corridor)",
            "rail_art",
            "planned",
            "the plan, task 37 (study); stllxg.cn 2019-04-15 (ART corridor reserved on the "
            "second passage)",
            "The plan asks for a study of an airport light rail / metro linking Harbin West "
            "station; no alignment is published. Drawn as the ART corridor the second passage "
            "reserves, from T2 along the second passage to 哈尔滨西站",
            art,
        ),
        proj(
            "hashuang_north_extension",
            38,
            "哈双北路延长线(接吉林S514)",
            "哈双北路 extension (to Jilin S514)",
            "arterial",
            "planned",
            "the plan, task 38; 道里区志; dbw 2010-05-23 (哈双北线); extension route: no source "
            "found",
            "The plan names the link to Jilin's provincial road S514; its route is not "
            "published. Proxy alignment from the airport's south side toward 双城. Class-1 "
            "highway; 80 km/h assumed (JTG B01-2014: 100/80/60)",
            hashuang,
            speed=80,
        ),
        proj(
            "freight_expressway_g1001",
            39,
            "新区至机场货运专用高速(绕城高速方案)",
            "Freight-only expressway New Area – airport (ring-expressway option)",
            "expressway",
            "planned",
            "the plan, task 39; baike.baidu.hk G1001 (ring sections); corridor: no source found",
            "Alignment option of task 39, which takes the ring expressway as its trunk. "
            "Nothing published on the corridor; proxy alignment: G1001 west section 秦家 → "
            "群力 interchange, then 机场高速 to the airport toll station. 100 km/h (trucks 80) "
            "from the expressway standard",
            freight_g1001,
            speed=100,
        ),
        proj(
            "freight_expressway_new",
            39,
            "新区至机场货运专用高速(新线方案)",
            "Freight-only expressway New Area – airport (new-alignment option)",
            "expressway",
            "planned",
            "the plan, task 39; corridor: no source found",
            "Alignment option of task 39, compared with the ring-expressway option. Nothing "
            "published on the corridor; proxy alignment from 松北 across the Songhua west of "
            "the city to the airport from the north. 100 km/h (trucks 80) from the expressway "
            "standard",
            freight_new,
            speed=100,
        ),
        proj(
            "digital_sanqu_5g",
            40,
            "数字“三区一港”(5G全覆盖)",
            "Digital 三区一港 (5G coverage)",
            "digital",
            "unknown",
            "the plan, task 40",
            "5G coverage of all four areas and industrial-internet use; no site of its own; "
            "location not published",
            None,
        ),
        # ---- not a task of the plan --------------------------------------------------------
        proj(
            "airport_phase2",
            None,
            "太平国际机场第二跑道(非方案任务)",
            "Taiping airport second runway (not a plan task)",
            "airport",
            "completed",
            "CNS 2025-01-23 (in service); qq.com 2024-10-19; Wikipedia (runway 1)",
            "Context only: runway 2 of the airport's phase-2 expansion, 3600 × 45 m, 760 m "
            "east of and parallel to runway 1; work started 2022-08, in service 2025-01-23. "
            "Ends derived assuming it shares runway 1's mid-point (low confidence)",
            runway2,
            length=3.6,
        ),
    ]


#: The embedded places that carry a role (see sanqu_geo.layers.PLACE_ROLES).
ROLE_OF_ID = {
    "airport": "airport",
    "container_station": "container_centre",
    "inland_port_hub": "inland_port",
    "harbin_west": "rail_station",
    "cbz_phase1": "bonded_zone",
    "ftz_harbin": "ftz",
    "new_area_jiangbei": "new_area",
}


def feature(props: dict[str, Any], geom: BaseGeometry | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _coords(seq: Any) -> list[list[float]]:
    return [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in seq]


def geometry_json(geom: BaseGeometry | None) -> dict[str, Any] | None:
    if geom is None:
        return None
    if isinstance(geom, Point):
        return {"type": "Point", "coordinates": _coords(geom.coords)[0]}
    if isinstance(geom, LineString):
        return {"type": "LineString", "coordinates": _coords(geom.coords)}
    if isinstance(geom, Polygon):
        rings = [geom.exterior, *geom.interiors]
        return {"type": "Polygon", "coordinates": [_coords(r.coords) for r in rings]}
    raise TypeError(f"unsupported geometry {geom.geom_type}")


def write_collection(path: Path, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection, one feature per line, atomically."""
    lines = [
        json.dumps(
            {**f, "geometry": geometry_json(f["geometry"])},
            ensure_ascii=False,
            separators=(", ", ": "),
        )
        for f in features
    ]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
    json.loads(text)  # must parse
    write_text(path, text)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

ZONE_KEYS = [
    "id",
    "name_zh",
    "name_en",
    "short_zh",
    "short_en",
    "kind",
    "group",
    "area_km2_published",
    "accuracy",
    "source",
    "note",
    "role",
]
FACILITY_KEYS = [
    "id",
    "name_zh",
    "name_en",
    "short_zh",
    "short_en",
    "kind",
    "zone",
    "status",
    "location_known",
    "accuracy",
    "source",
    "note",
    "role",
]
SIMPLE_KEYS = ["id", "name_zh", "name_en", "accuracy", "source", "note"]
PROJECT_KEYS = [
    "id",
    "item",
    "subsection",
    "title_zh",
    "title_en",
    "kind",
    "phase",
    "target_year",
    "lead_unit",
    "status",
    "design_speed_kph",
    "lanes",
    "length_km_published",
    "accuracy",
    "source",
    "note",
]
FACILITY_KINDS = {
    "airport",
    "terminal",
    "container_station",
    "inland_port",
    "customs_gate",
    "rail_station",
    "exhibition",
    "industrial",
    "government",
    "logistics",
}
PROJECT_KINDS = {
    "expressway",
    "urban_expressway",
    "arterial",
    "rail_art",
    "airport",
    "logistics_platform",
    "industrial_park",
    "digital",
}
NULL_GEOMETRY_IDS = {
    "cbz_phase2",
    "bonded_logistics_b",
    "cbz_phase2_site",
    "bonded_logistics_centre_b",
    "airport_express_cluster",
    "digital_sanqu_5g",
}
#: Tasks of the plan that must have at least one feature: the platform tasks of 三（三）
#: and the infrastructure tasks of 五（十一）.
TASKS_WITH_FEATURES = set(range(6, 11)) | set(range(35, 41))
#: The plan's task of every project feature (section 三（三） tasks 6-10, section 五（十一）
#: tasks 35-40), written out a second time so that a feature moved to another task is caught;
#: None: not a plan task.
FEATURE_TASKS: dict[str, int | None] = {
    "bonded_logistics_centre_b": 6,
    "cbz_phase2_site": 7,
    "aircraft_recycling_base": 7,
    "cbz_phase1_support": 8,
    "airport_express_cluster": 9,
    "airport_demonstration_zone": 10,
    "intermodal_centre": 35,
    "inland_port_last_mile": 35,
    "airport_second_passage_ph1": 36,
    "airport_second_passage": 36,
    "airport_second_passage_linkong": 36,
    "airport_art_harbin_west": 37,
    "hashuang_north_extension": 38,
    "freight_expressway_g1001": 39,
    "freight_expressway_new": 39,
    "digital_sanqu_5g": 40,
    "airport_phase2": None,
}
#: Lead units the plan names for a task (only 香坊区, for task 8).
LEAD_UNITS_IN_PLAN: dict[int | None, tuple[str, ...]] = {8: ("香坊区",)}
AREA_TARGETS = {
    "ftz_harbin": 79.86,
    "new_area_jiangbei": 398.0,
    "new_area_pingfang": 95.0,
    "cbz_phase1": 3.29,
    "container_centre": 1.13,
    "inland_port": 1.0,
    "aircraft_recycling_base": 0.30,
    "intermodal_centre": 1.0,
}


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.errors.append(message)


def validate(layers: dict[str, list[dict[str, Any]]]) -> list[str]:
    c = Checker()
    schemas = {
        "zones": ZONE_KEYS,
        "facilities": FACILITY_KEYS,
        "river": SIMPLE_KEYS,
        "districts": SIMPLE_KEYS,
        "projects": PROJECT_KEYS,
    }
    all_ids: dict[str, set[str]] = {}
    xmin, ymin, xmax, ymax = HARBIN_BBOX
    harbin = box(xmin, ymin, xmax, ymax)
    for name, features in layers.items():
        ids = [f["properties"]["id"] for f in features]
        c.check(len(ids) == len(set(ids)), f"{name}: duplicate ids")
        all_ids[name] = set(ids)
        for f in features:
            p, g, fid = f["properties"], f["geometry"], f["properties"]["id"]
            c.check(list(p) == schemas[name], f"{name}/{fid}: properties {list(p)}")
            c.check(p["accuracy"] == ACCURACY, f"{name}/{fid}: accuracy")
            c.check(bool(p["source"]) and bool(p["note"]), f"{name}/{fid}: source/note")
            if g is None:
                c.check(fid in NULL_GEOMETRY_IDS, f"{name}/{fid}: unexpected null geometry")
                continue
            c.check(fid not in NULL_GEOMETRY_IDS, f"{name}/{fid}: should have null geometry")
            c.check(not g.is_empty, f"{name}/{fid}: empty geometry")
            c.check(g.is_valid, f"{name}/{fid}: invalid ({shapely.is_valid_reason(g)})")
            c.check(harbin.contains(g), f"{name}/{fid}: outside the Harbin bbox")
            c.check(round_geom(g).equals_exact(g, 0), f"{name}/{fid}: not rounded")
            if isinstance(g, Polygon):
                c.check(g.exterior.is_ccw, f"{name}/{fid}: exterior ring not CCW")
            if isinstance(g, LineString) and fid != "airport_phase2":
                seg = max_segment_km(g)
                c.check(seg <= MAX_SEGMENT_KM, f"{name}/{fid}: segment of {seg:.2f} km")

    zones = {f["properties"]["id"]: f["geometry"] for f in layers["zones"]}
    facilities = {f["properties"]["id"]: f for f in layers["facilities"]}
    projects = {f["properties"]["id"]: f for f in layers["projects"]}
    river = layers["river"][0]["geometry"]

    # areas
    for fid, target in AREA_TARGETS.items():
        g = zones.get(fid) or projects[fid]["geometry"]
        err = abs(area_km2(g) / target - 1)
        c.check(err <= AREA_TOLERANCE, f"{fid}: area off by {err:.2%}")
    new_area = area_km2(zones["new_area_jiangbei"]) + area_km2(zones["new_area_pingfang"])
    c.check(abs(new_area / 493 - 1) <= AREA_TOLERANCE, f"New Area total {new_area:.2f}")

    # zone relations
    c.check(zones["new_area_jiangbei"].contains(zones["ftz_harbin"]), "FTZ not in Jiangbei")
    for name, lon, lat in [
        ("哈尔滨北站", 126.5296, 45.8483),
        ("利民", 126.553, 45.874),
        ("city hall", 126.52917, 45.80139),
    ]:
        c.check(zones["new_area_jiangbei"].contains(Point(lon, lat)), f"{name} not in Jiangbei")
    for name, lon, lat in [("平房公园", 126.6305, 45.5936), ("新疆大街", 126.6271, 45.6039)]:
        c.check(zones["new_area_pingfang"].contains(Point(lon, lat)), f"{name} not in Pingfang")
    c.check(
        metric_distance_m(zones["new_area_jiangbei"], river) >= 300,
        "Jiangbei too close to (or across) the Songhua centreline",
    )
    c.check(
        not zones["new_area_jiangbei"].intersects(zones["new_area_pingfang"]),
        "New Area parts overlap",
    )
    for a, b in [
        ("inland_port", "container_centre"),
        ("inland_port", "cbz_phase1"),
        ("container_centre", "cbz_phase1"),
    ]:
        gap = metric_distance_m(zones[a], zones[b])
        c.check(gap >= 50, f"{a} and {b} closer than 50 m ({gap:.0f} m)")
    container_c = to_metric(zones["container_centre"]).centroid
    cbz_c = to_metric(zones["cbz_phase1"]).centroid
    port_c = to_metric(zones["inland_port"]).centroid
    c.check(
        container_c.distance(to_metric(Point(126.760, 45.700))) <= 100,
        "container centroid far from 45.700, 126.760",
    )
    c.check(
        cbz_c.distance(to_metric(Point(126.790, 45.690))) <= 500,
        "CBZ centroid far from 45.690, 126.790",
    )
    c.check(
        port_c.distance(to_metric(Point(126.775, 45.695))) <= 300,
        "inland port centroid far from 45.695, 126.775",
    )
    c.check(
        container_c.x < port_c.x < cbz_c.x,
        "inland port not between container centre and CBZ (E-W)",
    )
    minx, miny, maxx, maxy = to_metric(zones["container_centre"]).bounds
    c.check(
        abs((maxx - minx) - 1500) <= 100 and abs((maxy - miny) - 1000) <= 100,
        f"container box {maxx - minx:.0f} x {maxy - miny:.0f} m",
    )

    # facilities inside their zones
    for fid, f in facilities.items():
        p, g = f["properties"], f["geometry"]
        c.check(p["kind"] in FACILITY_KINDS, f"{fid}: kind {p['kind']}")
        c.check(p["status"] in {"existing", "planned", "under_construction"}, f"{fid}: status")
        c.check(p["location_known"] is (g is not None), f"{fid}: location_known")
        c.check(p["zone"] == "" or p["zone"] in all_ids["zones"], f"{fid}: zone {p['zone']}")
        if g is None or not p["zone"] or zones[p["zone"]] is None:
            continue
        if fid == "cbz_gate":
            d = metric_distance_m(g, zones["cbz_phase1"].exterior)
            c.check(d <= 50, f"cbz_gate {d:.0f} m from the CBZ boundary")
        else:
            c.check(zones[p["zone"]].contains(g), f"{fid} not inside {p['zone']}")

    # river sides
    for name, lon, lat, north in [
        ("太阳岛", 126.5819, 45.7826, True),
        ("冰雪大世界", 126.5617, 45.7766, True),
        ("中央大街", 126.610, 45.767, False),
        ("友谊宫", 126.6063, 45.7751, False),
        ("公路大桥", 126.5897, 45.7563, False),
        ("哈尔滨东站", 126.7056, 45.7860, False),
        ("哈尔滨北站", 126.5296, 45.8483, True),
    ]:
        c.check((lat > river_lat(lon)) is north, f"{name} on the wrong side of the Songhua")

    # projects: task number, sub-section, phase and deadline exactly as the plan's register
    tasks = plan_tasks()
    c.check(sorted(tasks) == list(range(1, 41)), "the register does not hold tasks 1-40")
    airport_zone = zones["airport_zone"]
    for fid, f in projects.items():
        p, g = f["properties"], f["geometry"]
        c.check(p["kind"] in PROJECT_KINDS, f"{fid}: kind {p['kind']}")
        c.check(
            p["status"] in {"planned", "under_construction", "completed", "unknown"},
            f"{fid}: status",
        )
        task = p["item"]
        if task is None:
            c.check(
                p["phase"] is None and p["target_year"] is None and p["subsection"] == "",
                f"{fid}: not a plan task, yet it has a phase, year or sub-section",
            )
            c.check(NOT_A_TASK_NOTE in p["note"], f"{fid}: note must say it is not a plan task")
            c.check("非方案任务" in p["title_zh"], f"{fid}: title_zh must say 非方案任务")
            c.check("not a plan task" in p["title_en"], f"{fid}: title_en must say so")
        else:
            row = tasks.get(task)
            c.check(row is not None, f"{fid}: task {task} is not in the register")
            if row is not None:
                c.check(
                    p["subsection"] == row["section"] + row["subsection"],
                    f"{fid}: sub-section {p['subsection']}",
                )
                c.check(p["phase"] == row["terms"][-1], f"{fid}: phase {p['phase']}")
            c.check(p["phase"] in PHASE_YEAR, f"{fid}: phase {p['phase']}")
            c.check(p["target_year"] == PHASE_YEAR.get(p["phase"]), f"{fid}: target_year")
            c.check(f"{TASK_NOTE} {task}, " in p["note"], f"{fid}: task note")
        c.check(
            p["lead_unit"] in {"", *LEAD_UNITS_IN_PLAN.get(task, ())},
            f"{fid}: lead unit {p['lead_unit']!r} is not named by the plan",
        )
        if g is None:
            c.check("location not published" in p["note"].lower(), f"{fid}: null note")
        published = p["length_km_published"]
        if published is not None:
            err = abs(length_km(g) / published - 1)
            c.check(err <= LENGTH_TOLERANCE, f"{fid}: length off by {err:.1%}")
    got = {fid: f["properties"]["item"] for fid, f in projects.items()}
    for fid in sorted(set(got) | set(FEATURE_TASKS)):
        c.check(
            got.get(fid, "missing") == FEATURE_TASKS.get(fid, "missing"),
            f"{fid}: task {got.get(fid, 'missing')}, FEATURE_TASKS says "
            f"{FEATURE_TASKS.get(fid, 'missing')}",
        )
    covered = {f["properties"]["item"] for f in projects.values()}
    c.check(
        TASKS_WITH_FEATURES <= covered, f"tasks without a feature: {TASKS_WITH_FEATURES - covered}"
    )
    for fid in ["airport_phase2", "aircraft_recycling_base"]:
        c.check(airport_zone.contains(projects[fid]["geometry"]), f"{fid} not in airport_zone")
    c.check(
        airport_zone.buffer(1e-9).contains(projects["airport_second_passage_linkong"]["geometry"]),
        "临空 branch not in airport_zone",
    )
    c.check(
        not projects["aircraft_recycling_base"]["geometry"].intersects(
            projects["airport_phase2"]["geometry"]
        ),
        "recycling base on runway 2",
    )
    for fid, zid in [
        ("cbz_phase1_support", "cbz_phase1"),
        ("airport_demonstration_zone", "airport_zone"),
        ("intermodal_centre", "inland_port"),
    ]:
        c.check(projects[fid]["geometry"].equals_exact(zones[zid], 0), f"{fid} differs from {zid}")
    art = projects["airport_art_harbin_west"]["geometry"]
    c.check(art.coords[0] == facilities["airport_t2"]["geometry"].coords[0], "ART start")
    c.check(art.coords[-1] == facilities["harbin_west"]["geometry"].coords[0], "ART end")
    lm = projects["inland_port_last_mile"]["geometry"]
    c.check(
        lm.coords[0] == facilities["container_station"]["geometry"].coords[0]
        and lm.coords[-1] == facilities["cbz_gate"]["geometry"].coords[0],
        "last mile does not join the two gates",
    )
    c.check(2.5 <= length_km(lm) <= 4.5, f"last mile {length_km(lm):.2f} km")
    inside_yard_m = to_metric(lm.intersection(zones["container_centre"])).length
    c.check(
        not lm.intersects(zones["inland_port"]) and inside_yard_m <= 100,
        "last mile crosses the inland port or the container yard",
    )
    for fid in ["freight_expressway_g1001", "freight_expressway_new"]:
        c.check(projects[fid]["geometry"].crosses(river), f"{fid} does not cross the Songhua")
    return c.errors


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def report(layers: dict[str, list[dict[str, Any]]]) -> None:
    def target_of(fid: str, props: dict[str, Any]) -> float | None:
        return AREA_TARGETS.get(fid) or props.get("length_km_published")

    rows: list[tuple[str, str, str, float, float | None]] = []
    for name in ["zones", "projects", "river"]:
        for f in layers[name]:
            g, p = f["geometry"], f["properties"]
            if g is None or isinstance(g, Point):
                continue
            if isinstance(g, Polygon):
                rows.append((name, p["id"], "km²", area_km2(g), target_of(p["id"], p)))
            else:
                rows.append((name, p["id"], "km", length_km(g), target_of(p["id"], p)))
    print(f"{'layer':<9} {'id':<32} {'value':>10} {'unit':<4} {'target':>8} {'diff':>8}")
    for name, fid, unit, value, target in rows:
        t = f"{target:8.2f}" if target else f"{'-':>8}"
        d = f"{value / target - 1:+8.2%}" if target else f"{'-':>8}"
        print(f"{name:<9} {fid:<32} {value:10.3f} {unit:<4} {t} {d}")
    zones = {f["properties"]["id"]: f["geometry"] for f in layers["zones"]}
    total = area_km2(zones["new_area_jiangbei"]) + area_km2(zones["new_area_pingfang"])
    diff = total / 493 - 1
    print(f"{'zones':<9} {'New Area total':<32} {total:10.3f} km²  {493:8.2f} {diff:+8.2%}")
    for name, features in layers.items():
        print(f"{name}: {len(features)} features")


# --------------------------------------------------------------------------------------------


# Short labels for tables and map legends, where the full official name is too long.
SHORT_NAMES: dict[str, tuple[str, str]] = {
    "ftz_harbin": ("自贸区哈尔滨片区", "FTZ Harbin"),
    "new_area_jiangbei": ("新区江北", "New Area Jiangbei"),
    "new_area_pingfang": ("新区平房", "New Area Pingfang"),
    "cbz_phase1": ("综保区一期", "CBZ phase 1"),
    "cbz_phase2": ("综保区二期", "CBZ phase 2"),
    "airport_zone": ("临空经济区", "Airport zone"),
    "container_centre": ("集装箱中心站", "Container centre"),
    "inland_port": ("内陆港", "Inland port"),
    "airport": ("太平机场", "Taiping Airport"),
    "airport_t2": ("机场T2", "Airport T2"),
    "airport_t1": ("机场T1", "Airport T1"),
    "container_station": ("集装箱中心站", "Container station"),
    "inland_port_hub": ("内陆港", "Inland port"),
    "cbz_gate": ("综保区卡口", "CBZ gate"),
    "harbin_west": ("哈尔滨西站", "Harbin West"),
    "harbin_station": ("哈尔滨站", "Harbin Station"),
    "harbin_north": ("哈尔滨北站", "Harbin North"),
    "harbin_east": ("哈尔滨东站", "Harbin East"),
    "expo_centre": ("会展中心", "Expo centre"),
    "aircraft_recycling": ("飞机再制造基地", "Aircraft recycling"),
    "new_area_government": ("新区管委会", "New Area admin"),
    "bonded_logistics_b": ("保税物流中心B型", "Bonded logistics B"),
}


def add_short_names(features: list[dict[str, Any]]) -> None:
    """Insert ``short_zh``/``short_en`` after ``name_en``, keeping the key order."""
    for f in features:
        props = f["properties"]
        zh, en = SHORT_NAMES[props["id"]]
        new: dict[str, Any] = {}
        for key, value in props.items():
            new[key] = value
            if key == "name_en":
                new["short_zh"], new["short_en"] = zh, en
        f["properties"] = new


def main() -> int:
    zones = build_zones()
    zone_geoms = {f["properties"]["id"]: f["geometry"] for f in zones}
    facilities = build_facilities(zone_geoms)
    cbz_gate = next(f for f in facilities if f["properties"]["id"] == "cbz_gate")["geometry"]
    add_short_names(zones)
    add_short_names(facilities)
    for f in (*zones, *facilities):  # the places the main jobs need, by role
        f["properties"]["role"] = ROLE_OF_ID.get(f["properties"]["id"], "")
    layers = {
        "zones": zones,
        "facilities": facilities,
        "river": build_river(),
        "districts": build_districts(),
        "projects": build_projects(zone_geoms, cbz_gate),
    }
    report(layers)
    errors = validate(layers)
    if errors:
        print("\nvalidation failed; nothing written:", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    outputs: dict[str, Path] = {
        "zones": BOUNDARIES / "zones.geojson",
        "facilities": BOUNDARIES / "facilities.geojson",
        "river": BOUNDARIES / "river.geojson",
        "districts": BOUNDARIES / "districts.geojson",
        "projects": PROJECTS / "projects.geojson",
    }
    for name, path in outputs.items():
        write_collection(path, layers[name])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
