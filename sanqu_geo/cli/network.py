"""``sanqu-geo network``: build and describe the road network, and where places join it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import (
    BboxOpt,
    OsmFileOpt,
    PlaceOpt,
    ProfileOpt,
    ProfilesFileOpt,
    SanquCommand,
    SanquGroup,
    app,
    console,
    esc,
    lazy,
    load_graph,
    print_table,
)

_network = lazy("sanqu_geo.network")

network_app = typer.Typer(
    cls=SanquGroup,
    help="The road network: build it from the embedded trunk roads or OpenStreetMap, and describe it.\n\n"
    "Example: sanqu-geo network info --osm-file harbin.osm.pbf",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")


@network_app.command("build", cls=SanquCommand)
def network_build(
    osm_file: OsmFileOpt = None,
    place: PlaceOpt = None,
    bbox: BboxOpt = None,
    profile: ProfileOpt = "car",
    profiles_file: ProfilesFileOpt = None,
) -> None:
    """Build the road graph and write it to the cache (GraphML).

    Example: sanqu-geo network build --osm-file harbin-core.osm.pbf --profile truck
    """
    import osmnx as ox

    from sanqu_geo._atomic import atomic_path

    G, source = load_graph(osm_file, place, bbox, profile, profiles_file)
    path = _network.cache_path(source)
    path = path.with_name(path.stem + f"-{profile}.graphml")
    with atomic_path(path) as tmp:
        ox.save_graphml(G, tmp)
    console.print(
        f"[green]built[/green] {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges -> {esc(path)}"
    )


@network_app.command("info", cls=SanquCommand)
def network_info(
    osm_file: OsmFileOpt = None,
    place: PlaceOpt = None,
    bbox: BboxOpt = None,
    profile: ProfileOpt = "car",
    profiles_file: ProfilesFileOpt = None,
) -> None:
    """Print nodes, edges, km and capacity by road class, connected components and the source."""
    G, _source = load_graph(osm_file, place, bbox, profile, profiles_file)
    summary = _network.network_summary(G)
    console.print(f"source 来源: {esc(summary['source'])}")
    console.print(f"profile 方案: {esc(summary['profile'])}")
    console.print(f"nodes 节点: {summary['nodes']:,}   edges 路段: {summary['edges']:,}")
    console.print(
        f"lanes from OpenStreetMap 车道数取自OSM: {summary['lanes_osm_share']:.1%} of edges   "
        f"signalised junctions 信号交叉口: {summary['signalised_junctions']:,}"
    )
    if summary["km_by_source"]:
        console.print(
            "km by origin 里程来源: "
            + ", ".join(f"{esc(k)} {v:,.0f}" for k, v in sorted(summary["km_by_source"].items()))
        )
    console.print(
        f"weakly connected components 弱连通分量: {summary['weak_components']}   "
        f"strongly connected 强连通分量: {summary['strong_components']} "
        f"(largest holds {summary['largest_strong_share']:.1%} of nodes)"
    )
    table = Table(title="km by road class 各等级道路里程")
    table.add_column("highway")
    table.add_column("km", justify="right")
    for cls, km in summary["km_by_class"].items():
        table.add_row(esc(cls), f"{km:,.1f}")
    table.add_row("total 合计", f"{summary['km_total']:,.1f}")
    print_table(table)
    cap = summary["capacity"]
    table = Table(
        title="capacity by road class 各等级道路通行能力 (PCU/h per direction 单向; "
        "CJJ 37-2012 / JTG B01-2014, signalised roads × g/C)"
    )
    for column in ("highway", "edges 路段", "min", "median 中位数", "max"):
        table.add_column(column, justify="right" if column != "highway" else "left")
    for cls, (n, low, mid, high) in cap["by_class"].items():
        table.add_row(esc(cls), f"{n:,}", f"{low:,.0f}", f"{mid:,.0f}", f"{high:,.0f}")
    print_table(table)
    console.print(
        "capacity from 通行能力来源: "
        + ", ".join(f"{source} {n:,}" for source, n in sorted(cap["sources"].items()))
    )


@network_app.command("access", cls=SanquCommand)
def network_access(
    places: Annotated[
        str, typer.Option("--places", help="zones, facilities, all, or a file of places.")
    ] = "all",
    osm_file: OsmFileOpt = None,
    profile: ProfileOpt = "car",
) -> None:
    """Show where each place joins the network: access node, snapping distance, connector time."""
    from sanqu_geo import travel

    G, _source = load_graph(osm_file, None, None, profile, None)
    frame = travel.load_places(places)
    table_data = travel.access_table(G, frame).merge(frame[["id", "short_zh", "short_en"]], on="id")
    table = Table(title=esc(f"access 接入 · {G.graph['source']}"))
    for column in (
        "id",
        "名称",
        "name",
        "node 节点",
        "method 方式",
        "distance m 距离",
        "connector s 接驳",
    ):
        table.add_column(column)
    for r in table_data.itertuples():
        table.add_row(
            esc(r.id),
            esc(r.short_zh),
            esc(r.short_en),
            str(r.node),
            r.method,
            f"{r.distance_m:,.0f}",
            f"{r.connector_s:,.0f}",
        )
    print_table(table)
