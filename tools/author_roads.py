"""Author the embedded trunk road network of sanqu-geo: ``data/roads/trunk.geojson``.

The network is built from a table of named junctions (lon, lat; WGS-84) and road definitions
that run through those junctions, through metro stations and other published anchor points,
and through a few shape points. Roads that meet share the junction's exact coordinates by
construction; roads that cross without an interchange (an expressway over or under another
road) share no vertex, so a graph built from the file never connects them.

Every feature is indicative: alignments follow published anchor points (metro stations,
railway stations, terminals, zone estimates) and published lengths, not a survey.

The script checks the network before it writes anything and prints a report: geometry
validity, one connected graph, kilometres by road class, the ring lengths against the
published ones, grade-separated crossings, distances from every facility and zone to the
network, and the drive time from Harbin station to the airport's T2. Output is deterministic:
re-running gives a byte-identical file.

Run from anywhere: ``python tools/author_roads.py``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely
from author_layers import (  # the script's own folder is on sys.path
    AIRPORT_EXPRESSWAY,
    HASHUANG_EXTENSION,
    PASSAGE_AIRPORT,
    TIANPING,
)
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from sanqu_geo._atomic import write_text

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "data" / "roads" / "trunk.geojson"
BOUNDARIES = ROOT / "data" / "boundaries"

METRIC_CRS = "EPSG:4551"  # CGCS2000 / 3-degree Gauss-Kruger CM 126E
DECIMALS = 6
ACCURACY = "indicative"
DEFAULT_SPEED_KPH = 50  # used for the report's drive times where maxspeed is null

FACILITY_LIMIT_M = 1500.0
ZONE_LIMIT_M = 1000.0
RING_LIMITS_KM = (85.0, 100.0)
STATION_T2_MINUTES = (30.0, 45.0)

#: Classes a facility may be snapped to (the routing layer's access classes).
ACCESS_CLASSES = ("motorway", "trunk", "primary", "secondary")
CLASS_ORDER = ("motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary")

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

LonLat = tuple[float, float]

# --------------------------------------------------------------------------------------------
# Anchor points, as published (lat, lon; WGS-84). harbin-facts Annex A (metro stations,
# converted from GCJ-02), Annex B and sections 1-10.
# --------------------------------------------------------------------------------------------

ANCHORS_LATLON: dict[str, tuple[float, float]] = {
    # Metro line 1
    "哈尔滨东站(L1)": (45.78728, 126.70300),
    "桦树街": (45.78605, 126.69193),
    "交通学院": (45.78575, 126.68142),
    "工程大学": (45.77349, 126.66204),
    "烟厂": (45.76677, 126.64992),
    "医大一院": (45.76212, 126.64446),
    "铁路局": (45.74958, 126.63005),
    "哈工大": (45.74264, 126.62182),
    "和兴路": (45.73049, 126.60953),
    "学府路": (45.72053, 126.60397),
    "理工大学": (45.71293, 126.60596),
    "黑龙江大学": (45.70504, 126.60768),
    "哈达": (45.68127, 126.61290),
    "哈尔滨南站": (45.66798, 126.61584),
    "同江路": (45.65430, 126.61881),
    "镜泊路": (45.63022, 126.63097),
    "渤海路": (45.61340, 126.64189),
    "新疆大街": (45.60394, 126.62706),
    # Metro line 2
    "江北大学城": (45.87110, 126.53753),
    "哈尔滨北站(L2)": (45.85034, 126.53156),
    "大耿家": (45.83305, 126.53487),
    "世茂大道": (45.80472, 126.54639),
    "工人文化宫": (45.74805, 126.64792),
    "省政府": (45.74047, 126.65740),
    "省医院": (45.73472, 126.67121),
    "南直路": (45.73287, 126.69983),
    "东北农业大学": (45.72762, 126.71788),
    # Metro line 3 (ring)
    "群力第五大道": (45.72879, 126.53941),
    "医大一院群力院区": (45.72259, 126.54565),
    "哈尔滨西站(L3)": (45.70434, 126.57328),
    "凯盛源广场": (45.69935, 126.57940),
    "哈西大街": (45.69373, 126.59097),
    "征仪路": (45.69760, 126.62850),
    "肿瘤医院": (45.69850, 126.63720),
    "旭升街": (45.70040, 126.65809),
    "劳动公园": (45.69895, 126.66914),
    "汽轮机厂": (45.71248, 126.68350),
    "公滨路(L3)": (45.72876, 126.68506),
    "湘江路": (45.74036, 126.68840),
    "会展中心": (45.74843, 126.69057),
    "海河东路": (45.75785, 126.68855),
    "市第二医院": (45.76524, 126.68665),
    "大有坊街": (45.77314, 126.68469),
    "靖宇公园": (45.78687, 126.66157),
    "清真寺": (45.78623, 126.64563),
    "中华巴洛克街区": (45.78244, 126.63642),
    "北马路": (45.77848, 126.62846),
    "兆麟公园": (45.77737, 126.61821),
    "友谊宫": (45.77509, 126.60627),
    "人民广场": (45.77151, 126.59818),
    "上海街": (45.76377, 126.59116),
    "河松街": (45.74703, 126.58802),
    "河山街": (45.74130, 126.57853),
    "丁香公园": (45.73903, 126.56194),
    "体育公园": (45.73666, 126.54427),
    # Other anchors (harbin-facts Annex B and sections 1, 5, 8, 9, 10)
    "杉杉奥莱": (45.8744, 126.5533),
    "伏尔加庄园": (45.6692, 126.8936),
    "新区政府": (45.80139, 126.52917),
    "T1航站楼侧": (45.6224, 126.2434),
    "飞机循环再制造基地": (45.6000, 126.2500),
    "双城方向": (45.3800, 126.3100),
}


def anchor(name: str) -> LonLat:
    """Return an anchor as (lon, lat)."""
    lat, lon = ANCHORS_LATLON[name]
    return (lon, lat)


# --------------------------------------------------------------------------------------------
# Junctions (lon, lat). A junction is a vertex shared by every road that meets there; the
# features are split at junctions. Comments say what placed each one.
# --------------------------------------------------------------------------------------------

JUNCTIONS: dict[str, LonLat] = {
    # G1001 ring (harbin-facts §8): 10 interchanges plus the ends of its bridges and tunnel.
    "瓦盆窑立交": (126.62754, 45.64348),  # metro 瓦盆窑 (哈平路)
    "哈大立交": (126.5720, 45.6400),
    "哈双立交": (126.4950, 45.6600),
    "群力立交": (126.5000, 45.7200),
    "绕城西桥南": (126.4745, 45.7630),
    "绕城西桥北": (126.4700, 45.7770),
    "松北西立交": (126.4660, 45.8120),
    "秦家立交": (126.5360, 45.8850),
    "松花江特大桥北": (126.7700, 45.8160),
    "松花江特大桥南": (126.7780, 45.7955),
    "天恒山隧道北": (126.7810, 45.7905),
    "天恒山隧道南": (126.7885, 45.7765),
    "东风立交": (126.8000, 45.7650),
    "哈牡立交": (126.8180, 45.7350),
    "公滨路立交": (126.8180, 45.7030),
    "哈成路立交": (126.8120, 45.6730),
    # 二环 (through the metro line 3 ring)
    "零公里立交": (126.5490, 45.7199),
    "城乡路": (126.56160, 45.71008),  # metro 城乡路
    "医大二院": (126.60979, 45.69556),
    "进乡街": (126.68022, 45.70269),
    "香坊站": (126.6745, 45.7205),
    "二环中山路": (126.6745, 45.7347),
    "太平桥": (126.67189, 45.78233),
    "公路大桥站": (126.58968, 45.75631),
    # 三环
    "阳明滩大桥南": (126.5160, 45.7640),
    "阳明滩大桥北": (126.5090, 45.7850),
    "三环世纪大道": (126.5120, 45.8028),
    "三环世茂大道": (126.5445, 45.8140),
    "松浦大桥北": (126.6720, 45.8090),
    "松浦大桥南": (126.6860, 45.7895),
    "三环哈东站": (126.7090, 45.7885),
    "三环长江路": (126.7385, 45.7250),
    "三环公滨路": (126.7400, 45.7158),
    "三环哈成路": (126.7395, 45.6890),
    "三环哈平路": (126.6132, 45.6800),
    "齿轮路口": (126.5650, 45.6815),
    "三环机场路": (126.5220, 45.7125),
    # City arterials
    "博物馆": (126.63783, 45.75646),
    "西大桥": (126.61520, 45.73692),
    "跃兴街": (126.6050, 45.7150),
    "红旗大街北口": (126.6850, 45.7859),
    "珠江路": (126.68663, 45.73458),
    "油坊街": (126.68443, 45.72125),
    # Songhua highway bridge and 松北 / 利民
    "公路大桥南桥头": (126.5875, 45.7690),
    "公路大桥北桥头": (126.5780, 45.7900),
    "世茂世纪": (126.5485, 45.8020),
    "龙川路": (126.54353, 45.82142),
    # East logistics cluster (container centre, inland port, CBZ)
    "集装箱路口": (126.7630, 45.7125),
    "集装箱中心站北门": (126.7630, 45.7052),
    "内陆港北": (126.7790, 45.7055),
    "香明街口": (126.7890, 45.7085),
    "香明街南段": (126.7905, 45.7025),
    "综保区卡口": (126.7925, 45.6976),
    "哈成内陆港路口": (126.7720, 45.6825),
    # Airport
    "机场立交": (126.2620, 45.6500),
    "T1航站楼": anchor("T1航站楼侧"),
    "T2航站楼": (126.2352, 45.6098),
    "公安培训中心": (126.2800, 45.6460),
    "三区道口": (126.2600, 45.5960),
}


# --------------------------------------------------------------------------------------------
# Roads
# --------------------------------------------------------------------------------------------

PathItem = str | LonLat  # junction name, "@anchor name", or a shape point (lon, lat)


@dataclasses.dataclass(frozen=True)
class Special:
    """Overrides for one stretch of a road between two consecutive junctions."""

    name_zh: str
    name_en: str
    bridge: bool
    note: str


@dataclasses.dataclass(frozen=True)
class Road:
    """One named road: a sequence of junctions, anchors and shape points."""

    rid: str
    name_zh: str
    name_en: str
    ref: str
    highway: str
    maxspeed: int | None
    path: tuple[PathItem, ...]
    source: str
    note: str = ""
    lanes: int | None = None
    specials: tuple[tuple[str, str, Special], ...] = ()


STUB = "stub: the expressway continues beyond its drawn end"
ACCESS = "access road, indicative"
NAME_ASSUMED = "road name not in the sources"

ROADS: tuple[Road, ...] = (
    # ---------------------------------------------------------------- expressways
    Road(
        "g1001",
        "哈尔滨绕城高速公路(四环)",
        "Harbin Ring Expressway (4th Ring)",
        "G1001",
        "motorway",
        100,
        (
            "瓦盆窑立交",
            (126.6000, 45.6400),
            "哈大立交",
            (126.5200, 45.6470),
            "哈双立交",
            (126.4910, 45.6850),
            (126.4970, 45.7050),
            "群力立交",
            (126.4920, 45.7310),
            (126.4840, 45.7430),
            (126.4770, 45.7560),
            "绕城西桥南",
            "绕城西桥北",
            (126.4680, 45.7840),
            (126.4660, 45.7980),
            "松北西立交",
            (126.4680, 45.8260),
            (126.4700, 45.8400),
            (126.4900, 45.8680),
            "秦家立交",
            (126.6000, 45.8760),
            (126.6500, 45.8660),
            (126.7000, 45.8500),
            (126.7400, 45.8330),
            "松花江特大桥北",
            "松花江特大桥南",
            "天恒山隧道北",
            "天恒山隧道南",
            "东风立交",
            "哈牡立交",
            "公滨路立交",
            "哈成路立交",
            (126.8100, 45.6450),
            (126.7720, 45.6280),
            (126.7150, 45.6250),
            (126.6650, 45.6320),
            "瓦盆窑立交",
        ),
        "harbin-facts §8 (G1001: 92 km closed ring; 东南段 东风–瓦盆窑 29.3 km; 东北段 "
        "秦家/哈黑–东风 26 km with the 2,325 m 松花江特大桥 and the 天恒山隧道; 10 "
        "interchanges); 瓦盆窑 at metro 瓦盆窑 (Annex A); 群力 interchange = 四环高速群力站 on "
        "the airport expressway (§7); indicative",
        "closed ring; interchanges 瓦盆窑 (哈平路), 哈大 (G1), 哈双 (哈双北线), 群力 (机场高速), "
        "松北西 (世纪大道, G10 哈大齐), 秦家 (利民大道, G1211 哈黑), 东风 (G1011 哈同), 哈牡 (G10), "
        "公滨路, 哈成路; positions of 哈大, 哈双, 松北西, 秦家, 东风, 哈牡 assumed",
        specials=(
            (
                "绕城西桥南",
                "绕城西桥北",
                Special(
                    "绕城高速西段松花江桥",
                    "Ring Expressway west Songhua bridge",
                    True,
                    "crossing implied by the ring closing through 松北; name and position "
                    "indicative",
                ),
            ),
            (
                "松花江特大桥北",
                "松花江特大桥南",
                Special(
                    "绕城高速松花江特大桥",
                    "Ring Expressway Songhua Grand Bridge",
                    True,
                    "published length 2,325 m (harbin-facts §8); position indicative",
                ),
            ),
            (
                "天恒山隧道北",
                "天恒山隧道南",
                Special(
                    "天恒山隧道",
                    "Tianheng Shan tunnel",
                    False,
                    "tunnel, published length 1.66–1.69 km (harbin-facts §8); position indicative",
                ),
            ),
        ),
    ),
    Road(
        "airport-expressway",
        "哈尔滨机场高速公路",
        "Harbin Airport Expressway",
        "",
        "motorway",
        100,
        (
            "零公里立交",
            (126.5200, 45.7210),
            "群力立交",
            # the same vertices as the freight-corridor proxy in the projects layer
            *AIRPORT_EXPRESSWAY[:14],
            "机场立交",
        ),
        "harbin-facts §7 (0 km at the 零公里 interchange in the city west; entries at "
        "四环高速群力站, 登州里, 八里堡; toll station north of the runways) and §5 (ARP, "
        "runway 05/23); indicative",
        "crosses the 三环 west of 零公里 without an interchange; ends at the airport toll "
        "station, continued by 迎宾路",
    ),
    Road(
        "g1-hada",
        "京哈高速(哈大段)",
        "Beijing–Harbin Expressway (Harbin–Dalian section)",
        "G1",
        "motorway",
        100,
        ("哈大立交", (126.5550, 45.6050), (126.5150, 45.5600), (126.4750, 45.5200)),
        "harbin-facts §8 (G1001 links 8 expressways); direction toward 双城/长春; indicative",
        STUB + " south-west toward 双城 and 长春",
    ),
    Road(
        "g1011-hatong",
        "哈同高速",
        "Harbin–Tongjiang Expressway",
        "G1011",
        "motorway",
        100,
        ("东风立交", (126.8500, 45.7880), (126.9300, 45.8000), (127.0000, 45.8120)),
        "harbin-facts §8 (G1001 links 8 expressways); leaves the ring at 东风 along the "
        "south bank; indicative",
        STUB + " east toward 宾县 and 佳木斯",
    ),
    Road(
        "g10-hamu",
        "绥满高速(哈牡段)",
        "Suifenhe–Manzhouli Expressway (Harbin–Mudanjiang section)",
        "G10",
        "motorway",
        100,
        ("哈牡立交", (126.8700, 45.7220), (126.9400, 45.7050), (127.0200, 45.6880)),
        "harbin-facts §8 (G1001 links 8 expressways); indicative",
        STUB + " east toward 尚志 and 牡丹江",
    ),
    Road(
        "g1211-hahei",
        "吉黑高速(哈黑段)",
        "Jilin–Heihe Expressway (Harbin–Heihe section)",
        "G1211",
        "motorway",
        100,
        ("秦家立交", (126.5600, 45.9600), (126.5850, 46.0400)),
        "harbin-facts §8 (东北段 starts at 秦家/哈黑); indicative",
        STUB + " north toward 绥化 and 黑河",
    ),
    Road(
        "g10-hadaqi",
        "绥满高速(哈大齐段)",
        "Suifenhe–Manzhouli Expressway (Harbin–Daqing–Qiqihar section)",
        "G10",
        "motorway",
        100,
        ("松北西立交", (126.4200, 45.8350), (126.3600, 45.8700), (126.3000, 45.8950)),
        "harbin-facts §8 (G1001 links 8 expressways); direction toward 大庆; indicative",
        STUB + " north-west toward 大庆 and 齐齐哈尔",
    ),
    # ---------------------------------------------------------------- urban expressways
    Road(
        "ring-2",
        "二环路",
        "2nd Ring Road",
        "",
        "trunk",
        80,
        (
            "零公里立交",
            "城乡路",
            "@哈尔滨西站(L3)",
            "@凯盛源广场",
            "@哈西大街",
            "医大二院",
            "@征仪路",
            "@肿瘤医院",
            "@旭升街",
            "@劳动公园",
            "进乡街",
            "香坊站",
            "二环中山路",
            (126.6740, 45.7550),
            (126.6730, 45.7700),
            "太平桥",
            "@靖宇公园",
            "@清真寺",
            "@中华巴洛克街区",
            "@北马路",
            "@兆麟公园",
            "@友谊宫",
            "@人民广场",
            "@上海街",
            "公路大桥站",
            "@河松街",
            "@河山街",
            "@丁香公园",
            "@体育公园",
            "@群力第五大道",
            "@医大一院群力院区",
            "零公里立交",
        ),
        "alignment through the metro line 3 ring stations (harbin-facts Annex A), east side "
        "through 香坊站 (Annex B) inside 红旗大街; urban expressway design speed 80 "
        "(CJJ 37, harbin-facts §11); indicative",
        "drawn as a closed ring roughly through the metro line 3 ring",
    ),
    Road(
        "ring-3",
        "三环路",
        "3rd Ring Road",
        "",
        "trunk",
        80,
        (
            "阳明滩大桥南",
            "阳明滩大桥北",
            "三环世纪大道",
            (126.5280, 45.8105),
            "三环世茂大道",
            (126.5800, 45.8215),
            (126.6200, 45.8245),
            (126.6550, 45.8210),
            "松浦大桥北",
            "松浦大桥南",
            "三环哈东站",
            (126.7300, 45.7780),
            (126.7380, 45.7600),
            "三环长江路",
            "三环公滨路",
            "三环哈成路",
            (126.7000, 45.6830),
            (126.6600, 45.6815),
            "三环哈平路",
            (126.5900, 45.6800),
            "齿轮路口",
            (126.5400, 45.6880),
            (126.5260, 45.7000),
            "三环机场路",
            (126.5200, 45.7300),
            (126.5190, 45.7500),
            "阳明滩大桥南",
        ),
        "closed ring outside the metro line 3 ring; crosses the Songhua on the 阳明滩大桥 "
        "(west) and the 松浦大桥 (east); passes 皮革城 in the south-west, where the airport "
        "viaduct crosses it (harbin-facts §7); 气象台 and 哈尔滨东站 (Annex A); urban "
        "expressway design speed 80 (harbin-facts §11); indicative",
        "drawn as a closed ring of indicative size; the airport expressway crosses it without "
        "an interchange",
        specials=(
            (
                "阳明滩大桥南",
                "阳明滩大桥北",
                Special(
                    "阳明滩大桥",
                    "Yangmingtan Bridge",
                    True,
                    "三环 Songhua bridge, west; position indicative",
                ),
            ),
            (
                "松浦大桥北",
                "松浦大桥南",
                Special(
                    "松浦大桥",
                    "Songpu Bridge",
                    True,
                    "三环 Songhua bridge, east; position indicative",
                ),
            ),
        ),
    ),
    # ---------------------------------------------------------------- airport roads
    Road(
        "old-airport-road",
        "机场路(老机场路)",
        "Old Airport Road",
        "",
        "primary",
        60,
        (
            "零公里立交",
            (126.5370, 45.7180),
            (126.5270, 45.7150),
            "三环机场路",
            (126.5190, 45.7100),
            TIANPING,
            # the viaduct of the airport second passage follows this road
            *PASSAGE_AIRPORT[:12],
            "公安培训中心",
        ),
        "harbin-facts §7 (老机场路 rebuilt 2010: 24.4 km from the 机场高速零公里立交 to "
        "公安培训中心; the second-passage viaduct follows it past 富山屯, 皮革城 and 天平路); "
        "class-1 highway at grade with signalised junctions: 60 km/h, the low end of the "
        "facts' 60–80 (harbin-facts §11); indicative",
        "runs south-east of the airport expressway; crosses the G1001 ring without an "
        "interchange (interchange only reserved, harbin-facts §7); the 迎宾路高架 (airport "
        "second passage) above it is a project, not part of this network",
    ),
    Road(
        "hashuang-north",
        "哈双北线",
        "Harbin–Shuangcheng North Road",
        "",
        "primary",
        80,
        (
            "齿轮路口",
            (126.5300, 45.6680),
            "哈双立交",
            (126.4500, 45.6430),
            (126.3800, 45.6200),
            (126.3300, 45.6070),
            (126.2900, 45.5990),
            "三区道口",
            # the same vertices as the 哈双北路 extension in the projects layer
            *HASHUANG_EXTENSION[1:14],
            "@双城方向",
        ),
        "harbin-facts §7, §9 (哈双北线: 齿轮路 → 绕城高速, rebuilt 2010; passes the airport, "
        "reached from its 三区道口; one of the historic Harbin–双城 roads); class-1 highway "
        "80 km/h (harbin-facts §11); indicative",
        "city end at 齿轮路, placed on the 三环; drawn to the 双城 approach (about 45.38, "
        "126.31); a link to Jilin S514 is unverified",
    ),
    Road(
        "yingbin-road",
        "迎宾路",
        "Yingbin Road (airport landside)",
        "",
        "primary",
        None,
        (
            "机场立交",
            (126.2530, 45.6420),
            (126.2440, 45.6310),
            "T1航站楼",
            (126.2330, 45.6170),
            "T2航站楼",
        ),
        "harbin-facts §5 (T2 landside POI on 迎宾路 45.6098, 126.2352; T1 side 45.6224, "
        "126.2434; ARP 45.6234, 126.2503; runway 1 05/23) and §7; indicative",
        "landside road west of the runways from the expressway toll station past T1 to T2",
    ),
    Road(
        "konggang-1",
        "空港一路",
        "Konggang 1st Road",
        "",
        "secondary",
        None,
        ("机场立交", (126.2720, 45.6490), "公安培训中心"),
        "harbin-facts §5 (landside via 迎宾路 and 空港一路/二路/七路); indicative",
        "name from the sources; alignment assumed (links the 老机场路 end to the toll station)",
    ),
    Road(
        "konggang-2",
        "空港二路",
        "Konggang 2nd Road",
        "",
        "secondary",
        None,
        ("公安培训中心", (126.2774, 45.6252), "三区道口"),
        "harbin-facts §5 (landside via 空港一路/二路/七路) and §7 (哈双北线 reached from the "
        "airport's 三区道口); indicative",
        "name from the sources; alignment assumed (east of the runways, clear of both)",
    ),
    Road(
        "airport-south-link",
        "机场南侧连接路",
        "Airport south link road",
        "",
        "secondary",
        None,
        ("三区道口", "@飞机循环再制造基地", (126.2350, 45.6000), "T2航站楼"),
        "harbin-facts §10 (中龙 aircraft recycling base south of the airport, about 45.600, "
        "126.250) and §7 (三区道口); indicative",
        ACCESS + "; " + NAME_ASSUMED + "; passes about 1 km beyond the south-west runway ends",
    ),
    # ---------------------------------------------------------------- Songhua bridge, 松北, 利民
    Road(
        "highway-bridge",
        "松花江公路大桥",
        "Songhua River Highway Bridge",
        "",
        "primary",
        None,
        ("公路大桥站", "公路大桥南桥头", "公路大桥北桥头"),
        "south approach at metro 公路大桥 45.7563, 126.5897, past 太阳岛 (harbin-facts Annex "
        "A); indicative",
        "continues north as 世茂大道",
        specials=(
            (
                "公路大桥南桥头",
                "公路大桥北桥头",
                Special(
                    "松花江公路大桥",
                    "Songhua River Highway Bridge",
                    True,
                    "river crossing; length indicative",
                ),
            ),
        ),
    ),
    Road(
        "shimao-avenue",
        "世茂大道",
        "Shimao Avenue",
        "",
        "primary",
        None,
        (
            "公路大桥北桥头",
            (126.5650, 45.7970),
            "世茂世纪",
            "@世茂大道",
            "三环世茂大道",
            "龙川路",
        ),
        "alignment through metro line 2 stations 世茂大道 and 龙川路 (harbin-facts Annex A); "
        "indicative",
        "main north-south road of 松北 from the highway bridge; continues north as 利民大道",
    ),
    Road(
        "century-avenue",
        "世纪大道",
        "Century Avenue",
        "",
        "primary",
        None,
        ("松北西立交", "三环世纪大道", "@新区政府", "世茂世纪"),
        "through 哈尔滨市政府, 松北区世纪大道1号 (45.80139, 126.52917; harbin-facts §1); "
        "indicative",
        "east–west road of the 松北 centre; reaches the G1001 at the 松北西 interchange",
    ),
    Road(
        "limin-avenue",
        "利民大道",
        "Limin Avenue",
        "",
        "primary",
        None,
        (
            "龙川路",
            "@大耿家",
            "@哈尔滨北站(L2)",
            "@江北大学城",
            "@杉杉奥莱",
            "秦家立交",
        ),
        "alignment through metro line 2 stations 大耿家, 哈尔滨北站, 江北大学城 and 杉杉奥莱 "
        "(利民大道555号) (harbin-facts Annex A, Annex B, §2); indicative",
        "serves 哈尔滨北站 and the 江北大学城; reaches the G1001 at 秦家 (with the 哈黑 "
        "expressway)",
    ),
    # ---------------------------------------------------------------- city arterials
    Road(
        "xidazhi-street",
        "西大直街",
        "Xidazhi Street",
        "",
        "primary",
        None,
        ("博物馆", "@铁路局", "@哈工大", "西大桥"),
        "alignment through metro line 1 stations 博物馆, 铁路局, 哈工大, 西大桥 (harbin-facts "
        "Annex A); indicative",
        "serves 哈尔滨站 (about 0.9 km from 博物馆)",
    ),
    Road(
        "xuefu-road",
        "学府路",
        "Xuefu Road",
        "",
        "primary",
        None,
        (
            "西大桥",
            "@和兴路",
            "@学府路",
            "跃兴街",
            "@理工大学",
            "@黑龙江大学",
            "医大二院",
            "@哈达",
            "三环哈平路",
        ),
        "alignment through metro line 1 stations 和兴路, 学府路, 理工大学, 黑龙江大学, "
        "医大二院, 哈达 (harbin-facts Annex A); 学府路 × 跃兴街 (§7); indicative",
        "continues south as 哈平路",
    ),
    Road(
        "haping-road",
        "哈平路",
        "Harbin–Pingfang Road",
        "",
        "primary",
        None,
        (
            "三环哈平路",
            "@哈尔滨南站",
            "@同江路",
            "瓦盆窑立交",
            "@镜泊路",
            "@渤海路",
            "@新疆大街",
        ),
        "alignment through metro line 1 stations 哈尔滨南站, 同江路, 瓦盆窑, 镜泊路, 渤海路, "
        "新疆大街 (harbin-facts Annex A); indicative",
        "to 平房 (New Area 江南 part); crosses the G1001 at the 瓦盆窑 interchange",
    ),
    Road(
        "dongdazhi-corridor",
        "东大直街—哈东站通道",
        "Dongdazhi Street – Harbin East station corridor",
        "",
        "primary",
        None,
        (
            "博物馆",
            "@医大一院",
            "@烟厂",
            "@工程大学",
            "太平桥",
            "@交通学院",
            "红旗大街北口",
            "@桦树街",
            "@哈尔滨东站(L1)",
            "三环哈东站",
        ),
        "alignment through metro line 1 stations 博物馆 … 哈尔滨东站 (harbin-facts Annex A); "
        "indicative",
        "corridor drawn along metro line 1; street names along it beyond 东大直街 are not in "
        "the sources",
    ),
    Road(
        "zhongshan-road",
        "中山路",
        "Zhongshan Road",
        "",
        "primary",
        None,
        ("博物馆", "@工人文化宫", "@省政府", "@省医院", "二环中山路"),
        "alignment through metro line 2 stations 博物馆, 工人文化宫, 省政府, 省医院 "
        "(harbin-facts Annex A); indicative",
        "continues east as 长江路",
    ),
    Road(
        "changjiang-road",
        "长江路",
        "Changjiang Road",
        "",
        "primary",
        None,
        ("二环中山路", "珠江路", "@南直路", "@东北农业大学", "三环长江路"),
        "alignment through metro line 2 stations 珠江路, 南直路, 东北农业大学, 气象台 "
        "(harbin-facts Annex A); indicative",
        "",
    ),
    Road(
        "hongqi-street",
        "红旗大街",
        "Hongqi Street",
        "",
        "primary",
        None,
        (
            "红旗大街北口",
            "@大有坊街",
            "@市第二医院",
            "@海河东路",
            "@会展中心",
            "@湘江路",
            "珠江路",
            "@公滨路(L3)",
            "油坊街",
            "@汽轮机厂",
            "进乡街",
        ),
        "alignment through metro line 3 stations 大有坊街 … 进乡街, past 会展中心 "
        "(harbin-facts Annex A; 国际会展中心 on 红旗大街, §10); indicative",
        "east-city north–south road; serves the 国际会展体育中心",
    ),
    Road(
        "yichun-road",
        "伊春路",
        "Yichun Road",
        "",
        "primary",
        None,
        ("跃兴街", (126.5940, 45.7110), (126.5800, 45.7090), (126.5700, 45.7095), "城乡路"),
        "harbin-facts §7 (second passage: 学府路 × 跃兴街 → 伊春路; 伊春路/城乡路 roundabout); "
        "metro 城乡路 (Annex A); indicative",
        "links 学府路 with the 二环 at 城乡路 north of 哈尔滨西站",
    ),
    Road(
        "gongbin-road",
        "公滨路",
        "Gongbin Road",
        "",
        "primary",
        None,
        (
            "香坊站",
            "油坊街",
            (126.7100, 45.7190),
            "三环公滨路",
            "集装箱路口",
            "香明街口",
            "公滨路立交",
            (126.8600, 45.6950),
            (126.9100, 45.6750),
            (126.9500, 45.6300),
        ),
        "harbin-facts §6 (公滨路 runs east from 香坊站 45.71949, 126.67318 parallel to the "
        "滨绥 railway); Annex B (万达广场哈东店 45.7155, 126.7542); indicative",
        "continues south-east toward 阿城 beyond its drawn end",
    ),
    Road(
        "hacheng-road",
        "哈成路",
        "Harbin–Chenggaozi Road",
        "",
        "primary",
        None,
        (
            "进乡街",
            (126.7000, 45.6960),
            "三环哈成路",
            (126.7600, 45.6850),
            "哈成内陆港路口",
            (126.7900, 45.6775),
            "哈成路立交",
            (126.8500, 45.6712),
            "@伏尔加庄园",
        ),
        "Annex B (伏尔加庄园, 成高子镇, 哈成路 km 16: 45.6692, 126.8936); passes south of the "
        "container centre, inland port and CBZ estimates (harbin-facts §3, §6); indicative",
        "drawn to 伏尔加庄园 (成高子)",
    ),
    Road(
        "xiangming-street",
        "香明街",
        "Xiangming Street",
        "",
        "primary",
        None,
        ("香明街口", "香明街南段", (126.7925, 45.6995), "综保区卡口"),
        "harbin-facts §3 (香明街 is the road into the CBZ; customs gate on its north-west "
        "side); indicative",
        "ends at the CBZ customs gate",
    ),
    Road(
        "container-cbz-link",
        "集装箱中心站—综合保税区连接路",
        "Container centre – CBZ link road",
        "",
        "secondary",
        None,
        (
            "集装箱路口",
            "集装箱中心站北门",
            (126.7710, 45.7054),
            "内陆港北",
            (126.7860, 45.7050),
            "香明街南段",
        ),
        "harbin-facts §3 (a new road links the container centre and the CBZ) and §6 "
        "(container centre south of the 滨绥 railway near 新香坊, about 45.700, 126.760); "
        "indicative",
        ACCESS + "; " + NAME_ASSUMED + "; from 公滨路 into the container centre's north "
        "side, then east along it to 香明街",
    ),
    Road(
        "inland-port-link",
        "内陆港连接路",
        "Inland port link road",
        "",
        "secondary",
        None,
        ("哈成内陆港路口", (126.7750, 45.6950), "内陆港北"),
        "harbin-facts §6 (inland port between the container centre and the CBZ, about "
        "45.695, 126.775); indicative",
        ACCESS + "; " + NAME_ASSUMED + "; from 哈成路 north through the inland port",
    ),
)


# --------------------------------------------------------------------------------------------
# Facilities and zones for the report. Facility points are the brief's published anchors
# (harbin-facts); the embedded boundary layers are checked too when they exist.
# --------------------------------------------------------------------------------------------

FACILITIES_LATLON: dict[str, tuple[float, float]] = {
    "airport ARP": (45.6234, 126.2503),
    "airport T2": (45.6098, 126.2352),
    "airport T1": (45.6224, 126.2434),
    "container station": (45.700, 126.760),
    "inland port hub": (45.695, 126.775),
    "CBZ gate": (45.695, 126.785),
    "Harbin West": (45.7053, 126.5714),
    "Harbin station": (45.7597, 126.6268),
    "Harbin North": (45.8483, 126.5296),
    "Harbin East": (45.7860, 126.7056),
    "expo centre": (45.7500, 126.6950),
    "aircraft recycling base": (45.600, 126.250),
    "New Area government": (45.80139, 126.52917),
}


def fallback_zones() -> dict[str, BaseGeometry]:
    """Rough zone shapes from the published placeholders, used if the layer is absent."""

    def square(lon: float, lat: float, km2: float, aspect: float = 1.0) -> Polygon:
        w_km = (km2 * aspect) ** 0.5
        h_km = km2 / w_km
        dlon = w_km / 2 / (111.32 * np.cos(np.radians(lat)))
        dlat = h_km / 2 / 111.13
        return box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)

    return {
        "ftz (placeholder rectangle)": box(126.46, 45.790, 126.60, 45.856),
        "new area 江北 (rough)": box(126.37, 45.78, 126.76, 45.91),
        "new area 平房 (rough)": square(126.635, 45.595, 95.0),
        "cbz (rough)": square(126.790, 45.690, 3.3),
        "airport zone (placeholder)": box(126.20, 45.58, 126.32, 45.66),
        "container centre (1.5 x 1.0 km)": square(126.760, 45.700, 1.5, aspect=1.5),
        "inland port (1 km2)": square(126.775, 45.695, 1.0),
    }


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def rnd(pt: LonLat) -> LonLat:
    return (round(float(pt[0]), DECIMALS), round(float(pt[1]), DECIMALS))


def resolve(item: PathItem) -> tuple[str | None, str, LonLat]:
    """Return (junction name or None, label, rounded coordinate) of a path item."""
    if isinstance(item, tuple):
        return None, f"{item[0]:.4f},{item[1]:.4f}", rnd(item)
    if item.startswith("@"):
        return None, item[1:], rnd(anchor(item[1:]))
    return item, item, rnd(JUNCTIONS[item])


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, _TO_METRIC.transform, interleaved=False)


def length_m(coords: list[LonLat]) -> float:
    return float(to_metric(LineString(coords)).length)


@dataclasses.dataclass
class Segment:
    road: Road
    index: int
    start: str
    end: str
    coords: list[LonLat]
    special: Special | None


def split_road(road: Road) -> list[Segment]:
    """Split a road into segments at its junctions."""
    items = [resolve(it) for it in road.path]
    specials = {(a, b): s for a, b, s in road.specials}
    segments: list[Segment] = []
    current: list[LonLat] = [items[0][2]]
    start_label = items[0][1]
    for k, (junction, label, xy) in enumerate(items[1:], start=1):
        current.append(xy)
        if junction is not None or k == len(items) - 1:
            special = specials.get((start_label, label)) or specials.get((label, start_label))
            segments.append(Segment(road, len(segments) + 1, start_label, label, current, special))
            current = [xy]
            start_label = label
    used = {(s.start, s.end) for s in segments} | {(s.end, s.start) for s in segments}
    for a, b, _ in road.specials:
        if (a, b) not in used:
            raise SystemExit(f"{road.rid}: special stretch {a} → {b} is not a segment")
    return segments


def segment_properties(seg: Segment) -> dict[str, Any]:
    road = seg.road
    sp = seg.special
    notes = [f"segment {seg.start} → {seg.end}"]
    if sp is not None and sp.note:
        notes.append(sp.note)
    if road.note:
        notes.append(road.note)
    return {
        "id": f"{road.rid}-{seg.index:02d}",
        "name_zh": sp.name_zh if sp else road.name_zh,
        "name_en": sp.name_en if sp else road.name_en,
        "ref": road.ref,
        "highway": road.highway,
        "oneway": False,
        "lanes": road.lanes,
        "maxspeed": road.maxspeed,
        "bridge": bool(sp.bridge) if sp else False,
        "accuracy": ACCURACY,
        "source": road.source,
        "note": "; ".join(notes),
    }


def build() -> tuple[list[dict[str, Any]], list[Segment]]:
    segments = [seg for road in ROADS for seg in split_road(road)]
    features = [
        {
            "type": "Feature",
            "properties": segment_properties(seg),
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in seg.coords]},
        }
        for seg in segments
    ]
    order = sorted(range(len(features)), key=lambda i: features[i]["properties"]["id"])
    return [features[i] for i in order], [segments[i] for i in order]


# --------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.errors.append(message)


def build_graph(segments: list[Segment]) -> nx.Graph:
    graph = nx.Graph()
    for seg in segments:
        speed = seg.road.maxspeed or DEFAULT_SPEED_KPH
        for a, b in pairwise(seg.coords):
            d = length_m([a, b])
            graph.add_edge(a, b, length=d, minutes=d / 1000 / speed * 60, road=seg.road.rid)
    return graph


def check_geometry(checks: Checks, segments: list[Segment]) -> None:
    ids = Counter(f"{s.road.rid}-{s.index:02d}" for s in segments)
    checks.check(all(n == 1 for n in ids.values()), "duplicate feature ids")
    for seg in segments:
        fid = f"{seg.road.rid}-{seg.index:02d}"
        line = LineString(seg.coords)
        checks.check(len(seg.coords) >= 2, f"{fid}: fewer than two vertices")
        checks.check(line.is_valid, f"{fid}: invalid geometry")
        checks.check(
            all(a != b for a, b in pairwise(seg.coords)),
            f"{fid}: repeated consecutive vertex",
        )
        checks.check(length_m(seg.coords) > 50, f"{fid}: degenerate (shorter than 50 m)")
        checks.check(line.is_simple, f"{fid}: self-intersecting")
    for road in ROADS:
        checks.check(road.highway in CLASS_ORDER, f"{road.rid}: unknown class {road.highway}")
    # A coordinate shared by two roads must be a junction.
    junction_xy = {rnd(xy) for xy in JUNCTIONS.values()}
    owners: dict[LonLat, set[str]] = defaultdict(set)
    for seg in segments:
        for xy in seg.coords:
            owners[xy].add(seg.road.rid)
    for xy, rids in owners.items():
        if len(rids) > 1:
            checks.check(xy in junction_xy, f"vertex {xy} shared by {sorted(rids)} is no junction")
    # Every junction is used, and junction coordinates are distinct.
    used = {it for road in ROADS for it in road.path if isinstance(it, str)}
    for name in JUNCTIONS:
        checks.check(name in used, f"junction {name} is not used by any road")
    xy_count = Counter(rnd(xy) for xy in JUNCTIONS.values())
    checks.check(all(n == 1 for n in xy_count.values()), "two junctions share coordinates")


def crossings(segments: list[Segment]) -> list[tuple[Segment, Segment, LonLat]]:
    """Places where two features of different roads cross without a shared vertex."""
    lines = [LineString(s.coords) for s in segments]
    tree = shapely.STRtree(lines)
    found = []
    for i, j in zip(*tree.query(lines, predicate="intersects"), strict=True):
        if i >= j or segments[i].road.rid == segments[j].road.rid:
            continue
        shared = set(segments[i].coords) & set(segments[j].coords)
        inter = lines[i].intersection(lines[j])
        for geom in getattr(inter, "geoms", [inter]):
            if geom.geom_type != "Point":
                found.append((segments[i], segments[j], rnd(geom.representative_point().coords[0])))
                continue
            xy = rnd(geom.coords[0])
            if not any(abs(xy[0] - s[0]) < 1e-6 and abs(xy[1] - s[1]) < 1e-6 for s in shared):
                found.append((segments[i], segments[j], xy))
    return found


def load_layer(name: str) -> list[dict[str, Any]]:
    path = BOUNDARIES / f"{name}.geojson"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        return [f for f in json.load(fh)["features"] if f.get("geometry")]


def nearest_vertex(point: Point, vertices: list[tuple[Point, str, str]]) -> tuple[float, str, str]:
    best = min(vertices, key=lambda v: v[0].distance(point))
    return best[0].distance(point), best[1], best[2]


def report(features: list[dict[str, Any]], segments: list[Segment]) -> list[str]:
    checks = Checks()
    check_geometry(checks, segments)
    graph = build_graph(segments)
    components = nx.number_connected_components(graph)
    checks.check(components == 1, f"network has {components} connected components")

    size = len(serialise(features).encode("utf-8"))
    n_vertices = sum(len(s.coords) for s in segments)
    print(
        f"features: {len(features)}  roads: {len(ROADS)}  vertices: {n_vertices}  "
        f"graph nodes: {graph.number_of_nodes()}  edges: {graph.number_of_edges()}  "
        f"components: {components}  size: {size / 1024:.1f} KB"
    )
    checks.check(60 <= len(features) <= 200, f"{len(features)} features (aim 60–200)")
    checks.check(size < 300 * 1024, "file larger than 300 KB")

    # Kilometres by class
    km_by_class: dict[str, float] = defaultdict(float)
    for seg in segments:
        km_by_class[seg.road.highway] += length_m(seg.coords) / 1000
    print("km by class:")
    for cls in CLASS_ORDER:
        if cls in km_by_class:
            print(f"  {cls:<13} {km_by_class[cls]:7.1f}")
    print(f"  {'total':<13} {sum(km_by_class.values()):7.1f}")

    # Lengths of named roads, rings and structures
    def road_km(rid: str) -> float:
        return sum(length_m(s.coords) for s in segments if s.road.rid == rid) / 1000

    def between_km(rid: str, a: str, b: str) -> float:
        segs = sorted((s for s in segments if s.road.rid == rid), key=lambda s: s.index)
        on, total = False, 0.0
        for s in segs + segs:
            if s.start == a:
                on = True
            if on:
                total += length_m(s.coords)
            if on and s.end == b:
                return total / 1000
        raise KeyError((rid, a, b))

    ring = road_km("g1001")
    print(f"G1001 ring: {ring:.1f} km (published 92)")
    for a, b, pub in (
        ("瓦盆窑立交", "秦家立交", "36.7 by difference"),
        ("秦家立交", "东风立交", "26"),
        ("东风立交", "瓦盆窑立交", "29.3"),
    ):
        print(f"  {a} → {b}: {between_km('g1001', a, b):.1f} km (published {pub})")
    checks.check(RING_LIMITS_KM[0] <= ring <= RING_LIMITS_KM[1], f"G1001 ring {ring:.1f} km")
    ring_junctions = {it for it in ROADS[0].path if isinstance(it, str)}
    others = {it for r in ROADS[1:] for it in r.path if isinstance(it, str)}
    interchanges = sorted(ring_junctions & others)
    print(f"  interchanges: {len(interchanges)} (published 10): {', '.join(interchanges)}")
    checks.check(len(interchanges) == 10, "G1001 must have 10 interchanges")
    for rid, label in (
        ("ring-2", "二环"),
        ("ring-3", "三环"),
        ("airport-expressway", "机场高速 (零公里 → toll station)"),
        ("old-airport-road", "老机场路 (零公里 → 公安培训中心; published 24.4)"),
        ("hashuang-north", "哈双北线 (齿轮路 → 双城 approach)"),
    ):
        print(f"{label}: {road_km(rid):.1f} km")
    for seg in segments:
        if seg.special is not None:
            kind = "bridge" if seg.special.bridge else "structure"
            print(f"  {kind}: {seg.special.name_zh} {length_m(seg.coords):,.0f} m")
    for rid in ("g1001", "ring-2", "ring-3"):
        segs = [s for s in segments if s.road.rid == rid]
        checks.check(segs[0].coords[0] == segs[-1].coords[-1], f"{rid} is not closed")
        sub = nx.Graph()
        for s in segs:
            sub.add_edges_from(pairwise(s.coords))
        checks.check(
            all(d == 2 for _, d in sub.degree()) and nx.is_connected(sub),
            f"{rid} is not a simple closed ring",
        )

    # Grade-separated crossings
    cross = crossings(segments)
    print(f"crossings without a junction: {len(cross)}")
    for a, b, xy in cross:
        print(f"  {a.road.name_zh} × {b.road.name_zh} at {xy[1]:.4f}, {xy[0]:.4f}")
        grade_separated = {a.road.highway, b.road.highway} & {"motorway", "trunk"}
        checks.check(bool(grade_separated), f"at-grade crossing without junction at {xy}")

    # River crossings (the embedded Songhua centreline, when present)
    river = [shape(f["geometry"]) for f in load_layer("river")]
    if river:
        bridges, bad = 0, []
        for seg in segments:
            line = LineString(seg.coords)
            if any(line.intersects(r) for r in river):
                if seg.special is not None and seg.special.bridge:
                    bridges += 1
                else:
                    bad.append(f"{seg.road.rid}-{seg.index:02d}")
        print(f"Songhua crossings: {bridges} bridge features; non-bridge crossings: {bad or 0}")
        checks.check(not bad, f"roads cross the Songhua without a bridge: {bad}")
    else:
        print("Songhua crossings: river layer not present, not checked")

    # Facilities
    access_vertices = [
        (to_metric(Point(xy)), s.road.highway, s.road.name_zh)
        for s in segments
        if s.road.highway in ACCESS_CLASSES
        for xy in s.coords
    ]
    local_vertices = [v for v in access_vertices if v[1] != "motorway"]
    strict_vertices = [v for v in local_vertices if v[1] != "secondary"]
    print("facilities: nearest vertex on trunk/primary/secondary | on trunk/primary only")
    points = {k: (lon, lat) for k, (lat, lon) in FACILITIES_LATLON.items()}
    for f in load_layer("facilities"):
        if f["geometry"]["type"] == "Point":
            points[f"layer:{f['properties']['id']}"] = tuple(f["geometry"]["coordinates"])
    for name, xy in points.items():
        p = to_metric(Point(xy))
        d, cls, road = nearest_vertex(p, local_vertices)
        d2, _, road2 = nearest_vertex(p, strict_vertices)
        print(f"  {name:<30} {d / 1000:5.2f} km {cls:<9} {road:<16} | {d2 / 1000:5.2f} km {road2}")
        checks.check(d <= FACILITY_LIMIT_M, f"facility {name} is {d:.0f} m from the network")

    # Zones
    zones: dict[str, BaseGeometry] = {}
    for f in load_layer("zones"):
        zones[f"layer:{f['properties']['id']}"] = shape(f["geometry"])
    if not zones:
        zones = fallback_zones()
    all_vertices = [to_metric(Point(xy)) for s in segments for xy in s.coords]
    print("zones: distance from the boundary to the nearest road vertex")
    for name, geom in zones.items():
        boundary = to_metric(geom).boundary
        d = min(boundary.distance(v) for v in all_vertices)
        inside = sum(1 for v in all_vertices if to_metric(geom).contains(v))
        print(f"  {name:<30} {d / 1000:5.2f} km  ({inside} vertices inside)")
        checks.check(d <= ZONE_LIMIT_M, f"zone {name} is {d:.0f} m from the network")

    # Drive time Harbin station → T2
    def snap(name: str) -> LonLat:
        lat, lon = FACILITIES_LATLON[name]
        p = to_metric(Point(lon, lat))
        nodes = [xy for s in segments if s.road.highway in ACCESS_CLASSES[1:] for xy in s.coords]
        return min(nodes, key=lambda xy: to_metric(Point(xy)).distance(p))

    src, dst = snap("Harbin station"), snap("airport T2")
    path = nx.shortest_path(graph, src, dst, weight="minutes")
    minutes = nx.path_weight(graph, path, "minutes")
    km = nx.path_weight(graph, path, "length") / 1000
    via: list[str] = []
    for a, b in pairwise(path):
        rid = graph.edges[a, b]["road"]
        if not via or via[-1] != rid:
            via.append(rid)
    print(
        f"Harbin station → T2: {km:.1f} km, {minutes:.1f} min (free flow; null maxspeed = "
        f"{DEFAULT_SPEED_KPH} km/h) via {' → '.join(via)}"
    )
    checks.check(
        STATION_T2_MINUTES[0] <= minutes <= STATION_T2_MINUTES[1],
        f"station → T2 time {minutes:.1f} min outside {STATION_T2_MINUTES}",
    )

    # Dead ends (stub and road ends)
    ends = sorted(
        f"{s.road.rid}:{label}"
        for s in segments
        for xy, label in ((s.coords[0], s.start), (s.coords[-1], s.end))
        if graph.degree(xy) == 1
    )
    print(f"dead ends: {len(ends)}: {', '.join(ends)}")
    return checks.errors


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def serialise(features: list[dict[str, Any]]) -> str:
    """One feature per line; RFC 7946 (no crs member)."""
    rows = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(rows) + "\n]}\n"


def main() -> int:
    features, segments = build()
    errors = report(features, segments)
    if errors:
        print(f"\n{len(errors)} check(s) failed; nothing written:", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    write_text(OUTPUT, serialise(features))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
