"""Accessibility: residents and jobs within 30, 45 and 60 minutes of a place by car."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo.appraisal import skims

__all__ = ["MINUTES", "within"]

#: Thresholds (minutes of congested car time from the zone to the place).
MINUTES: tuple[float, ...] = (30.0, 45.0, 60.0)


def within(run: Any, zones: pd.DataFrame, place: str, *, minutes=MINUTES) -> dict[str, float]:
    """Residents and the share of jobs whose zone reaches a place within each threshold.

    Parameters
    ----------
    run : PeakRun
        A solved peak hour.
    zones : pandas.DataFrame
        The demand's zones (``id``, ``population``, ``jobs_share``: each zone's share of the
        modelled jobs weight; NaN counts as none).
    place : str
        The place's zone id (``airport_zone``, ``inland_port``).
    minutes : tuple of float
        Thresholds.

    Returns
    -------
    dict
        ``population_<m>`` (residents) and ``jobs_share_<m>`` (share of the modelled jobs
        weight, 0–1; NaN where the zones carry no jobs weights) for every threshold ``m``.
    """
    t = zones["id"].map(skims.minutes_to(run, place)).to_numpy(dtype=float)
    pop = pd.to_numeric(zones.get("population"), errors="coerce").fillna(0.0).to_numpy()
    jobs = (
        pd.to_numeric(zones["jobs_share"], errors="coerce").fillna(0.0).to_numpy()
        if "jobs_share" in zones
        else np.zeros(len(zones))
    )
    total_jobs = jobs.sum()
    out = {}
    for m in minutes:
        inside = t <= m
        out[f"population_{m:g}"] = float(pop[inside].sum())
        # no jobs weights (the trunk sketch's zones): no figure, not zero
        out[f"jobs_share_{m:g}"] = (
            float(jobs[inside].sum() / total_jobs) if total_jobs > 0 else np.nan
        )
    return out
