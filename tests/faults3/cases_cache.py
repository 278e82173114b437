"""The run cache and calibration targets: every input a run is built from must miss the cache.

A run (in memory, and its vehicle-hours and congested times in the user folder) must be served
again only when everything it was built from is the same: the network source's content, the
stored layers (truck bans above all), the settings it reads, the demand, the option, the gap
and the VDF. Each check changes one input and compares what is served with a solve after every
cache is cleared, and with the figures before the change (so a check whose input does not
matter fails instead of passing for nothing). Broken, foreign or unwritable cache files are
ignored and rebuilt. ``demand calibrate`` refuses a target it cannot mean and says when the
target is out of reach.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from faults3 import Case, Fault

#: Relative difference below which two figures are the same solve.
SAME = 1e-9

#: The network of the checks (the tests' default: seconds per solve).
NET = "trunk"

#: Relative gap of the checks' solves (a cache must tell runs apart at any gap; a coarse one
#: keeps the checks fast).
GAP = 1e-4

# A ban over central Harbin (inside the 二环) and one over the New Area, as a user draws them.
BAN_CENTRE = (126.60, 45.73, 126.62, 45.75)
BAN_OTHER = (126.68, 45.70, 126.72, 45.74)

OSM_TEXT = (
    "<osm version='0.6'>"
    "<node id='1' lat='45.7000' lon='126.6000'/>"
    "<node id='2' lat='45.7000' lon='126.6200'/>"
    "<node id='3' lat='45.7000' lon='126.6400'/>"
    "<node id='4' lat='45.7100' lon='126.6400'/>"
    "<way id='10'><nd ref='1'/><nd ref='2'/><nd ref='3'/><tag k='highway' v='primary'/>"
    "<tag k='maxspeed' v='{speed}'/></way>"
    "<way id='11'><nd ref='3'/><nd ref='4'/><tag k='highway' v='secondary'/></way>"
    "</osm>"
)


def _home() -> Path:
    from sanqu_geo import settings

    return settings.get_home_folder()


def clear_caches() -> None:
    """Forget every cached run, graph, demand and layer, in memory and in the user folder."""
    from sanqu_geo import demand, layers, network, peak

    for module, names in (
        (peak, ("_RUNS", "_GRAPHS", "_ROADS")),
        (demand, ("_DEFAULT_CACHE",)),
        (network, ("_FINGERPRINTS", "_CONTENT_HASHES")),
        (layers, ("_GEOJSON_CACHE",)),
    ):
        for name in names:
            cache = getattr(module, name, None)
            if cache is not None:
                cache.clear()
    shutil.rmtree(_home() / "cache", ignore_errors=True)


_DEMAND: list[Any] = []


def _demand() -> Any:
    """The default demand of the trunk network, built once (an explicit demand skips its cache)."""
    from sanqu_geo import demand

    if not _DEMAND:
        _DEMAND.append(demand.load_demand(network=NET))
    return _DEMAND[0]


def figures(*, explicit: bool = True, **kw: Any) -> dict[str, float]:
    """Vehicle-hours by class (the user-folder cache) and the delay index (the memory cache)."""
    from sanqu_geo import peak

    d = _demand() if explicit else None
    kw.setdefault("gap", GAP)
    vh = peak.total_vehicle_hours(source=NET, demand_=d, **kw)
    run = peak.solve(
        kw.get("option"),
        source=NET,
        demand_=d,
        gap=kw.get("gap"),
        variant=kw.get("variant", peak.Variant()),
    )
    return {"car": vh["car"], "truck": vh["truck"], "delay_index": peak.delay_index(run)}


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(math.isclose(a[k], b[k], rel_tol=SAME, abs_tol=1e-9) for k in a)


def _show(f: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:,.4f}" for k, v in f.items())


def fresh_after(
    change: Callable[[], Any],
    restore: Callable[[], Any],
    *,
    matters: tuple[str, ...] = ("car", "truck"),
    explicit: bool = True,
    **kw: Any,
) -> None:
    """Change one input; what is served must equal a solve with every cache cleared.

    ``matters`` names the figures the change must move (else the check proves nothing).
    """
    clear_caches()  # each check starts from nothing another left behind
    before = figures(explicit=explicit, **kw)
    change()
    try:
        served = figures(explicit=explicit, **kw)
        clear_caches()
        fresh = figures(explicit=explicit, **kw)
    finally:
        restore()
    if not _same(served, fresh):
        raise Fault("silent", f"served {_show(served)} where a fresh solve gives {_show(fresh)}")
    moved = [k for k in matters if not math.isclose(before[k], fresh[k], rel_tol=1e-6)]
    if len(moved) != len(matters):
        raise AssertionError(f"the change moved only {moved} of {matters}: {_show(before)}")


@contextlib.contextmanager
def setting(name: str, value: Any) -> Iterator[None]:
    """Set a :mod:`settings` value for the block."""
    from sanqu_geo import settings

    old = getattr(settings, name)
    setattr(settings, name, value)
    try:
        yield
    finally:
        setattr(settings, name, old)


def setting_check(name: str, value: Any, **kw: Any) -> Callable[[], None]:
    """A check that setting ``name`` to ``value`` serves a fresh solve."""
    from sanqu_geo import settings

    def check() -> None:
        old = getattr(settings, name)
        fresh_after(
            lambda: setattr(settings, name, value), lambda: setattr(settings, name, old), **kw
        )

    return check


def in_place_check(name: str, edit: Callable[[Any], None], **kw: Any) -> Callable[[], None]:
    """A check that changing a :mod:`settings` dict or profile in place serves a fresh solve."""
    from sanqu_geo import settings

    def check() -> None:
        old = copy.deepcopy(getattr(settings, name))

        def restore() -> None:
            current = getattr(settings, name)
            current.clear()
            current.update(old)

        fresh_after(lambda: edit(getattr(settings, name)), restore, **kw)

    return check


def _ban_file(ws: Path, name: str, bbox: tuple[float, float, float, float]) -> Path:
    from shapely.geometry import box, mapping

    path = ws / name
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": mapping(box(*bbox)),
                        "properties": {"id": name, "name_zh": "货车禁行区"},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def _import_ban(path: Path) -> None:
    from sanqu_geo import layers

    layers.import_layer(path, "truck_bans", accuracy="surveyed")


def _reset_bans() -> None:
    from sanqu_geo import layers

    layers.remove_imported_layer("truck_bans")


# --------------------------------------------------------------------------- layers


def ban_import(ws: Path) -> None:
    path = _ban_file(ws, "ban_centre.geojson", BAN_CENTRE)
    fresh_after(lambda: _import_ban(path), _reset_bans, matters=("truck",))


def ban_reset(ws: Path) -> None:
    path = _ban_file(ws, "ban_centre.geojson", BAN_CENTRE)
    _import_ban(path)
    try:
        fresh_after(_reset_bans, lambda: None, matters=("truck",))
    finally:
        _reset_bans()


def ban_reset_cli(ws: Path) -> None:
    from sanqu_geo.cli import main

    path = _ban_file(ws, "ban_centre.geojson", BAN_CENTRE)
    _import_ban(path)

    def reset() -> None:
        code = main(["layers", "reset", "truck_bans"])
        if code not in (0, None):
            raise AssertionError(f"layers reset truck_bans exited {code}")

    try:
        fresh_after(reset, lambda: None, matters=("truck",))
    finally:
        _reset_bans()


def ban_replaced_same_stat(ws: Path) -> None:
    """Another ban imported over the first; the stored file's mtime put back as it was."""
    first = _ban_file(ws, "ban_centre.geojson", BAN_CENTRE)
    other = _ban_file(ws, "ban_other.geojson", BAN_OTHER)
    _import_ban(first)
    stored = _home() / "layers" / "truck_bans.gpkg"
    st = stored.stat()

    def change() -> None:
        _import_ban(other)
        os.utime(stored, ns=(st.st_atime_ns, st.st_mtime_ns))

    try:
        fresh_after(change, lambda: None, matters=("truck",))
    finally:
        _reset_bans()


