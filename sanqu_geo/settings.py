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
