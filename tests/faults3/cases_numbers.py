"""Numbers that enter through TNTP files, cost files and the options of ``assign``.

Every number is checked where it enters: finite, in its plausible range, whole where it must
be; a bad one is one line naming the file, the line and the field (or the option). Input
files are regular files of a bounded size (a FIFO or a link to ``/dev/zero`` is refused at
once, in a fresh process under a timeout in case it is not).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from faults3 import Case, Fault

NET = """<NUMBER OF ZONES> {zones}
<NUMBER OF NODES> 3
<FIRST THRU NODE> 1
<NUMBER OF LINKS> 3
<END OF METADATA>

~ init_node term_node capacity length free_flow_time b power speed toll link_type ;
{row}
2 3 1000 1 1 0.15 4 0 0 1 ;
1 3 1000 1 3 0.15 4 0 0 1 ;
"""
ROW = "1 2 1000 1 1 0.15 4 0 0 1 ;"
TRIPS = """<NUMBER OF ZONES> 3
<TOTAL OD FLOW> 3000
<END OF METADATA>

Origin 1
{cells}
"""
CELLS = "    3 : 3000.0;"


def _net(zones: str = "3", row: str = ROW, **fields: str) -> str:
    """The toy net file with the first row's fields replaced."""
    names = "init_node term_node capacity length free_flow_time b power speed toll link_type"
    if not fields:
        return NET.format(zones=zones, row=row)
    values = dict(zip(names.split(), row.rstrip(" ;").split(), strict=True))
    values.update(fields)
    return NET.format(zones=zones, row=" ".join(values.values()) + " ;")


def _folder(ws: Path, name: str, *, net: str | None = None, trips: str | None = None) -> Path:
    folder = ws / "tntp" / name
    folder.mkdir(parents=True)
    if net is not None:
        (folder / "Toy_net.tntp").write_text(net, encoding="utf-8")
    if trips is not None:
        (folder / "Toy_trips.tntp").write_text(trips, encoding="utf-8")
    return folder


def _assign(folder: Path, ws: Path, *more: object) -> list[object]:
    return ["assign", "--tntp", folder, "--out", ws / "assigned", *more]


def _costs(ws: Path, name: str, content: str | bytes) -> Path:
    path = ws / "costs" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _compare(path: Path, ws: Path) -> list[object]:
    return [
        "corridors", "compare", "--costs", path, "--out", ws / "compared",
        "--no-sensitivity", "--no-appraisal",
    ]  # fmt: skip


