"""``sanqu-geo model``: checks of the base peak hour of the model in use."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import SanquCommand, SanquGroup, app, console, esc, print_table
from sanqu_geo.errors import AssignmentError

_GapOpt = Annotated[
    float,
    typer.Option(
        "--gap", min=1e-12, max=0.01, help="Relative gap of the assignment (default 1e-6)."
    ),
]

model_app = typer.Typer(
    cls=SanquGroup,
    help="The traffic model: check, validate and calibrate its base peak hour.\n\nExample: sanqu-geo model validate",
    no_args_is_help=True,
)
app.add_typer(model_app, name="model")


@model_app.command("check", cls=SanquCommand)
def model_check(
    top: Annotated[int, typer.Option("--top", min=1, help="Links shown by delay.")] = 10,
    gap: _GapOpt = 1e-6,
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
        run = peak.solve(None, source=name, demand_=d, gap=gap)
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


def _number(value) -> str:
    """A model value for reading: thousands with separators, small numbers to 3 figures."""
    if not isinstance(value, int | float):
        return str(value)
    if value != value:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if 0 < abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.3g}"


def _validation_rows(table) -> Table:
    out = Table(title="validation 校核 (base peak hour 基年早高峰)")
    for column in (
        "target 指标",
        "published 公布值",
        "model 模型",
        "diff 差值",
        "verdict 结论",
        "use 用途",
    ):
        out.add_column(column, justify="right" if column.startswith(("model", "diff")) else "left")
    for row in table.itertuples(index=False):
        model = _number(row.model)
        if row.difference != row.difference:
            diff = "—"
        elif row.difference == 0:
            diff = "in band 区间内"
        else:
            diff = f"{row.difference:+.3g}"
        colour = "red" if row.verdict.startswith("outside") else ""
        verdict = f"[{colour}]{esc(row.verdict)}[/{colour}]" if colour else esc(row.verdict)
        out.add_row(esc(row.target), esc(row.published), esc(model), diff, verdict, esc(row.use))
    return out


@model_app.command("validate", cls=SanquCommand)
def model_validate(
    sources: Annotated[
        bool, typer.Option("--sources", help="Also list every target's source.")
    ] = False,
    gap: _GapOpt = 1e-6,
) -> None:
    """Compare the base peak hour with every published target.

    One row per target: the published figure and its source, the model, the difference, within
    or outside, and whether a parameter was fitted to it.

    A target the model misses stays in the table, marked outside. The network is the one of
    the global --network option (default harbin).

    Example: sanqu-geo model validate
    """
    from sanqu_geo import calibration, demand, peak

    name = demand.network_name()
    with console.status(f"base peak hour 基年早高峰 on {esc(name)} (equilibrium assignment)"):
        d = demand.load_demand(network=name)
        run = peak.solve(None, source=name, demand_=d, gap=gap)
        table = calibration.validation_table(run, d)
    console.print(f"network 路网: {esc(name)} · demand 需求: {esc(d.source)}")
    print_table(_validation_rows(table))
    judged = ~table["verdict"].str.startswith("for")
    within = table["verdict"].str.startswith("within")
    for label, rows in (
        ("fitted 标定所用", table["use"].str.startswith("fitted")),
        ("implied by the fit 由标定推得", table["use"].str.startswith("implied")),
        ("independent checks 独立校核", table["use"].str.contains("check")),
    ):
        sel = rows & judged
        console.print(
            f"{label}: {int((sel & within).sum())} within 符合, "
            f"{int((sel & ~within).sum())} outside 不符"
        )
    console.print(f"{int((~judged).sum())} rows for information 参考")
    if sources:
        for row in table.drop_duplicates("source").itertuples(index=False):
            console.print(f"· {esc(row.source)}")


@model_app.command("calibrate", cls=SanquCommand)
def model_calibrate(
    max_solves: Annotated[
        int, typer.Option("--max-solves", min=1, max=50, help="Largest number of solves.")
    ] = 12,
) -> None:
    """Fit the street free-flow factor and the car trip rate to their targets.

    The factor to the urban core's car free-flow speed that Amap's published speed and delay
    index imply, the rate to the middle of Amap's delay-index range. Prints the steps and the
    fitted values; the model in use is not changed (the embedded values are these fits).

    Example: sanqu-geo model calibrate
    """
    from sanqu_geo import calibration, demand, settings

    name = demand.network_name()
    steps = Table(title=f"calibration 标定 on {esc(name)}")
    for column in (
        "step",
        "factor",
        "rate /resident",
        "core free km/h",
        "delay index",
        "core peak km/h",
    ):
        steps.add_column(column, justify="right")

    def progress(step: int, row: dict) -> None:
        console.print(
            f"step {step + 1}: factor {row['factor']:.3f}, rate {row['rate']:.4f} → free "
            f"{row['core_free_kph']:.1f} km/h, delay index {row['delay_index']:.2f}"
        )

    result = calibration.fit(source=name, max_solves=max_solves, progress=progress)
    for i, row in enumerate(result.steps.itertuples(index=False)):
        steps.add_row(str(i + 1), f"{row.factor:.3f}", f"{row.rate:.4f}",
                      f"{row.core_free_kph:.1f}", f"{row.delay_index:.3f}", f"{row.core_peak_kph:.1f}")  # fmt: skip
    print_table(steps)
    if not result.converged:
        last = result.steps.iloc[-1]
        msg = (
            f"the calibration did not meet its targets in {len(result.steps)} solves (reached "
            f"core free-flow {last['core_free_kph']:.1f} km/h, delay index "
            f"{last['delay_index']:.3f}); raise --max-solves"
        )
        raise AssignmentError(msg)
    console.print(
        f"converged 收敛: city_free_flow_factor {result.free_flow_factor:.3f} (in use "
        f"{settings.city_free_flow_factor:.3f}); car_trips_per_resident "
        f"{result.car_trips_per_resident:.4f} (in use "
        f"{demand.parameters_for(demand.load_parameters(), name)['generation']['car_trips_per_resident']:.4f})"
    )