# --------------------------------------------------------------------------- settings


def _scale(table: dict[str, float], factor: float) -> None:
    for key in list(table):
        table[key] = table[key] * factor


def _truck_caps(profiles: dict[str, Any]) -> None:
    profiles["truck"] = {**profiles["truck"], "cap_kph": {"motorway": 60.0, "default": 40.0}}


def profiles_file(ws: Path) -> None:
    from sanqu_geo import settings, speeds

    path = ws / "profiles.toml"
    path.write_text(
        "[profiles.truck]\ncap_kph = { motorway = 60, default = 40 }\n", encoding="utf-8"
    )
    old = copy.deepcopy(settings.profiles)

    def restore() -> None:
        settings.profiles.clear()
        settings.profiles.update(old)

    fresh_after(lambda: speeds.load_profiles(path), restore, matters=("truck",))


# --------------------------------------------------------------------------- demand


def od_swapped_in_place() -> None:
    """Two OD cells swapped in the same Demand object: same size, same total."""
    d = _demand()
    od = d.od
    car = od.index[od["class"] == "car"]
    trips = od.loc[car, "trips"]
    i, j = trips.idxmax(), trips.idxmin()
    a, b = float(od.at[i, "trips"]), float(od.at[j, "trips"])

    def swap(x: float, y: float) -> None:
        od.at[i, "trips"], od.at[j, "trips"] = x, y

    fresh_after(lambda: swap(b, a), lambda: swap(a, b), matters=("car",))