def _tntp_cases(ws: Path) -> list[Case]:
    trips = TRIPS.format(cells=CELLS)
    net = _net()

    def bad_net(name: str, **kw: str) -> Path:
        return _folder(ws, name, net=_net(**kw), trips=trips)

    def bad_trips(name: str, cells: str, text: str | None = None) -> Path:
        return _folder(ws, name, net=net, trips=text or TRIPS.format(cells=cells))

    cases = [
        Case("net node 3.7", _assign(bad_net("node-frac", term_node="3.7"), ws), "3.7"),
        Case(
            "net capacity 1,000.5",
            _assign(bad_net("cap-comma", capacity="1,000.5"), ws),
            "'1,000.5'",
        ),
        Case(
            "net free_flow_time nan",
            _assign(bad_net("fft-nan", free_flow_time="nan"), ws),
            "Toy_net.tntp line 8",
        ),
        Case("net capacity inf", _assign(bad_net("cap-inf", capacity="inf"), ws), "capacity"),
        Case("net b 1e", _assign(bad_net("b-1e", b="1e"), ws), "'1e'"),
        Case(
            "net row missing a field",
            _assign(
                _folder(ws, "short", net=_net(row="1 2 1000 1 1 0.15 4 0 0 ;"), trips=trips), ws
            ),
            "Toy_net.tntp line 8",
        ),
        Case("net power 1e300", _assign(bad_net("pow-huge", power="1e300"), ws), "power"),
        Case("net power negative", _assign(bad_net("pow-neg", power="-1"), ws), "power"),
        Case("net b nan", _assign(bad_net("b-nan", b="nan"), ws), "Toy_net.tntp line 8"),
        Case("net b 1e6", _assign(bad_net("b-huge", b="1e6"), ws), "b"),
        Case("net capacity 0", _assign(bad_net("cap-zero", capacity="0"), ws), "capacity"),
        Case("net capacity negative", _assign(bad_net("cap-neg", capacity="-5"), ws), "capacity"),
        Case(
            "net free_flow_time negative",
            _assign(bad_net("fft-neg", free_flow_time="-1"), ws),
            "free_flow_time",
        ),
        Case("net toll negative", _assign(bad_net("toll-neg", toll="-3"), ws), "toll"),
        Case(
            "net 20-digit node",
            _assign(bad_net("node-huge", term_node="12345678901234567890"), ws),
            "12345678901234567890",
        ),
        Case(
            "net <NUMBER OF ZONES> inf",
            _assign(bad_net("zones-inf", zones="inf"), ws),
            "NUMBER OF ZONES",
        ),
        Case(
            "net <NUMBER OF ZONES> 2.5",
            _assign(bad_net("zones-frac", zones="2.5"), ws),
            "NUMBER OF ZONES",
        ),
        Case(
            "trips 1,000.5",
            _assign(bad_trips("t-comma", "    3 : 1,000.5;"), ws),
            "'1,000.5'",
        ),
        Case("trips nan", _assign(bad_trips("t-nan", "    3 : nan;"), ws), "Toy_trips.tntp line 6"),
        Case(
            "trips value missing",
            _assign(bad_trips("t-missing", "    2 : ;  3 : 100;"), ws),
            "Toy_trips.tntp line 6",
        ),
        Case("trips 1e", _assign(bad_trips("t-1e", "    3 : 1e;"), ws), "'1e'"),
        Case("trips inf", _assign(bad_trips("t-inf", "    3 : inf;"), ws), "'inf'"),
        Case("trips 1e308", _assign(bad_trips("t-huge", "    3 : 1e308;"), ws), "1e308"),
        Case("trips negative", _assign(bad_trips("t-neg", "    3 : -5;"), ws), "-5"),
        Case(
            "trips 20-digit zone",
            _assign(bad_trips("t-zone-huge", "    12345678901234567890 : 5;"), ws),
            "12345678901234567890",
        ),
        Case(
            "trips zone beyond <NUMBER OF ZONES>",
            _assign(
                bad_trips(
                    "t-beyond", "", TRIPS.replace("ZONES> 3", "ZONES> 2").format(cells=CELLS)
                ),
                ws,
            ),
            "NUMBER OF ZONES",
        ),
        Case(
            "trips zone beyond the net's zones",
            _assign(_folder(ws, "t-beyond-net", net=_net(zones="2"), trips=trips), ws),
            "Toy_net.tntp",
        ),
        Case(
            "trips Origin 1.5",
            _assign(bad_trips("t-origin", "", trips.replace("Origin 1", "Origin 1.5")), ws),
            "1.5",
        ),
        Case(
            "trips pair given twice",
            _assign(bad_trips("t-twice", "    3 : 100;\n    3 : 200;"), ws),
            "Toy_trips.tntp line 7",
        ),
        Case(
            "trips <TOTAL OD FLOW> text",
            _assign(bad_trips("t-total", "", trips.replace("FLOW> 3000", "FLOW> lots")), ws),
            "TOTAL OD FLOW",
        ),
        Case(
            "trips <NUMBER OF ZONES> 1e9 on export",
            [
                "assign",
                "--tntp",
                _folder(
                    ws,
                    "t-zones-huge",
                    net=_net(zones="1000000000"),
                    trips=trips.replace("ZONES> 3", "ZONES> 1000000000"),
                ),
                "--export-tntp",
                ws / "exported",
            ],
            "NUMBER OF ZONES",
            subprocess=True,
            timeout=20,
        ),
    ]
    two = _folder(ws, "two-nets", net=net, trips=trips)
    (two / "Other_net.tntp").write_text(net, encoding="utf-8")
    cases.append(Case("two *_net.tntp files", _assign(two, ws), "two net files"))

    fifo = _folder(ws, "fifo-net", trips=trips)
    os.mkfifo(fifo / "Toy_net.tntp")
    cases.append(
        Case("FIFO as *_net.tntp", _assign(fifo, ws), "Toy_net.tntp", subprocess=True, timeout=15)
    )
    zero = _folder(ws, "zero-net", trips=trips)
    (zero / "Toy_net.tntp").symlink_to("/dev/zero")
    cases.append(
        Case(
            "link to /dev/zero as *_net.tntp",
            _assign(zero, ws),
            "Toy_net.tntp",
            subprocess=True,
            timeout=15,
        )
    )
    zero_t = _folder(ws, "zero-trips", net=net)
    (zero_t / "Toy_trips.tntp").symlink_to("/dev/zero")
    cases.append(
        Case(
            "link to /dev/zero as *_trips.tntp",
            _assign(zero_t, ws),
            "Toy_trips.tntp",
            subprocess=True,
            timeout=15,
        )
    )
    good = _folder(ws, "good", net=net, trips=trips)
    counts = ws / "counts"
    counts.mkdir()
    (counts / "huge.csv").write_text("init_node,term_node,count\n1,2,1e308\n", encoding="utf-8")
    (counts / "frac.csv").write_text("init_node,term_node,count\n1,2.5,100\n", encoding="utf-8")
    os.mkfifo(counts / "fifo.csv")
    cases += [
        Case(
            "odme counts 1e308",
            ["odme", "--tntp", good, "--counts", counts / "huge.csv", "--out", ws / "est"],
            "huge.csv",
        ),
        Case(
            "odme counts node 2.5",
            ["odme", "--tntp", good, "--counts", counts / "frac.csv", "--out", ws / "est"],
            "frac.csv",
        ),
        Case(
            "odme counts FIFO",
            ["odme", "--tntp", good, "--counts", counts / "fifo.csv", "--out", ws / "est"],
            "fifo.csv",
            subprocess=True,
            timeout=15,
        ),
        Case("assign --gap 5", _assign(good, ws, "--gap", "5"), "--gap"),
        Case("assign --gap 1e-300", _assign(good, ws, "--gap", "1e-300"), "--gap"),
        Case("assign --gap nan", _assign(good, ws, "--gap", "nan"), "nan"),
        Case(
            "assign --max-iterations 10**12",
            _assign(good, ws, "--max-iterations", str(10**12)),
            "--max-iterations",
        ),
        Case(
            "assign --toll-factor 1e300",
            _assign(good, ws, "--toll-factor", "1e300"),
            "--toll-factor",
        ),
        Case(
            "assign --distance-factor inf",
            _assign(good, ws, "--distance-factor", "inf"),
            "--distance-factor",
        ),
    ]

    def load_with_toll_factor() -> None:
        from sanqu_geo import tntp

        tntp.load_problem(good, toll_factor=1e300)

    cases.append(
        Case("load_problem toll_factor 1e300", call=load_with_toll_factor, needle="toll_factor")
    )

    def trips_parse_exactly() -> None:
        from sanqu_geo import tntp

        text = (
            "<NUMBER OF ZONES> 3\n<END OF METADATA>\n\nOrigin 1\n    2 : 1.5e3;  3 :   0.25 ;\n"
            "Origin 2\n 1 : 4 ; 3 : 1e-3\nOrigin 3\n\n"
        )
        folder = _folder(ws, "exact", net=net, trips=text)
        od = tntp.read_trips(folder / "Toy_trips.tntp")
        got = sorted(zip(od["origin"], od["destination"], od["trips"], strict=True))
        want = [(1, 2, 1500.0), (1, 3, 0.25), (2, 1, 4.0), (2, 3, 0.001)]
        if got != want:
            raise Fault("silent", f"trips read as {got}, the file says {want}")

    def net_whole_nodes_in_any_form() -> None:
        from sanqu_geo import tntp

        folder = _folder(ws, "node-forms", net=_net(init_node="1.0", term_node="2e0"), trips=trips)
        links, _ = tntp.read_net(folder / "Toy_net.tntp")
        got = links[["init_node", "term_node"]].to_numpy().tolist()
        if got != [[1, 2], [2, 3], [1, 3]]:
            raise Fault("silent", f"nodes read as {got}")

    cases += [
        Case("trips cells parsed exactly", check=trips_parse_exactly),
        Case("net nodes 1.0 and 2e0 are nodes 1 and 2", check=net_whole_nodes_in_any_form),
    ]
    return cases


