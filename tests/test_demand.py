"""Demand: the generator's control totals, users' CSV/OMX round trips, bad inputs."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openmatrix as omx
import pandas as pd
import pytest

from sanqu_geo import demand, network
from sanqu_geo.cli import main
from sanqu_geo.errors import DataSourceError, DemandError


@pytest.fixture(scope="module")
def default() -> demand.Demand:
    return demand.default_demand()


def test_furness_meets_row_and_column_totals_on_a_hand_example() -> None:
    P = np.array([100.0, 50.0, 0.0])
    A = np.array([30.0, 60.0, 60.0])
    F = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.0]])
    T = demand.furness(P, A, F, tolerance=1e-12)
    assert T.sum(axis=1) == pytest.approx(P)
    assert T.sum(axis=0) == pytest.approx(A)
    assert np.all(np.diag(T) == 0)
    # doubly constrained gravity: T_ij = a_i b_j P_i A_j f_ij has zero interaction odds ratio
    # T01 T12 T20 == T02 T21 T10 * (f01 f12 f20) / (f02 f21 f10) when all are positive
    assert T[0, 1] * T[1, 2] * T[2, 0] == pytest.approx(
        T[0, 2] * T[2, 1] * T[1, 0] * (1 * 1 * 0.5) / (0.5 * 1 * 1), abs=1e-9
    )


def test_generator_reproduces_its_control_totals(default: demand.Demand) -> None:
    params = demand.parameters_for(demand.load_parameters(), "trunk")
    zones = default.zones
    rate = params["generation"]["car_trips_per_resident"]
    gens = {g["id"]: g for g in params["zones"]["generator"]}
    # productions: census population × rate for districts, stated trips for generators
    expected_p = np.array(
        [
            z.population * rate if z.kind == "district" else gens[z.id].get("car_produced", 0.0)
            for z in zones.itertuples()
        ]
    )
    car = default.matrix("car").to_numpy()
    # Furness stops when every total is met within its tolerance (1e-9 of the total)
    assert car.sum(axis=1) == pytest.approx(expected_p, rel=1e-7)
    assert car.sum() == pytest.approx(
        6_976_136 * rate + sum(g.get("car_produced", 0.0) for g in gens.values()), rel=1e-8
    )
    # the generators attract exactly their stated trips
    col = dict(zip(zones["id"], car.sum(axis=0), strict=True))
    for gid, g in gens.items():
        assert col[gid] == pytest.approx(g["car_attracted"], rel=1e-8)
    # districts attract the rest in proportion to population
    districts = zones[zones["kind"] == "district"]
    ratio = [col[z.id] / z.population for z in districts.itertuples()]
    assert max(ratio) == pytest.approx(min(ratio), rel=1e-8)
    # trucks: background share of the districts' car trips plus the logistics nodes' own
    truck_total = default.matrix("truck").to_numpy().sum()
    logistics = sum(g.get("truck_produced", 0) + g.get("truck_attracted", 0) for g in gens.values())
    assert truck_total == pytest.approx(
        params["generation"]["truck_share_of_car"] * 6_976_136 * rate + logistics, rel=1e-8
    )
    assert zones.loc[zones["kind"] == "district", "population"].sum() == 6_976_136


def test_logistics_trucks_leave_their_node_and_spread_by_attraction(default) -> None:
    params = demand.load_parameters()
    params["generation"]["truck_share_of_car"] = 0.0
    for g in params["zones"]["generator"]:
        g.pop("truck_attracted", None)
        g.pop("truck_produced", None)
        if g["id"] == "container_centre":
            g["truck_produced"] = 250.0
    zones = default.zones
    ids = list(zones["id"])
    minutes = np.full((len(zones), len(zones)), 20.0)  # equal times: shares follow attraction
    out = demand.generate(zones, minutes, params)
    i = ids.index("container_centre")
    assert out["truck"][i].sum() == pytest.approx(250.0)
    assert out["truck"].sum() == pytest.approx(250.0)
    attraction = out["car_attractions"].copy()
    attraction[i] = 0.0
    assert out["truck"][i] == pytest.approx(250.0 * attraction / attraction.sum())


def _custom_od(default: demand.Demand) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": ["daoli", "nangang", "daoli", "airport"],
            "destination": ["airport", "airport", "container_centre", "xiangfang"],
            "class": ["car", "car", "truck", "car"],
            "trips": [120.0, 80.5, 12.0, 40.0],
        }
    )


def test_csv_round_trip_replaces_the_default(tmp_path, default) -> None:
    table = _custom_od(default)
    path = tmp_path / "od.csv"
    table.to_csv(path, index=False)
    assert main(["demand", "import", "--od", str(path)]) == 0
    used = demand.load_demand()
    assert used.source.startswith("user file od.csv")
    assert used.totals() == {"car": pytest.approx(240.5), "truck": pytest.approx(12.0)}
    out = tmp_path / "back.csv"
    demand.write_od(used, out)
    back = pd.read_csv(out).sort_values(["class", "origin", "destination"]).reset_index(drop=True)
    want = table.sort_values(["class", "origin", "destination"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, want, check_dtype=False)
    assert main(["demand", "reset"]) == 0
    assert demand.load_demand().source.startswith("indicative")


@pytest.mark.parametrize("name", ["zones.gpkg", "zones.geojson"])
def test_export_writes_the_od_and_the_zones(tmp_path, default, name) -> None:
    od, zones_out = tmp_path / "od.csv", tmp_path / name
    assert main(["demand", "export", "--out", str(od), "--zones-out", str(zones_out)]) == 0
    back = gpd.read_file(zones_out)
    assert list(back["id"]) == list(default.zones["id"])
    assert back.geometry.geom_equals_exact(default.zones.geometry.to_crs(back.crs), 1e-9).all()
    assert pd.read_csv(od)["trips"].sum() == pytest.approx(default.od["trips"].sum())


def test_export_refuses_a_zones_format_it_cannot_write(tmp_path, capsys) -> None:
    od = tmp_path / "od.csv"
    args = ["demand", "export", "--out", str(od), "--zones-out", str(tmp_path / "z.shp")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "z.shp: write the zones as .gpkg or .geojson" in err
    assert len(err.strip().splitlines()) == 1
    assert not od.exists()


def test_omx_round_trip_replaces_the_default(tmp_path, default) -> None:
    out = tmp_path / "default.omx"
    demand.write_od(default, out)
    with omx.open_file(str(out)) as handle:
        assert sorted(handle.list_matrices()) == ["car", "truck"]
        assert handle["car"].shape == (len(default.zones), len(default.zones))
    # written with the zone ids, it imports back unchanged
    demand.import_demand(out)
    assert demand.load_demand().matrix("car").to_numpy() == pytest.approx(
        default.matrix("car").to_numpy()
    )
    # scale it and import it back: the scaled matrix is now the one in use
    with omx.open_file(str(out)) as handle:
        car, truck = np.array(handle["car"]) * 2, np.array(handle["truck"])
    scaled = tmp_path / "scaled.omx"
    with omx.open_file(str(scaled), "w") as handle:
        handle["car"] = car
        handle["truck"] = truck
        handle.create_mapping("zone", list(range(1, len(default.zones) + 1)))
    # zone numbers 1..n in the mapping: the zones must then be numbered the same way
    numbered = default.zones.copy()
    numbered["id"] = [str(i) for i in range(1, len(numbered) + 1)]
    zfile = tmp_path / "numbered.gpkg"
    numbered.to_file(zfile, driver="GPKG")
    demand.import_demand(scaled, zones_path=zfile)
    used = demand.load_demand()
    assert list(used.zones["id"]) == list(numbered["id"])
    assert used.totals()["car"] == pytest.approx(2 * default.totals()["car"])
    assert used.matrix("car").to_numpy() == pytest.approx(2 * default.matrix("car").to_numpy())
    assert used.matrix("truck").to_numpy() == pytest.approx(default.matrix("truck").to_numpy())


def test_user_zones_from_a_layer_file(tmp_path) -> None:
    zones = tmp_path / "zones.geojson"
    zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"zid": name},
                        "geometry": {"type": "Point", "coordinates": xy},
                    }
                    for name, xy in (("west", [126.5714, 45.7053]), ("stn", [126.6268, 45.7597]))
                ],
            }
        ),
        encoding="utf-8",
    )
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,class,trips\nwest,stn,car,300\nstn,west,car,100\n")
    assert (
        main(["demand", "import", "--od", str(od), "--zones", str(zones), "--id-column", "zid"])
        == 0
    )
    used = demand.load_demand()
    assert list(used.zones["id"]) == ["west", "stn"]
    H, centroids = demand.attach_zones(network.load_network("trunk"), used.zones)
    assert set(centroids) == {"west", "stn"}
    assert all(H.nodes[n]["added_by"] == "demand" for n in centroids.values())


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("origin,destination,class,trips\ndaoli,nowhere,car,10\n", "nowhere"),
        ("origin,destination,class,trips\ndaoli,nangang,car,-5\n", "negative"),
        ("origin,destination,class,trips\ndaoli,nangang,bus,5\n", "unknown class"),
        ("origin,destination,trips\ndaoli,nangang,5\n", "class"),
        ("origin,destination,class,trips\ndaoli,nangang,car,many\n", "not a number"),
    ],
)
def test_bad_csv_is_one_line_and_exit_2(tmp_path, capsys, content, needle) -> None:
    path = tmp_path / "od.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["demand", "import", "--od", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err
    assert "Traceback" not in err
    assert demand.load_demand(compute_default=False).source.startswith("indicative")


def test_omx_of_the_wrong_shape_is_refused(tmp_path, capsys) -> None:
    path = tmp_path / "od.omx"
    with omx.open_file(str(path), "w") as handle:
        handle["car"] = np.ones((5, 5))
    assert main(["demand", "import", "--od", str(path)]) == 2
    err = capsys.readouterr().err
    assert "5 × 5" in err and "21 zones" in err


def test_zone_layer_without_ids_is_refused(tmp_path, capsys) -> None:
    zones = tmp_path / "zones.geojson"
    zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "a"},
                        "geometry": {"type": "Point", "coordinates": [126.6, 45.75]},
                    }
                ],
            }
        )
    )
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,class,trips\na,a,car,1\n")
    assert main(["demand", "import", "--od", str(od), "--zones", str(zones)]) == 2
    assert "no 'id' column" in capsys.readouterr().err


def test_demand_show_cli(capsys) -> None:
    assert main(["demand", "show"]) == 0
    out = capsys.readouterr().out
    assert "南岗区" in out and "1,390,679" in out
    with pytest.raises(DataSourceError, match="missing.csv: OD file not found"):
        demand.read_od("missing.csv", ["a"])


def test_the_remembered_key_is_the_hash_and_follows_changes(default: demand.Demand) -> None:
    import dataclasses
    import hashlib

    d = dataclasses.replace(default, od=default.od.copy())
    first = d.key()
    # independent: the hash computed from scratch, as the run keys of the caches need it
    h = hashlib.sha1()
    h.update("|".join(d.zones["id"].astype(str)).encode())
    h.update(b"".join(g.wkb for g in d.zones.geometry))
    od = d.od.sort_values(["class", "origin", "destination"])
    h.update(pd.util.hash_pandas_object(od, index=False).to_numpy().tobytes())
    assert first == h.hexdigest()[:16] == d.key()
    # an OD changed in place is a different demand, so a different key
    d.od["trips"] = d.od["trips"] * 1.2
    assert d.key() != first
    assert d.scaled(1.0).key() == d.key()


def test_od_bounds_are_inclusive_and_named(tmp_path) -> None:
    ids = ["daoli", "nangang"]
    at = tmp_path / "at.csv"
    at.write_text(
        f"origin,destination,class,trips\ndaoli,nangang,car,{demand.MAX_TRIPS_PER_CELL:.0f}\n"
        "nangang,daoli,truck, 0.25 \ndaoli,nangang,truck,-0.0\n",
        encoding="utf-8",
    )
    od = demand.read_od(at, ids)
    # the bound itself is accepted; spaces are trimmed; -0.0 is no trip and is left out
    assert sorted(zip(od["class"], od["trips"], strict=True)) == [
        ("car", demand.MAX_TRIPS_PER_CELL),
        ("truck", 0.25),
    ]
    above = tmp_path / "above.csv"
    above.write_text(
        f"origin,destination,class,trips\ndaoli,nangang,car,{demand.MAX_TRIPS_PER_CELL + 1:.0f}\n",
        encoding="utf-8",
    )
    with pytest.raises(DemandError, match=r"above.csv: trips 50001 on line 2 .* 50,000 veh/h"):
        demand.read_od(above, ids)


def test_a_store_of_an_earlier_version_keeps_its_prior(tmp_path) -> None:
    """The layout before versioned stores (files side by side, ``prior/`` beside them)."""
    from sanqu_geo import settings

    a = _tiny(tmp_path, "a.csv", 300.0)
    b = _tiny(tmp_path, "b.csv", 150.0)
    store = settings.get_home_folder() / "demand"
    for folder, d, source in ((store, b, "estimate"), (store / "prior", a, "user file a.csv")):
        folder.mkdir(parents=True)
        d.zones.to_file(folder / "zones.gpkg", driver="GPKG", layer="zones", engine="pyogrio")
        d.od.to_csv(folder / "od.csv", index=False)
        meta = {"source": source, "expansion_factor": 10.0, "pce": d.pce}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert demand.load_demand().totals()["car"] == 150.0
    assert demand.reset_demand() == "prior"
    back = demand.load_demand()
    assert (back.source, back.totals()["car"]) == ("user file a.csv", 300.0)
    # moved into the versioned layout: nothing of the earlier one is left
    assert not (store / "prior").exists() and not (store / "od.csv").exists()
    assert demand.reset_demand() == "default"
    assert not store.exists()


def _tiny(tmp_path, name: str, trips: float) -> demand.Demand:
    path = tmp_path / name
    path.write_text(f"origin,destination,class,trips\ndaoli,airport,car,{trips}\n")
    return demand.demand_from_file(path)


def test_a_store_mixed_by_hand_names_the_store_and_the_fix(tmp_path) -> None:
    demand.import_demand(_write(tmp_path / "a.csv", "daoli,airport,car,5\n"))
    od = demand._store() / "od.csv"
    od.write_text("origin,destination,class,trips\ndaoli,nowhere,car,5\n", encoding="utf-8")
    with pytest.raises(DemandError) as info:
        demand.load_demand()
    text = str(info.value)
    assert str(demand._store()) in text and "nowhere" in text and "demand reset" in text
    assert "\n" not in text
    assert demand.reset_demand() == "default"
    assert demand.load_demand(compute_default=False).source == "indicative default"


def _write(path, rows: str):
    path.write_text("origin,destination,class,trips\n" + rows, encoding="utf-8")
    return path


def test_compare_refuses_a_demand_without_trips_between_zones_before_solving(monkeypatch) -> None:
    from sanqu_geo import compare, peak

    def no_solve(*args, **kwargs):
        raise AssertionError("solved a demand that should have been refused")

    monkeypatch.setattr(peak, "solve", no_solve)
    base = demand.load_demand(compute_default=False)
    od = pd.DataFrame(
        {"origin": ["daoli"], "destination": ["daoli"], "class": ["car"], "trips": [9.0]}
    )
    d = demand.Demand(base.zones, od, "inside one zone", base.expansion_factor, base.pce)
    with pytest.raises(DemandError, match="no trips between zones"):
        compare.compare(demand_=d, sensitivity=False, appraisal=False)