def pce_changed() -> None:
    """The same OD with another truck PCE (an imported demand's meta)."""
    d = _demand()
    old = dict(d.pce)
    fresh_after(
        lambda: d.pce.update(truck=old["truck"] * 1.6),
        lambda: (d.pce.clear(), d.pce.update(old)),
        matters=("car", "truck"),
    )


def imported_demand(ws: Path) -> None:
    """A demand imported into the user folder replaced by one of the same total."""
    from sanqu_geo import demand

    d = _demand()
    od = d.od.copy()
    car = od.index[od["class"] == "car"]
    i, j = od.loc[car, "trips"].idxmax(), od.loc[car, "trips"].idxmin()
    od.loc[i, "trips"], od.loc[j, "trips"] = od.loc[j, "trips"], od.loc[i, "trips"]
    first, second = ws / "od_first.csv", ws / "od_second.csv"
    demand.write_od(d, first)
    demand.write_od(dataclasses.replace(d, od=od, source="swapped"), second)
    demand.import_demand(first)
    try:
        fresh_after(
            lambda: demand.import_demand(second), lambda: None, explicit=False, matters=("car",)
        )
    finally:
        demand.remove_imported_demand()


# --------------------------------------------------------------------------- the OSM file


def _osm_roads(path: Path, *, use_cache: bool = True) -> list[float]:
    from sanqu_geo import network

    G = network.load_network(path, use_cache=use_cache)
    return sorted(float(s) for *_, s in G.edges(data="speed_kph"))


def osm_same_stat(ws: Path) -> None:
    """An OSM file's maxspeed changed, its size and mtime put back: a fresh network."""
    from sanqu_geo import network

    path = ws / "city.osm"
    path.write_text(OSM_TEXT.format(speed="50"), encoding="utf-8")
    before = _osm_roads(path)
    key = network.fingerprint(path)
    st = path.stat()
    path.write_text(OSM_TEXT.format(speed="70"), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    served = _osm_roads(path)
    fresh = _osm_roads(path, use_cache=False)
    if served != fresh:
        raise Fault(
            "silent", f"the cached network of {path.name} served speeds {served}, not {fresh}"
        )
    if fresh == before:
        raise AssertionError("the maxspeed change did not matter")
    if network.fingerprint(path) == key:
        raise Fault("silent", f"{path.name}: the fingerprint did not change with its content")


def osm_run_key(ws: Path) -> None:
    """The in-memory road graph of an OSM source follows the file's content."""
    from sanqu_geo import peak

    path = ws / "run.osm"
    path.write_text(OSM_TEXT.format(speed="50"), encoding="utf-8")
    roads = peak._roads
    first = sorted(float(s) for *_, s in roads(str(path)).edges(data="speed_kph"))
    st = path.stat()
    path.write_text(OSM_TEXT.format(speed="70"), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = sorted(float(s) for *_, s in roads(str(path)).edges(data="speed_kph"))
    if again == first:
        raise Fault("silent", f"the road graph of {path.name} kept speeds {first} after an edit")


def osm_cache_corrupt(ws: Path) -> None:
    """A truncated GraphML cache of an OSM file is rebuilt."""
    from sanqu_geo import network

    path = ws / "corrupt.osm"
    path.write_text(OSM_TEXT.format(speed="50"), encoding="utf-8")
    good = _osm_roads(path)
    cached = network.cache_path(path)
    if not cached.is_file():
        raise AssertionError(f"no GraphML cache at {cached}")
    cached.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])
    if _osm_roads(path) != good:
        raise Fault("silent", "a truncated network cache gave another network")
    cached.write_bytes(b"\x00garbage")
    if _osm_roads(path) != good:
        raise Fault("silent", "a garbage network cache gave another network")


