"""The demand store, OD values and the demand's CSV files, as a hostile but fair user meets them.

Cases of bad OD files (``demand import --od``, ``corridors compare --demand``, the Python API),
bad zone files, kills at every write of the demand store (import, estimate, reset, a store of
an earlier version), and the spreadsheet escape of ``demand export``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from faults3 import REPO, Case, Fault

HEAD = "origin,destination,class,trips\n"

#: Points near Harbin for small zone files (lon, lat).
POINTS = {
    "west": (126.5714, 45.7053),
    "stn": (126.6268, 45.7597),
    "east": (126.6900, 45.7400),
}


@contextlib.contextmanager
def private_home(folder: Path) -> Iterator[Path]:
    """Point ``SANQU_GEO_HOME`` at ``folder`` for the block (a case's own user folder)."""
    old = os.environ.get("SANQU_GEO_HOME")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["SANQU_GEO_HOME"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("SANQU_GEO_HOME", None)
        else:
            os.environ["SANQU_GEO_HOME"] = old


def zones_file(path: Path, ids: dict[str, tuple[float, float]], **columns: list) -> Path:
    """A GeoJSON zone layer with the given ids and points."""
    frame = gpd.GeoDataFrame(
        {"id": list(ids), **columns},
        geometry=[Point(xy) for xy in ids.values()],
        crs="EPSG:4326",
    )
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def _fingerprint() -> tuple:
    """The demand in use, as what a run would see: source, zone ids, the sorted OD."""
    from sanqu_geo import demand

    d = demand.load_demand(compute_default=False)
    od = d.od.sort_values(["class", "origin", "destination"]).reset_index(drop=True)
    return (d.source, tuple(d.zones["id"]), od.to_csv(index=False))


# ------------------------------------------------------------------ kills between the writes

#: A child that, after the setup, forks once per kill point: the fork runs the operation and
#: kills itself (SIGKILL) just before its k-th change on disk; the parent then reads the store
#: in a fresh state and says whether it is the old demand, the new one, or neither.
KILL_CHILD = textwrap.dedent(
    r"""
    import contextlib, io, json, os, shutil, signal, sys
    from pathlib import Path

    top = Path(sys.argv[1])
    os.environ["SANQU_GEO_NETWORK"] = "trunk"
    from sanqu_geo import settings
    settings.default_network = "trunk"
    import geopandas as gpd
    import pandas as pd
    from sanqu_geo import demand
    from sanqu_geo.cli import main

    def fingerprint():
        try:
            d = demand.load_demand(compute_default=False)
        except Exception as exc:
            return ["error", type(exc).__name__, str(exc)]
        od = d.od.sort_values(["class", "origin", "destination"]).reset_index(drop=True)
        return [d.source, list(d.zones["id"]), od.to_csv(index=False)]

    def use(home):
        os.environ["SANQU_GEO_HOME"] = str(home)

    import pathlib
    results = {}
    for scenario in sys.argv[2:]:
        work = top / f"kill-{scenario}"
        base = work / "base"
        shutil.rmtree(base, ignore_errors=True)
        use(base)
        od_a, od_b, zones_b = work / "od_a.csv", work / "od_b.csv", work / "zones_b.geojson"
        if scenario == "legacy":
            # a store as earlier versions wrote it: three files side by side, no pointer
            a = demand.demand_from_file(od_a)
            store = base / "demand"
            store.mkdir(parents=True)
            a.zones.to_file(store / "zones.gpkg", driver="GPKG", layer="zones", engine="pyogrio")
            a.od.to_csv(store / "od.csv", index=False)
            (store / "meta.json").write_text(json.dumps(
                {"source": "user file od_a.csv", "expansion_factor": a.expansion_factor,
                 "pce": a.pce}))
        elif scenario != "reset_default":
            demand.import_demand(od_a)
        if scenario in ("reset_prior", "reset_default"):
            d = demand.load_demand(compute_default=False) if scenario == "reset_prior" else None
            prior = d if d is not None else demand.demand_from_file(od_a)
            if scenario == "reset_default":
                prior = demand.Demand(prior.zones, prior.od.iloc[:0], "indicative default",
                                      prior.expansion_factor, prior.pce)
            est = prior if d is not None else demand.demand_from_file(od_a)
            estimate = demand.Demand(est.zones, est.od.assign(trips=est.od["trips"] * 0.5),
                                     "estimate; prior: x", est.expansion_factor, est.pce)
            demand.store_estimate(estimate, prior)
        old = fingerprint()

        def operation():
            if scenario in ("import", "legacy"):
                demand.import_demand(od_b, zones_path=zones_b)
            elif scenario == "estimate":
                d = demand.load_demand(compute_default=False)
                estimate = demand.Demand(d.zones, d.od.assign(trips=d.od["trips"] * 2.0),
                                         "estimate; prior: a", d.expansion_factor, d.pce)
                demand.store_estimate(estimate, d)
            else:
                demand.reset_demand()

        targets = [
            (os, "replace"), (os, "rename"), (os, "unlink"), (os, "remove"), (os, "rmdir"),
            (os, "mkdir"), (os, "symlink"), (shutil, "rmtree"), (shutil, "copyfile"),
            (shutil, "copy2"), (shutil, "move"), (pathlib.Path, "write_text"),
            (pathlib.Path, "write_bytes"), (gpd.GeoDataFrame, "to_file"), (pd.DataFrame, "to_csv"),
        ]

        def arm(k):
            count = [0]
            for owner, name in targets:
                real = getattr(owner, name)
                def wrapper(*a, _real=real, **kw):
                    count[0] += 1
                    if count[0] == k:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return _real(*a, **kw)
                setattr(owner, name, wrapper)

        states, shows, shown = [], [], []
        new = None
        for k in range(1, 200):
            home = work / f"k{k}"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(base, home, symlinks=True)
            use(home)
            pid = os.fork()
            if pid == 0:
                try:
                    arm(k)
                    operation()
                except BaseException:
                    os._exit(3)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            state = fingerprint()
            if state not in shown:  # `demand show` once on each state a kill leaves
                shown.append(state)
                buf = io.StringIO()
                with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                    shows.append(main(["demand", "show"]))
            if os.WIFEXITED(status):
                if os.WEXITSTATUS(status) != 0:
                    new = ["child failed", k]
                    break
                new = state
                break
            states.append([k, state])
        results[scenario] = {"old": old, "new": new, "states": states, "shows": shows}
    print(json.dumps(results))
    """
)


#: What the kill child reported, by workspace (it runs once for every scenario).
_KILLS: dict[Path, dict] = {}

#: The operations killed at every write.
KILL_SCENARIOS = ("import", "estimate", "reset_prior", "reset_default", "legacy")


def _kill_report(ws: Path) -> dict:
    """Run the kill child once for every scenario (one process: the imports cost seconds)."""
    if ws in _KILLS:
        return _KILLS[ws]
    for scenario in KILL_SCENARIOS:
        work = ws / f"kill-{scenario}"
        work.mkdir(parents=True, exist_ok=True)
        (work / "od_a.csv").write_text(
            HEAD + "daoli,airport,car,300\nnangang,harbin_west,car,200\nairport,daoli,truck,40\n",
            encoding="utf-8",
        )
        (work / "od_b.csv").write_text(
            HEAD + "west,stn,car,111\nstn,east,truck,22\n", encoding="utf-8"
        )
        zones_file(work / "zones_b.geojson", POINTS)
    script = ws / "kill_child.py"
    script.write_text(KILL_CHILD, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["OGR_SQLITE_SYNCHRONOUS"] = "OFF"  # a kill, not a power cut: no need to wait for disk
    proc = subprocess.run(
        [sys.executable, str(script), str(ws), *KILL_SCENARIOS],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        cwd=ws,
        check=False,
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise Fault("internal", f"the kill child failed: {tail[:280]}")
    _KILLS[ws] = json.loads(proc.stdout.strip().splitlines()[-1])
    return _KILLS[ws]


def _kill_check(ws: Path, scenario: str, expect_new: dict) -> None:
    """Kill the operation at each of its writes; every state left must be old or new."""
    report = _kill_report(ws)[scenario]
    old, new = report["old"], report["new"]
    if new is None or new[0] == "child failed":
        raise Fault("failed", f"the {scenario} never completed: {str(new)[:200]}")
    for key, value in expect_new.items():
        got = new[1] if key == "zones" else new[0]
        if (key == "zones" and list(got) != value) or (key == "source" and value not in got):
            raise Fault("failed", f"the completed {scenario} left {key} {got!r}, not {value!r}")
    if old == new:
        raise Fault("failed", f"the {scenario} changed nothing")
    mixed = [(k, s) for k, s in report["states"] if s not in (old, new)]
    if mixed:
        k, state = mixed[0]
        desc = state if state[0] == "error" else [state[0], state[1][:5]]
        raise Fault(
            "lost",
            f"{len(mixed)} of {len(report['states'])} kill points leave neither the old nor the "
            f"new demand; at write {k}: {str(desc)[:200]}",
        )
    if any(code != 0 for code in report["shows"]):
        raise Fault("failed", f"`demand show` failed after a kill: exit codes {report['shows']}")
    if len(report["states"]) < 3:
        raise Fault("failed", f"only {len(report['states'])} kill points were reached")


# ------------------------------------------------------------------ checks in this process


def _import_and_total(ws: Path, name: str, expect: dict[str, float], *args: str) -> None:
    from sanqu_geo import demand
    from sanqu_geo.cli import main

    with private_home(ws / f"home-{name}"):
        code = main(["demand", "import", "--od", str(ws / name), *args])
        if code != 0:
            raise Fault("failed", f"demand import {name} exited {code}")
        got = demand.load_demand(compute_default=False).totals()
        if got != pytest_approx(expect):
            raise Fault("silent", f"{name}: stored totals {got}, expected {expect}")


def pytest_approx(expect: dict[str, float]) -> object:
    import pytest

    return pytest.approx(expect, rel=1e-12)


def _check_minus_zero(ws: Path) -> None:
    """-0.0 is no trip: accepted, and stored as nothing (no negative zero in the table)."""
    from sanqu_geo import demand

    _import_and_total(ws, "d-minus-zero.csv", {"car": 10.0, "truck": 0.0})
    with private_home(ws / "home-d-minus-zero.csv"):
        od = demand.load_demand(compute_default=False).od
        if len(od) != 1 or str(od["trips"].iloc[0]) != "10.0":
            raise Fault("silent", f"stored OD {od.to_dict('records')}")


def _check_na_zone(ws: Path) -> None:
    """A zone named NA (or null, nan) is a zone id like any other, not a missing value."""
    from sanqu_geo import demand
    from sanqu_geo.cli import main

    with private_home(ws / "home-na"):
        code = main(
            [
                "demand",
                "import",
                "--od",
                str(ws / "d-na.csv"),
                "--zones",
                str(ws / "z-na.geojson"),
            ]
        )
        if code != 0:
            raise Fault("failed", f"demand import with zone 'NA' exited {code}")
        d = demand.load_demand(compute_default=False)
        pairs = set(zip(d.od["origin"], d.od["destination"], strict=True))
        if pairs != {("NA", "null"), ("null", "NA")} or list(d.zones["id"]) != ["NA", "null"]:
            raise Fault("silent", f"zones {list(d.zones['id'])}, OD pairs {pairs}")


def _check_export_escape(ws: Path) -> None:
    """``demand export`` escapes formula text; the import takes exactly that escape off."""
    from sanqu_geo import demand
    from sanqu_geo.cli import main

    ids = ["=1+1", "@SUM(A1)", "'=x", "-plain", "'quoted"]
    with private_home(ws / "home-export"):
        zpath = zones_file(
            ws / "z-formula.geojson",
            {i: (126.60 + 0.01 * n, 45.75) for n, i in enumerate(ids)},
        )
        od = pd.DataFrame(
            {
                "origin": ids,
                "destination": ids[1:] + ids[:1],
                "class": "car",
                "trips": [10.0, 20.0, 30.0, 40.0, 50.0],
            }
        )
        demand.import_demand(_od_csv(ws / "d-formula-in.csv", od), zones_path=zpath)
        out = ws / "exp" / "od.csv"
        if main(["demand", "export", "--out", str(out)]) != 0:
            raise Fault("failed", "demand export failed")
        text = out.read_text(encoding="utf-8-sig")
        cells = {c for line in text.splitlines()[1:] for c in line.split(",")[:2]}
        live = sorted(c for c in cells if c[:1] in "=+-@")
        if live:
            raise Fault("silent", f"demand export wrote formula cells {live}")
        before = _fingerprint()[1:]
        if main(["demand", "import", "--od", str(out), "--zones", str(zpath)]) != 0:
            raise Fault("failed", "importing the exported OD failed")
        after = _fingerprint()[1:]
        if after != before:
            raise Fault("silent", "export → import changed the OD (an apostrophe lost or added)")


def _od_csv(path: Path, frame: pd.DataFrame) -> Path:
    """An OD CSV as ``demand export`` writes it (formula text escaped)."""
    from sanqu_geo._safe import spreadsheet_safe_frame

    spreadsheet_safe_frame(frame).to_csv(path, index=False)
    return path


def _check_safe_round_trip(ws: Path) -> None:
    """Every text survives the spreadsheet escape and back, and none stays a live formula."""
    from sanqu_geo._safe import spreadsheet_safe, unescape

    values = ["=1+1", "'=1+1", "''=1+1", "+86", "'+86", "-", "'", "''", "@x", "'@x", "a'=b", ""]
    values += ["'plain", "\tx", "'\tx", "=", "'-5"]
    for v in values:
        safe = spreadsheet_safe(v)
        if unescape(safe) != v:
            raise Fault("lost", f"{v!r} → {safe!r} → {unescape(safe)!r}")
        if str(safe)[:1] in ("=", "+", "-", "@", "\t", "\r"):
            raise Fault("silent", f"{v!r} written as a live formula {safe!r}")


def _check_layer_csv_apostrophe(ws: Path) -> None:
    """A layer CSV export → import keeps a name that genuinely begins with an apostrophe."""
    from sanqu_geo import layers

    frame = gpd.GeoDataFrame(
        {"id": ["a", "b"], "name_zh": ["'=甲", "=乙"]},
        geometry=[Point(126.6, 45.7), Point(126.7, 45.7)],
        crs="EPSG:4326",
    )
    from sanqu_geo._safe import spreadsheet_safe_frame

    plain = pd.DataFrame(
        {"id": frame["id"], "name_zh": frame["name_zh"], "lon": [126.6, 126.7], "lat": [45.7] * 2}
    )
    path = ws / "names.csv"
    spreadsheet_safe_frame(plain).to_csv(path, index=False, encoding="utf-8-sig")
    back = layers.read_vector_file(path)
    if list(back["name_zh"]) != ["'=甲", "=乙"]:
        raise Fault("lost", f"names read back as {list(back['name_zh'])}")


def _check_show_markup(ws: Path) -> None:
    """Zone names and ids with Rich markup print as text in ``demand show``."""
    from sanqu_geo.cli import main

    with private_home(ws / "home-markup"):
        zpath = zones_file(
            ws / "z-markup.geojson",
            {"[bold]z1": POINTS["west"], "z2[/]": POINTS["stn"]},
            name_zh=["[red]甲[/red]", "[/x]"],
        )
        od = ws / "d-markup.csv"
        od.write_text(HEAD + '"[bold]z1","z2[/]",car,5\n', encoding="utf-8")
        if main(["demand", "import", "--od", str(od), "--zones", str(zpath)]) != 0:
            raise Fault("failed", "import of zones with markup in their names failed")
        code = main(["demand", "show"])
        if code != 0:
            raise Fault("internal", f"demand show exited {code}")


def _check_gbk(ws: Path) -> None:
    """A GBK-encoded OD (Chinese Excel's CSV) with Chinese zone ids imports right."""
    from sanqu_geo import demand
    from sanqu_geo.cli import main

    with private_home(ws / "home-gbk"):
        zpath = zones_file(ws / "z-cn.geojson", {"道里": POINTS["west"], "南岗": POINTS["stn"]})
        od = ws / "d-gbk.csv"
        od.write_bytes((HEAD + "道里,南岗,car,120\n南岗,道里,truck,8\n").encode("gbk"))
        if main(["demand", "import", "--od", str(od), "--zones", str(zpath)]) != 0:
            raise Fault("failed", "GBK OD import failed")
        d = demand.load_demand(compute_default=False)
        got = sorted(zip(d.od["origin"], d.od["destination"], d.od["trips"], strict=True))
        if got != [("南岗", "道里", 8.0), ("道里", "南岗", 120.0)]:
            raise Fault("silent", f"GBK OD read as {got}")


def _check_legacy_store(ws: Path) -> None:
    """A store written by an earlier version (three files, no pointer) still loads."""
    from sanqu_geo import demand

    with private_home(ws / "home-legacy") as home:
        d = demand.demand_from_file(ws / "d-bom.csv")
        store = home / "demand"
        store.mkdir()
        d.zones.to_file(store / "zones.gpkg", driver="GPKG", layer="zones", engine="pyogrio")
        d.od.to_csv(store / "od.csv", index=False)
        (store / "meta.json").write_text(
            json.dumps({"source": "user file old.csv", "expansion_factor": 12.0, "pce": d.pce}),
            encoding="utf-8",
        )
        got = demand.load_demand()
        if got.source != "user file old.csv" or got.totals() != d.totals():
            raise Fault("failed", f"the earlier store loads as {got.source!r} {got.totals()}")
        # and a reset goes back to the default
        if demand.reset_demand() != "default" or (store / "meta.json").exists():
            raise Fault("failed", "reset did not remove the earlier store")


def _check_legacy_mix(ws: Path) -> None:
    """An earlier store left mixed by a kill (new zones, old OD) is a clear error, not 0 trips."""
    from sanqu_geo import demand
    from sanqu_geo.errors import SanquGeoError

    with private_home(ws / "home-mix") as home:
        d = demand.demand_from_file(ws / "d-bom.csv")
        store = home / "demand"
        store.mkdir()
        zones = gpd.read_file(ws / "z-three.geojson")
        zones["name_zh"], zones["name_en"], zones["kind"] = zones["id"], zones["id"], "user"
        zones["population"] = float("nan")
        zones.to_file(store / "zones.gpkg", driver="GPKG", layer="zones", engine="pyogrio")
        d.od.to_csv(store / "od.csv", index=False)
        (store / "meta.json").write_text(
            json.dumps({"source": "user file old.csv", "expansion_factor": 12.0, "pce": d.pce}),
            encoding="utf-8",
        )
        try:
            got = demand.load_demand()
        except SanquGeoError as exc:
            text = str(exc)
            if "\n" in text or "reset" not in text or str(store) not in text:
                raise Fault("unclear", text[:280]) from exc
            return
        raise Fault("silent", f"a mixed store loads: {got.totals()} on {len(got.zones)} zones")


def _check_repeated_cells(ws: Path) -> None:
    """Repeated rows of one OD cell are summed (as documented), not kept twice or dropped."""
    _import_and_total(ws, "d-repeat.csv", {"car": 30.0, "truck": 0.0})


def _check_no_leftovers(ws: Path) -> None:
    """Imports, an estimate and resets leave no old versions or temporaries behind."""
    from sanqu_geo import demand

    with private_home(ws / "home-tidy") as home:
        for _ in range(3):
            demand.import_demand(ws / "d-bom.csv")
        d = demand.load_demand(compute_default=False)
        demand.store_estimate(d.scaled(0.5), d)
        demand.import_demand(ws / "d-bom.csv")
        files = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
        names = {Path(f).name for f in files}
        if len(files) > 4 or names - {"zones.gpkg", "od.csv", "meta.json", "current.json"}:
            raise Fault("failed", f"the store holds {files}")
        if demand.reset_demand() != "default" or any(home.rglob("*.csv")):
            raise Fault("failed", "reset left files behind")


def _compare_call(ws: Path, od: object) -> object:
    from sanqu_geo import compare, demand

    base = demand.load_demand(compute_default=False)
    d = demand.Demand(base.zones, od, "test", base.expansion_factor, base.pce)  # type: ignore[arg-type]
    return compare.compare(demand_=d, sensitivity=False, appraisal=False)


# ------------------------------------------------------------------ the cases


def _files(ws: Path) -> dict[str, Path]:
    f: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = ws / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        f[name] = path

    ok = "daoli,airport,car,100\n"
    put("d-1e308.csv", HEAD + ok + "daoli,nangang,car,1e308\n")
    put("d-1e12.csv", HEAD + ok + "daoli,nangang,car,1e12\n")
    put("d-nan.csv", HEAD + ok + "daoli,nangang,car,nan\n")
    put("d-inf.csv", HEAD + ok + "daoli,nangang,truck,inf\n")
    put("d-neginf.csv", HEAD + ok + "daoli,nangang,truck,-inf\n")
    put("d-negative.csv", HEAD + ok + "daoli,nangang,car,-5\n")
    put("d-1e.csv", HEAD + ok + "daoli,nangang,car,1e\n")
    put("d-comma.csv", HEAD + ok + 'daoli,nangang,car,"1,000"\n')
    put("d-comma-bare.csv", HEAD + ok + "daoli,nangang,car,1,000\n")
    put("d-total.csv", HEAD + "".join(f"{o},{t},car,40000\n" for o in ZONES for t in ZONES))
    put("d-minus-zero.csv", HEAD + "daoli,airport,car,-0.0\ndaoli,nangang,car,10\n")
    put("d-unknown-zone.csv", HEAD + ok + "daoli,zone_x9,car,10\n")
    put("d-unknown-class.csv", HEAD + ok + "daoli,nangang,bus,10\n")
    put("d-diagonal.csv", HEAD + "daoli,daoli,car,100\nairport,airport,truck,5\n")
    put("d-zeros.csv", HEAD + "daoli,airport,car,0\nnangang,daoli,truck,0\n")
    put("d-header.csv", HEAD)
    put("d-empty.csv", "")
    put("d-bom.csv", "\ufeff" + HEAD + "daoli,airport,car,100\nnangang,daoli,truck,7\n")
    put("d-binary.csv", bytes(range(256)) * 8)
    put("d-dupcol.csv", "origin,destination,class,trips,trips\ndaoli,airport,car,100,900\n")
    put("d-blank-origin.csv", HEAD + ok + ",airport,car,10\n")
    put("d-repeat.csv", HEAD + "daoli,airport,car,10\ndaoli,airport,car,20\n")
    put("d-od.xlsx", b"PK\x03\x04 not really")
    put("d-na.csv", HEAD + "NA,null,car,10\nnull,NA,car,5\n")
    zones_file(ws / "z-na.geojson", {"NA": POINTS["west"], "null": POINTS["stn"]})
    zones_file(ws / "z-three.geojson", POINTS)
    gpd.GeoDataFrame(
        {"id": ["west", "west"]}, geometry=[Point(POINTS["west"]), Point(POINTS["stn"])], crs=4326
    ).to_file(ws / "z-dup.geojson", driver="GeoJSON", engine="pyogrio")
    put("z-empty.geojson", "")
    put("z-one.csv", "id,lon,lat\nsolo,126.6,45.75\n")
    put("d-solo.csv", HEAD + "solo,solo,car,10\n")
    os.mkfifo(ws / "d-fifo.csv")
    os.symlink("/dev/zero", ws / "d-zero.csv")
    os.mkfifo(ws / "z-fifo.geojson")
    (ws / "d-folder.csv").mkdir()
    with open(ws / "d-huge.csv", "wb") as handle:  # a sparse file far above any real OD
        handle.truncate(8 * 2**30)
    import numpy as np
    import openmatrix as omx

    for name, value in (("o-1e12.omx", 1e12), ("o-neg.omx", -3.0), ("o-inf.omx", np.inf)):
        with omx.open_file(str(ws / name), "w") as handle:
            m = np.zeros((21, 21))
            m[0, 1], m[1, 0] = value, 10.0
            handle["car"] = m
    import tables

    with omx.open_file(str(ws / "o-giant.omx"), "w") as handle:  # 60,000² zeros in kilobytes
        handle.create_carray(
            handle.root.data,
            "car",
            atom=tables.Float64Atom(),
            shape=(60_000, 60_000),
            filters=tables.Filters(complevel=1, complib="zlib"),
            chunkshape=(1000, 1000),
        )
    return f


#: The trunk sketch's zones (the tests' network).
ZONES = [
    "daoli", "nangang", "daowai", "pingfang", "songbei", "xiangfang", "hulan", "acheng",
    "shuangcheng", "airport", "harbin_station", "harbin_west", "harbin_east", "harbin_north",
    "ftz_harbin", "new_area_jiangbei", "new_area_pingfang", "airport_zone", "cbz_phase1",
    "container_centre", "inland_port",
]  # fmt: skip


def cases(ws: Path) -> list[Case]:
    """The cases of the demand area (files created under ``ws``)."""
    from sanqu_geo import demand

    f = _files(ws)

    def imp(what: str, name: str, needle: str | None = None, **kw: object) -> Case:
        return Case(what, args=["demand", "import", "--od", ws / name], needle=needle or name, **kw)  # type: ignore[arg-type]

    def cmp(what: str, name: str, needle: str | None = None) -> Case:
        args = ["corridors", "compare", "--demand", ws / name, "--out", ws / "cmp-out"]
        return Case(what, args=args, needle=needle or name, timeout=60)

    def read(what: str, name: str, needle: str) -> Case:
        return Case(what, call=lambda: demand.read_od(ws / name, ZONES), needle=needle)

    out: list[Case] = [
        imp("import: a cell of 1e308 veh/h", "d-1e308.csv"),
        imp("import: a cell of 1e12 veh/h", "d-1e12.csv"),
        imp("import: a nan cell", "d-nan.csv"),
        imp("import: an inf cell", "d-inf.csv"),
        imp("import: a -inf cell", "d-neginf.csv"),
        imp("import: a negative cell", "d-negative.csv"),
        imp("import: trips '1e'", "d-1e.csv"),
        imp("import: trips '1,000' quoted", "d-comma.csv"),
        imp("import: trips 1,000 unquoted", "d-comma-bare.csv"),
        imp("import: total above any city's", "d-total.csv"),
        imp("import: a zone not in the zones", "d-unknown-zone.csv", "zone_x9"),
        imp("import: an unknown class", "d-unknown-class.csv", "bus"),
        imp("import: intrazonal trips only", "d-diagonal.csv"),
        imp("import: every cell zero", "d-zeros.csv"),
        imp("import: a header only", "d-header.csv"),
        imp("import: a 0-byte file", "d-empty.csv"),
        imp("import: a binary file", "d-binary.csv"),
        imp("import: a duplicated trips column", "d-dupcol.csv"),
        imp("import: a row without an origin", "d-blank-origin.csv"),
        imp("import: an .xlsx OD", "d-od.xlsx"),
        imp("import: a folder as the OD", "d-folder.csv"),
        imp("import: an 8 GB (sparse) file", "d-huge.csv"),
        imp("import: missing file", "d-missing.csv"),
        imp("import: a FIFO as the OD", "d-fifo.csv", subprocess=True, timeout=20),
        imp("import: a symlink to /dev/zero", "d-zero.csv", subprocess=True, timeout=20),
        imp("import: OMX cell of 1e12", "o-1e12.omx"),
        imp("import: OMX negative cell", "o-neg.omx"),
        imp("import: OMX inf cell", "o-inf.omx"),
        imp("import: OMX of 60,000² zones", "o-giant.omx", subprocess=True, timeout=30),
        Case(
            "import: a FIFO as the zones",
            args=["demand", "import", "--od", f["d-bom.csv"], "--zones", ws / "z-fifo.geojson"],
            needle="z-fifo.geojson",
            timeout=10,
        ),
        Case(
            "import: a zone id twice",
            args=["demand", "import", "--od", f["d-bom.csv"], "--zones", ws / "z-dup.geojson"],
            needle="z-dup.geojson",
        ),
        Case(
            "import: an empty zones file",
            args=["demand", "import", "--od", f["d-bom.csv"], "--zones", ws / "z-empty.geojson"],
            needle="z-empty.geojson",
        ),
        Case(
            "import: one zone, trips only to itself",
            args=["demand", "import", "--od", f["d-solo.csv"], "--zones", f["z-one.csv"]],
            needle="d-solo.csv",
        ),
        Case(
            "export: an unknown OD format",
            args=["demand", "export", "--out", ws / "od.txt"],
            needle="od.txt",
        ),
        Case(
            "export: onto a folder",
            args=["demand", "export", "--out", ws / "d-folder.csv"],
            needle="d-folder.csv",
        ),
        cmp("compare --demand: a cell of 1e12", "d-1e12.csv"),
        cmp("compare --demand: 1e308", "d-1e308.csv"),
        cmp("compare --demand: a header only", "d-header.csv"),
        cmp("compare --demand: every cell zero", "d-zeros.csv"),
        cmp("compare --demand: intrazonal only", "d-diagonal.csv"),
        Case(
            "compare --demand: a FIFO",
            args=["corridors", "compare", "--demand", ws / "d-fifo.csv", "--out", ws / "c2"],
            needle="d-fifo.csv",
            timeout=10,
        ),
        read("read_od: 1e308 names the value", "d-1e308.csv", "1e+308"),
        read("read_od: 1e12 names the bound", "d-1e12.csv", "veh/h"),
        Case(
            "read_od: zone_ids not a list",
            call=lambda: demand.read_od(ws / "d-bom.csv", None),  # type: ignore[arg-type]
            needle="zone_ids",
        ),
        Case("import_demand: no path", call=lambda: demand.import_demand(None), needle="od_path"),  # type: ignore[arg-type]
        Case(
            "compare(): an empty OD",
            call=lambda: _compare_call(
                ws, pd.DataFrame(columns=["origin", "destination", "class", "trips"])
            ),
            needle="no trips between zones",
        ),
        Case(
            "compare(): a nan cell",
            call=lambda: _compare_call(
                ws,
                pd.DataFrame(
                    {
                        "origin": ["daoli"],
                        "destination": ["airport"],
                        "class": ["car"],
                        "trips": [float("nan")],
                    }
                ),
            ),
            needle="nan",
        ),
        Case(
            "compare(): an OD as a dict",
            call=lambda: _compare_call(ws, {"daoli": {"airport": 10}}),
            needle="od",
        ),
        Case("-0.0 is no trip", check=lambda: _check_minus_zero(ws)),
        Case(
            "a BOM is read",
            check=lambda: _import_and_total(ws, "d-bom.csv", {"car": 100.0, "truck": 7.0}),
        ),
        Case("zone ids NA and null", check=lambda: _check_na_zone(ws)),
        Case("repeated OD rows are summed", check=lambda: _check_repeated_cells(ws)),
        Case("GBK OD with Chinese zone ids", check=lambda: _check_gbk(ws)),
        Case("export escapes formulas; import reverses it", check=lambda: _check_export_escape(ws)),
        Case("spreadsheet escape round-trips", check=lambda: _check_safe_round_trip(ws)),
        Case("layer CSV keeps a genuine apostrophe", check=lambda: _check_layer_csv_apostrophe(ws)),
        Case("demand show prints markup as text", check=lambda: _check_show_markup(ws)),
        Case("a store of an earlier version loads", check=lambda: _check_legacy_store(ws)),
        Case("an earlier store left mixed is a clear error", check=lambda: _check_legacy_mix(ws)),
        Case("no leftovers after imports and resets", check=lambda: _check_no_leftovers(ws)),
        Case(
            "kill at every write of an import",
            check=lambda: _kill_check(ws, "import", {"zones": ["west", "stn", "east"]}),
            timeout=110,
        ),
        Case(
            "kill at every write of an estimate",
            check=lambda: _kill_check(ws, "estimate", {"source": "estimate; prior: a"}),
            timeout=110,
        ),
        Case(
            "kill at every write of a reset to the prior",
            check=lambda: _kill_check(ws, "reset_prior", {"source": "user file od_a.csv"}),
            timeout=110,
        ),
        Case(
            "kill at every write of a reset to the default",
            check=lambda: _kill_check(ws, "reset_default", {"source": "indicative default"}),
            timeout=110,
        ),
        Case(
            "kill at every write of an import over an earlier store",
            check=lambda: _kill_check(ws, "legacy", {"zones": ["west", "stn", "east"]}),
            timeout=110,
        ),
    ]
    return out
