"""Airport access: demand-weighted car minutes to the airport, normally and under closure."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sanqu_geo.appraisal import skims
from sanqu_geo.appraisal.weights import trip_mean, weighted_quantile

__all__ = ["LOSS_MINUTES", "by_zone", "summary"]

#: A trip "loses" when its time to the airport rises by more than this (minutes).
LOSS_MINUTES: float = 10.0


def by_zone(run: Any, demand_: Any, *, airport: str = "airport") -> pd.DataFrame:
    """Each zone's car trips to and from the airport and its congested minutes each way.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    demand_ : Demand
        The demand it was solved with.
    airport : str
        The airport's zone id.

    Returns
    -------
    pandas.DataFrame
        ``zone``, ``trips_to``, ``trips_from`` (cars per hour), ``minutes_to``,
        ``minutes_from``; zones with airport trips only.
    """
    od = demand_.od[demand_.od["class"] == "car"]
    to = od[od["destination"] == airport].groupby("origin")["trips"].sum()
    frm = od[od["origin"] == airport].groupby("destination")["trips"].sum()
    zones = sorted((set(to.index) | set(frm.index)) - {airport})
    out = pd.DataFrame({"zone": zones})
    out["trips_to"] = out["zone"].map(to).fillna(0.0)
    out["trips_from"] = out["zone"].map(frm).fillna(0.0)
    out["minutes_to"] = out["zone"].map(skims.minutes_to(run, airport))
    out["minutes_from"] = out["zone"].map(skims.minutes_from(run, airport))
    return out


def summary(table: pd.DataFrame, reference: pd.DataFrame | None = None) -> dict[str, float]:
    """Trip-weighted mean, median and 95th percentile of the minutes to the airport.

    The headline is the way to the airport (the trips ``to`` it, as the maps show); the way
    back is reported beside it (``mean_from_min``).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`by_zone`.
    reference : pandas.DataFrame, optional
        The same for a reference run (the base, normal network): adds the share of airport
        trips whose time rises by more than :data:`LOSS_MINUTES`.

    Returns
    -------
    dict
        ``trips_to``, ``mean_min``, ``median_min``, ``p95_min`` (to the airport),
        ``trips_from``, ``mean_from_min`` and, with a reference, ``share_losing_10min`` (of
        the trips to the airport).
    """
    values = table["minutes_to"].to_numpy(dtype=float)
    weights = table["trips_to"].to_numpy(dtype=float)
    back = table["minutes_from"].to_numpy(dtype=float)
    back_w = table["trips_from"].to_numpy(dtype=float)
    out = {
        "trips_to": float(weights.sum()),
        "mean_min": trip_mean(values, weights),
        "median_min": weighted_quantile(values, weights, 0.5),
        "p95_min": weighted_quantile(values, weights, 0.95),
        "trips_from": float(back_w.sum()),
        "mean_from_min": trip_mean(back, back_w),
    }
    if reference is not None:
        ref = reference.set_index("zone")
        was = table["zone"].map(ref["minutes_to"]).to_numpy(dtype=float)
        lose = (values - was) > LOSS_MINUTES
        out["share_losing_10min"] = float(weights[lose].sum() / weights.sum())
    return out