# --------------------------------------------------------------------------- cache files


def _assignments() -> Path:
    return _home() / "cache" / "assignments"


def _vh_files() -> list[Path]:
    folder = _assignments()
    return sorted(p for p in folder.glob("*.json")) if folder.is_dir() else []


def vh_file_garbage() -> None:
    """Every vehicle-hours cache file overwritten with garbage: ignored, rebuilt, rewritten."""
    from sanqu_geo import peak

    clear_caches()
    good = figures()
    files = _vh_files()
    if not files:
        raise AssertionError("no vehicle-hours cache file was written")
    for content in (b"\xff\xfe{not json", b"", b"[1, 2, 3]", b'{"x": {"car": "fast"}}'):
        for f in files:
            f.write_bytes(content)
        peak._RUNS.clear()
        got = figures()
        if not _same(got, good):
            raise Fault("silent", f"a broken cache ({content[:12]!r}) gave {_show(got)}")
    for f in _vh_files():
        json.loads(f.read_text(encoding="utf-8"))


def vh_poisoned_values() -> None:
    """Cache entries of the right shape but impossible values (nan, negative) are not served."""
    from sanqu_geo import peak

    clear_caches()
    good = figures()
    for bad in (float("nan"), -5.0, float("inf")):
        for f in _vh_files():
            data = json.loads(f.read_text(encoding="utf-8"))
            _poison(data, bad)
            f.write_text(json.dumps(data), encoding="utf-8")
        peak._RUNS.clear()
        got = figures()
        if not _same(got, good):
            raise Fault("silent", f"a cached {bad} was served: {_show(got)}")


def _poison(data: Any, value: float) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            if k in ("car", "truck"):
                data[k] = value
            else:
                _poison(v, value)


def another_version() -> None:
    """Caches written by another version of sanqu-geo are not read."""
    import sanqu_geo
    from sanqu_geo import peak

    clear_caches()
    good = figures()
    congested = _congested_times()
    ours = set(_assignments().iterdir())
    real = sanqu_geo.__version__
    sanqu_geo.__version__ = "0.0.1"
    try:
        peak._RUNS.clear()
        figures()  # as another version would write them
        _congested_times()
        theirs = set(_assignments().iterdir()) - ours
        if not theirs:
            # one file for every version: make it say what the other version computed
            theirs = ours
        for f in [f for f in theirs if f.suffix == ".json"]:
            data = json.loads(f.read_text(encoding="utf-8"))
            _scale_entries(data, 2.0)
            f.write_text(json.dumps(data), encoding="utf-8")
        for f in [f for f in theirs if f.suffix == ".parquet"]:
            import pandas as pd

            table = pd.read_parquet(f)
            table["delay_s"] = table["delay_s"] * 2 + 30
            table.to_parquet(f, index=False)
    finally:
        sanqu_geo.__version__ = real
    peak._RUNS.clear()
    got = figures()
    if not _same(got, good):
        raise Fault("silent", f"another version's cache was served: {_show(got)} for {_show(good)}")
    peak._RUNS.clear()
    if _congested_times() != congested:
        raise Fault("silent", "another version's congested times were served")


def _scale_entries(data: Any, factor: float) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            if k in ("car", "truck") and isinstance(v, int | float):
                data[k] = v * factor
            else:
                _scale_entries(v, factor)


