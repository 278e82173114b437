"""``sanqu-geo model``: checks of the base peak hour of the model in use."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import SanquGroup, app, console, esc, print_table

model_app = typer.Typer(
    cls=SanquGroup,
    help="The traffic model: check its base peak hour.\n\nExample: sanqu-geo model check",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")


@model_app.command("check")
def model_check(
    top: Annotated[int, typer.Option("--top", min=1, help="Links shown by delay.")] = 10,
) -> None:
    """Check the base peak hour: v/c above the limit, delay by link, intrazonal shares by
    district, the Songhua bridges and the network mean peak speed by road class.

    The network is the one of the global --network option (default harbin).

    Example: sanqu-geo --network trunk model check
    """
    from sanqu_geo import demand, layers, modelcheck, peak, settings

    name = demand.network_name()
    with console.status(f"base peak hour 基年早高峰 on {esc(name)} (equilibrium assignment)"):
        d = demand.load_demand(network=name)
        run = peak.solve(None, source=name, demand_=d)
        check = modelcheck.check_model(run, d, layers.load_layer("river", located_only=True))
    console.print(f"network 路网: {esc(check.network)}")
    console.print(f"demand 需求: {esc(check.demand)}")
    console.print(f"relative gap 相对间隙: {check.relative_gap:.1e}")
    verdicts = check.verdicts()
    verdicts["ok"] = verdicts["ok"].map(
        lambda ok: "—" if ok is None else ("通过 pass" if ok else "未通过 fail")
    )
    print_table(_frame_table("checks 检查", verdicts, {"value": "{:,.3g}"}))
    shown = check.delay.head(top).copy()
    shown["share"] = shown["share"].map(lambda v: f"{v:.1%}")
    print_table(
        _frame_table(
            f"links with the most delay 延误最大的路段 (of {check.delay['delay_pcu_h'].sum():,.0f} PCU·h)",
            shown[["name", "highway", "length_m", "pcu", "capacity", "vc", "delay_pcu_h", "share"]],
            {
                "length_m": "{:,.0f}",
                "pcu": "{:,.0f}",
                "capacity": "{:,.0f}",
                "vc": "{:.2f}",
                "delay_pcu_h": "{:,.0f}",
            },
        )
    )
    if len(check.known):
        console.print(
            f"{len(check.known)} link(s) above v/c {settings.check_vc_limit:g} on known "
            "bottlenecks 已知瓶颈: " + esc(", ".join(sorted(set(check.known["name"])))[:200])
        )
    if len(check.junction):
        console.print(
            f"{len(check.junction)} junction piece(s) shorter than "
            f"{settings.junction_internal_max_m:g} m above v/c {settings.check_vc_limit:g} "
            "交叉口内短路段 (the junction's v/c, not a road section's): "
            + esc(", ".join(f"{r.name or '(unnamed)'} {r.length_m:.0f} m v/c {r.vc:.2f}"
                            for r in check.junction.itertuples())[:300])
        )  # fmt: skip
    if len(check.over_limit):
        console.print(
            f"[red]{len(check.over_limit)} link(s) above v/c {settings.check_vc_limit:g}[/red] "
            "not on the known-bottleneck list: "
            + esc(", ".join(sorted(set(check.over_limit["name"].replace("", "(unnamed)"))))[:300])
        )
    intra = check.intrazonal.copy()
    intra["share"] = intra["share"].map(lambda v: f"{v:.0%}")
    print_table(
        _frame_table(
            "car trips staying in their district 区内出行占比",
            intra,
            {"car_trips": "{:,.0f}", "inside": "{:,.0f}"},
        )
    )
    print_table(
        _frame_table(
            "Songhua screenline 松花江断面 (every road bridge 各桥梁)",
            check.screenline[["bridge", "direction", "vehicles", "pcu", "capacity", "vc"]],
            {"vehicles": "{:,.0f}", "pcu": "{:,.0f}", "capacity": "{:,.0f}", "vc": "{:.2f}"},
        )
    )
    print_table(
        _frame_table(
            "network mean peak speed by road class 分等级高峰平均车速 (veh·km ÷ veh·h)",
            check.speeds,
            {
                "veh_km": "{:,.0f}",
                "veh_h": "{:,.0f}",
                "speed_kph": "{:.1f}",
                "free_speed_kph": "{:.1f}",
            },
        )
    )


def _frame_table(title: str, frame, formats: dict[str, str]) -> Table:
    table = Table(title=esc(title))
    for column in frame.columns:
        numeric = column in formats
        table.add_column(esc(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in formats and isinstance(value, int | float) and value == value:
                cells.append(formats[column].format(value))
            elif value is None:
                cells.append("—")
            else:
                cells.append(esc(value))
        table.add_row(*cells)
    return table
