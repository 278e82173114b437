"""``sanqu-geo demand estimate``: counts files, the fit of the demand to them, and reset."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanqu_geo import assignment, counts, demand, peak, settings
from sanqu_geo.cli import main
from sanqu_geo.errors import DemandError

HEADER = list(counts.COLUMNS)


def _write(path: Path, rows: list[dict], *, bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    return path


def _graph():
    d = demand.load_demand()
    H, centroids = peak.assignment_graph(demand.network_name(), None, zones=d.zones)
    return d, H, centroids


def _longest(H, road_id: str, direction: str):
    """The longest edge of a road going one way, found here from degrees (not metres)."""
    sign = {"northbound": (0, 1), "southbound": (0, -1), "eastbound": (1, 0), "westbound": (-1, 0)}
    ex, ey = sign[direction]
    best = None
    for u, v, k, data in H.edges(keys=True, data=True):
        if data.get("road_id") != road_id:
            continue
        dx = H.nodes[v]["x"] - H.nodes[u]["x"]
        dy = H.nodes[v]["y"] - H.nodes[u]["y"]
        if dx * ex + dy * ey > 0 and (best is None or data["length"] > best[0]):
            best = (data["length"], (u, v, k))
    return None if best is None else best[1]


def _share_geh5(d, path: Path) -> float:
    """Share of the counts with GEH < 5 when ``d`` is assigned, computed here from the volumes."""
    _, H, centroids = _graph()
    result = assignment.assign(
        H,
        peak.demand_classes(d, centroids, peak.Variant()),
        gap=1e-5,
        centroids=list(centroids.values()),
        vdf=settings.peak_vdf,
    )
    table = counts.read_counts(path, H)
    col = table["class"].map({"car": "car", "truck": "truck", "all": "pcu"})
    model = np.array(
        [
            result.volumes.loc[(u, v, k), c]
            for u, v, k, c in zip(table["u"], table["v"], table["key"], col, strict=True)
        ]
    )
    c = table["count"].to_numpy()
    return float(np.mean(np.sqrt(2 * (model - c) ** 2 / (model + c)) < 5))


@pytest.fixture
def truth(tmp_path: Path):
    """Counts read off an assignment of the default demand with some cells scaled (seeded)."""
    d, H, centroids = _graph()
    rng = np.random.default_rng(7)
    od = d.od.copy()
    pick = rng.random(len(od)) < 0.5
    od.loc[pick, "trips"] *= rng.uniform(0.3, 3.0, int(pick.sum()))
    true_d = dataclasses.replace(d, od=od)
    result = assignment.assign(
        H,
        peak.demand_classes(true_d, centroids, peak.Variant()),
        gap=1e-5,
        centroids=list(centroids.values()),
        vdf=settings.peak_vdf,
    )
    vol = result.volumes
    # the busiest roads, each counted once on its longest edge in one direction
    rows, links = [], []
    car = vol["car"]
    for (u, v, k), _ in car.sort_values(ascending=False).items():
        rid = H.edges[u, v, k].get("road_id")
        if not rid or any(r.get("road_id") == rid for r in rows):
            continue
        for direction in ("northbound", "southbound", "eastbound", "westbound"):
            link = _longest(H, rid, direction)
            if link is not None and car[link] > 200:
                break
        else:
            continue
        cls = ("car", "all", "car", "truck")[len(rows) % 4]
        value = float(vol.loc[link, "pcu" if cls == "all" else cls])
        if value <= 0:
            continue
        rows.append(
            {"road_id": rid, "direction": direction, "class": cls, "period": "am_peak",
             "count": f"{value:.3f}", "label": f"{rid} {direction}"}
        )  # fmt: skip
        links.append(link)
        if len(rows) == 8:
            break
    # two counts located by points: the ends of a busy edge, pulled 30 m toward each other
    for (u, v, k), _ in car.sort_values(ascending=False).items():
        if len([r for r in rows if "from_lon" in r]) == 2:
            break
        if not H.edges[u, v, k].get("road_id") or (u, v, k) in links:
            continue
        a, b = H.nodes[u], H.nodes[v]
        if math.hypot(a["x"] - b["x"], a["y"] - b["y"]) < 0.01:
            continue
        t = 0.0003
        rows.append(
            {"from_lon": a["x"] + t * (b["x"] - a["x"]), "from_lat": a["y"] + t * (b["y"] - a["y"]),
             "to_lon": b["x"] - t * (b["x"] - a["x"]), "to_lat": b["y"] - t * (b["y"] - a["y"]),
             "class": "car", "period": "am_peak", "count": f"{float(car[(u, v, k)]):.3f}",
             "weight": "1"}
        )  # fmt: skip
        links.append((u, v, k))
    path = _write(tmp_path / "counts.csv", rows, bom=True)
    return {"path": path, "rows": rows, "links": links, "H": H, "prior": d}


def test_read_counts_matches_the_links(truth) -> None:
    table = counts.read_counts(truth["path"], truth["H"])
    assert len(table) == len(truth["rows"]) >= 8
    got = list(zip(table["u"], table["v"], table["key"], strict=True))
    assert got == truth["links"]
    assert table["line"].tolist() == list(range(2, len(table) + 2))
    assert set(table["class"]) == {"car", "truck", "all"}
    assert (table["weight"] == 1.0).all()


def test_estimate_fits_the_counts_and_reset_restores_the_prior(truth, capsys) -> None:
    prior = truth["prior"].od.sort_values(["class", "origin", "destination"])
    assert demand.load_demand().source.startswith("indicative")

    assert main(["demand", "estimate", "--counts", str(truth["path"])]) == 0
    out = capsys.readouterr().out
    assert "assignment 1:" in out and "GEH" in out

    in_use = demand.load_demand()
    assert in_use.source.startswith(
        f"estimated on the trunk network from {len(truth['rows'])} counts"
    )
    assert in_use.source.endswith(f"prior: {truth['prior'].source}")
    after = in_use.od.sort_values(["class", "origin", "destination"])
    assert not np.allclose(after["trips"].to_numpy(), prior["trips"].to_numpy())

    # the stored estimate, assigned again, fits the counts; the prior did not
    assert _share_geh5(in_use, truth["path"]) >= 0.9
    assert _share_geh5(truth["prior"], truth["path"]) < 0.5

    assert main(["demand", "reset"]) == 0
    assert "restored the prior" in capsys.readouterr().out
    back = demand.load_demand()
    assert back.source == truth["prior"].source
    pd.testing.assert_frame_equal(
        back.od.sort_values(["class", "origin", "destination"]).reset_index(drop=True),
        prior.reset_index(drop=True),
    )
    assert main(["demand", "reset"]) == 0
    assert "no imported demand" in capsys.readouterr().out


def test_reset_brings_back_an_imported_prior(truth, tmp_path: Path, capsys) -> None:
    od = truth["prior"].od.copy()
    od["trips"] = (od["trips"] * 0.9).round(3)
    od.to_csv(tmp_path / "mine.csv", index=False)
    assert main(["demand", "import", "--od", str(tmp_path / "mine.csv")]) == 0
    imported = demand.load_demand()
    stored = (demand._store() / "od.csv").read_bytes()

    assert main(["demand", "estimate", "--counts", str(truth["path"])]) == 0
    assert demand.load_demand().source.endswith("prior: user file mine.csv")
    assert main(["demand", "reset"]) == 0
    assert "restored the prior demand: user file mine.csv" in capsys.readouterr().out
    assert demand.load_demand().source == imported.source
    assert (demand._store() / "od.csv").read_bytes() == stored
    assert main(["demand", "reset"]) == 0
    assert demand.load_demand().source.startswith("indicative")


def test_template_parses(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    assert main(["demand", "estimate", "--template", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == HEADER
    _, H, _ = _graph()
    table = counts.read_counts(out, H)
    assert len(table) == len(frame) >= 2
    assert table["road_id"].ne("").any() and table["from_lon"].notna().any()
    assert not demand._store().exists()


def test_bare_template_writes_the_default_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demand", "estimate", "--template"]) == 0
    assert (tmp_path / "counts_template.csv").is_file()


def _good(**changes) -> dict:
    row = {"road_id": "ring-2-01", "direction": "northbound", "class": "car",
           "period": "am_peak", "count": "900"}  # fmt: skip
    row.update(changes)
    return row


def _far_points() -> dict:
    return _good(**{"road_id": "", "direction": "", "from_lon": "127.9", "from_lat": "45.7",
            "to_lon": "127.95", "to_lat": "45.7"})  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_good(road_id="no-such-road"), "no-such-road"),
        (_far_points(), "snap_max_distance_m"),
        (_good(count="-5"), "count"),
        (_good(count="many"), "count"),
        (_good(count="nan"), "count"),
        (_good(**{"class": "bus"}), "class 'bus'"),
        (_good(period="pm_peak"), "am_peak"),
        (_good(direction="up"), "direction"),
    ],
)
def test_bad_rows_exit_2_naming_the_line(tmp_path: Path, capsys, bad: dict, words: str) -> None:
    path = _write(tmp_path / "c.csv", [_good(), _good(road_id="ring-2-02"), bad])
    assert main(["demand", "estimate", "--counts", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{path} line 4" in err.replace("\n", "") and words in err
    assert not demand._store().exists()


def test_bad_files_exit_2(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    no_count = tmp_path / "nocount.csv"
    no_count.write_text("road_id,direction,class,period\nring-2-01,northbound,car,am_peak\n")
    for path, words in ((empty, "empty"), (header_only, "no counts"), (no_count, "count")):
        assert main(["demand", "estimate", "--counts", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(path) in err and words in err
    assert not demand._store().exists()


def test_a_count_no_path_reaches_names_its_row(tmp_path: Path, capsys) -> None:
    d, H, centroids = _graph()
    result = assignment.assign(
        H,
        peak.demand_classes(d, centroids, peak.Variant()),
        gap=1e-4,
        centroids=list(centroids.values()),
        vdf=settings.peak_vdf,
    )
    unused = [
        e
        for e, x in result.volumes["truck"].items()
        if x == 0
        and H.edges[e].get("road_id")
        and _longest(H, H.edges[e]["road_id"], "northbound") == e
    ]
    if not unused:
        pytest.skip("every road carries trucks in this model")
    rid = H.edges[unused[0]]["road_id"]
    path = _write(
        tmp_path / "c.csv",
        [_good(), _good(road_id=rid, **{"class": "truck"}, count="50")],
    )
    with pytest.raises(DemandError, match="line 3"):
        counts.estimate_demand(d, counts.read_counts(path, H), H, centroids)
    assert main(["demand", "estimate", "--counts", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path} line 3" in err.replace("\n", "") and "no OD pair" in err.replace("\n", " ")
    assert not demand._store().exists()