def _congested_times() -> dict[tuple, float]:
    from sanqu_geo import peak

    G = peak.congested_travel_graph(NET, demand_=_demand())
    return {(str(u), str(v), k): float(t) for u, v, k, t in G.edges(keys=True, data="travel_time")}


def congested_cache_broken() -> None:
    """A truncated or foreign congested-times cache is rebuilt, never an error or wrong times."""
    import pandas as pd

    from sanqu_geo import peak

    clear_caches()
    good = _congested_times()
    files = list(_assignments().glob("*.parquet"))
    if not files:
        raise AssertionError("no congested-times cache was written")
    for f in files:
        f.write_bytes(f.read_bytes()[:100])
    peak._RUNS.clear()
    if _congested_times() != good:
        raise Fault("silent", "a truncated congested cache gave other times")
    for f in _assignments().glob("*.parquet"):
        table = pd.read_parquet(f)
        table["u"] = table["u"] + "0"
        table.to_parquet(f, index=False)
    peak._RUNS.clear()
    if _congested_times() != good:
        raise Fault("silent", "a congested cache of another network gave other times")
    for f in _assignments().glob("*.parquet"):
        table = pd.read_parquet(f)
        table["delay_s"] = float("nan")
        table.to_parquet(f, index=False)
    peak._RUNS.clear()
    if _congested_times() != good:
        raise Fault("silent", "a congested cache of nan delays was served")


def cache_unwritable() -> None:
    """A cache that cannot be written (a folder in the way) gives the figures, not an error."""
    clear_caches()
    good = figures()
    clear_caches()
    folder = _assignments()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder", encoding="utf-8")
    try:
        got = figures()
    finally:
        folder.unlink()
    if not _same(got, good):
        raise Fault("silent", f"gave {_show(got)} for {_show(good)}")


def gap_and_vdf_keyed() -> None:
    """A coarser gap is another run; the VDF is part of the key (checked by value)."""
    a = figures()
    b = figures(gap=1e-2)
    if _same(a, b):
        raise Fault("silent", f"gap 1e-2 served the gap {GAP:g} run")


# --------------------------------------------------------------------------- cases


def _cal(value: str) -> list[str]:
    return ["demand", "calibrate", "--target", value]