def _cost_cases(ws: Path) -> list[Case]:
    head = "option,cost_yi_yuan,source\n"
    files = {
        "c-empty.csv": "",
        "c-binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)),
        "c-repeated.csv": head + "freight_ring_feeders,40,a\nfreight_ring_feeders,45,b\n",
        "c-blank-option.csv": head + ",40,office\n",
        "c-unknown.csv": head + "monorail,12,office\n",
        "c-inf.csv": head + "freight_ring_feeders,inf,office\n",
        "c-huge.csv": head + "freight_ring_feeders,1e308,office\n",
        "c-negative.csv": head + "freight_ring_feeders,-4,office\n",
        "c-nan.csv": head + "freight_ring_feeders,nan,office\n",
        "c-text.csv": head + "freight_ring_feeders,about forty,office\n",
        "c-blank-cost.csv": head + "freight_ring_feeders,,office\n",
        "c-zero.csv": head + "freight_ring_feeders,0,office\n",
        "c-yuan.csv": head + "freight_ring_feeders,4000000000,office\n",
        "c-thousands.csv": head + 'freight_ring_feeders,"1,200",office\n',
        "c-header-only.csv": head,
        "c-columns.csv": "option,cost\nfreight_ring_feeders,40\n",
        "c-typo-column.csv": "option,cost_yi_yuan,sourse\nfreight_ring_feeders,40,office\n",
        "c-source-newline.csv": head + 'freight_ring_feeders,40,"office\nestimate"\n',
        "c-source-bidi.csv": head + "freight_ring_feeders,40,office\u202eetamitse\n",
        "c-duplicate-column.csv": "option,cost_yi_yuan,cost_yi_yuan\nfreight_ring_feeders,40,41\n",
    }
    paths = {name: _costs(ws, name, content) for name, content in files.items()}
    needles = {"c-huge.csv": "1e308", "c-unknown.csv": "monorail"}
    cases = [
        Case(f"costs {name[2:-4]}", _compare(path, ws), needles.get(name, name), timeout=30)
        for name, path in paths.items()
    ]
    fifo = ws / "costs" / "c-fifo.csv"
    os.mkfifo(fifo)
    zero = ws / "costs" / "c-zero-link.csv"
    zero.symlink_to("/dev/zero")
    cases += [
        Case("costs FIFO", _compare(fifo, ws), "c-fifo.csv", subprocess=True, timeout=20),
        Case("costs link to /dev/zero", _compare(zero, ws), "c-zero-link.csv", subprocess=True,
             timeout=20),
    ]  # fmt: skip
    gbk = _costs(ws, "c-gbk.csv", (head + "freight_ring_feeders,40.5,市交通局估算\n").encode("gbk"))
    utf16 = _costs(
        ws,
        "c-utf16.txt",
        ("option\tcost_yi_yuan\tsource\r\nlast_mile\t2.25\t港务局\r\n").encode("utf-16"),
    )

    def read(path: Path) -> pd.DataFrame:
        from sanqu_geo import compare, scenarios

        return compare.read_costs(path, scenarios.load_scenario())

    def gbk_read_correctly() -> None:
        table = read(gbk)
        got = table[["option", "cost_yi_yuan", "source"]].to_numpy().tolist()
        if got != [["freight_ring_feeders", 40.5, "市交通局估算"]]:
            raise Fault("silent", f"GBK cost file read as {got}")

    def utf16_read_correctly() -> None:
        table = read(utf16)
        got = table[["option", "cost_yi_yuan", "source"]].to_numpy().tolist()
        if got != [["last_mile", 2.25, "港务局"]]:
            raise Fault("silent", f"UTF-16 tab-separated cost file read as {got}")

    def compare_refuses_inf_cost() -> None:
        from sanqu_geo import compare, scenarios

        table = pd.DataFrame(
            {"option": ["second_passage_ph1"], "cost_yi_yuan": [math.inf], "source": ["x"]}
        )
        compare.compare(scenarios.load_scenario(), costs=table, sensitivity=False, appraisal=False)

    def appraise_refuses_inf_cost() -> None:
        from sanqu_geo.appraisal import economics

        benefits = pd.DataFrame({"year": [2025], "benefit_yuan": [1e8]})
        economics.appraise(
            benefits, cost_yuan=math.inf, opening_year=2025, params=economics.load_parameters()
        )

    def appraise_refuses_fractional_year() -> None:
        from sanqu_geo.appraisal import economics

        benefits = pd.DataFrame({"year": [2025], "benefit_yuan": [1e8]})
        economics.appraise(
            benefits, cost_yuan=1e9, opening_year=2025.5, params=economics.load_parameters()
        )

    cases += [
        Case("costs GBK read as GBK", check=gbk_read_correctly),
        Case("costs UTF-16 tab-separated (Excel Unicode text)", check=utf16_read_correctly),
        Case("compare(costs=inf) refused at the door", call=compare_refuses_inf_cost,
             needle="cost_yi_yuan", timeout=20),
        Case("economics.appraise(cost_yuan=inf)", call=appraise_refuses_inf_cost,
             needle="cost_yuan"),
        Case("economics.appraise(opening_year=2025.5)", call=appraise_refuses_fractional_year,
             needle="opening_year"),
    ]  # fmt: skip
    return cases


def cases(ws: Path) -> list[Case]:
    """The cases of the ``numbers`` area (input files made under ``ws``)."""
    return _tntp_cases(ws) + _cost_cases(ws)