def cases(ws: Path) -> list[Case]:
    from sanqu_geo import calibration, peak

    out = [
        Case("truck-ban import: fresh truck veh·h", check=lambda: ban_import(ws), timeout=40),
        Case("truck-ban layer reset (API): fresh", check=lambda: ban_reset(ws), timeout=40),
        Case("truck-ban layer reset (CLI): fresh", check=lambda: ban_reset_cli(ws), timeout=40),
        Case(
            "another truck ban, stored file's mtime restored: fresh",
            check=lambda: ban_replaced_same_stat(ws),
            timeout=40,
        ),
        Case(
            "capacity_per_lane_pcu scaled in place: fresh",
            check=in_place_check("capacity_per_lane_pcu", lambda t: _scale(t, 0.8)),
            timeout=40,
        ),
        Case(
            "signal_green_share changed in place: fresh",
            check=in_place_check("signal_green_share", lambda t: _scale(t, 0.8)),
            timeout=40,
        ),
        Case(
            "default_lanes_per_direction changed in place: fresh",
            check=in_place_check("default_lanes_per_direction", lambda t: _scale(t, 1.5)),
            timeout=40,
        ),
        Case(
            "max_speed_kph lowered: fresh (and the default demand with it)",
            check=setting_check("max_speed_kph", 70.0, explicit=False),
            timeout=40,
        ),
        Case(
            "published bridge capacities changed in place: fresh",
            check=in_place_check("published_capacity_pcu", lambda t: _scale(t, 0.5)),
            timeout=40,
        ),
        Case(
            "default speeds changed in place: fresh (and the default demand)",
            check=in_place_check("default_speeds_kph", lambda t: _scale(t, 0.8), explicit=False),
            timeout=40,
        ),
        Case(
            "grade-separated classes changed: fresh",
            check=setting_check(
                "grade_separated_classes",
                ("motorway", "motorway_link", "trunk_link", "trunk", "primary"),
            ),
            timeout=40,
        ),
        Case("peak_vdf bpr: fresh", check=setting_check("peak_vdf", "bpr"), timeout=40),
        Case("conical_alpha changed: fresh", check=setting_check("conical_alpha", 8.0), timeout=40),
        Case(
            "truck profile caps changed in settings: fresh",
            check=in_place_check("profiles", _truck_caps, matters=("truck",)),
            timeout=40,
        ),
        Case("profiles file loaded: fresh", check=lambda: profiles_file(ws), timeout=40),
        Case(
            "OD cells swapped in place (same total): fresh", check=od_swapped_in_place, timeout=40
        ),
        Case("truck PCE changed, same OD: fresh", check=pce_changed, timeout=40),
        Case(
            "imported demand replaced by one of the same total: fresh",
            check=lambda: imported_demand(ws),
            timeout=40,
        ),
        Case("gap is part of the key", check=gap_and_vdf_keyed, timeout=40),
        Case(
            "OSM file edited, size and mtime restored: fresh network",
            check=lambda: osm_same_stat(ws),
            timeout=30,
        ),
        Case(
            "OSM file edited, size and mtime restored: fresh road graph in memory",
            check=lambda: osm_run_key(ws),
            timeout=30,
        ),
        Case(
            "OSM network cache truncated or garbage: rebuilt",
            check=lambda: osm_cache_corrupt(ws),
            timeout=30,
        ),
        Case(
            "vehicle-hours cache garbage, empty, a list, wrong shape: rebuilt",
            check=vh_file_garbage,
            timeout=40,
        ),
        Case(
            "vehicle-hours cache with nan, negative, inf: not served",
            check=vh_poisoned_values,
            timeout=40,
        ),
        Case("caches written by another version: not read", check=another_version, timeout=40),
        Case(
            "congested cache truncated, of another network, nan: rebuilt",
            check=congested_cache_broken,
            timeout=40,
        ),
        Case("cache folder unwritable: figures still given", check=cache_unwritable, timeout=40),
        # calibration targets
        Case("demand calibrate --target nan", args=_cal("nan"), needle="nan", timeout=20),
        Case("demand calibrate --target inf", args=_cal("inf"), needle="inf", timeout=20),
        Case("demand calibrate --target 1e9", args=_cal("1e9"), needle="1e+09", timeout=20),
        Case("demand calibrate --target 0", args=_cal("0"), needle="target 0", timeout=20),
        Case("demand calibrate --target -1", args=_cal("-1"), needle="-1", timeout=20),
        Case(
            "demand calibrate --target 1 (no congestion)",
            args=_cal("1"),
            needle="target 1",
            timeout=20,
        ),
        Case(
            "demand calibrate --target 1.01 (out of reach)",
            args=_cal("1.01"),
            needle="reached",
            timeout=30,
        ),
        Case(
            "peak.calibrate(target=nan)",
            call=lambda: peak.calibrate(target=float("nan")),
            needle="nan",
            timeout=20,
        ),
        Case(
            "peak.calibrate(target='1.5')",
            call=lambda: peak.calibrate(target="1.5"),
            needle="'1.5'",
            timeout=20,
        ),
        Case(
            "peak.calibrate(tolerance=nan)",
            call=lambda: peak.calibrate(target=1.6, tolerance=float("nan")),
            needle="nan",
            timeout=20,
        ),
        Case(
            "peak.calibrate(max_steps=0)",
            call=lambda: peak.calibrate(target=1.6, max_steps=0),
            needle="max_steps",
            timeout=20,
        ),
        Case(
            "calibration.fit(delay_index=nan)",
            call=lambda: calibration.fit(source=NET, delay_index=float("nan")),
            needle="nan",
            timeout=20,
        ),
        Case(
            "calibration.fit(free_flow_kph=1e9)",
            call=lambda: calibration.fit(source=NET, free_flow_kph=1e9),
            needle="1e+09",
            timeout=20,
        ),
        Case(
            "calibration.fit(max_solves=0)",
            call=lambda: calibration.fit(source=NET, max_solves=0),
            needle="max_solves",
            timeout=20,
        ),
    ]
    return out
