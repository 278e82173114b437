"""Network time: vehicle-hours and vehicle-kilometres saved by class, period and year."""

from __future__ import annotations

from typing import Any

__all__ = ["saved"]


def saved(base: Any, run: Any, *, year: int, period: str, condition: str = "normal") -> list[dict]:
    """Vehicle-hours and vehicle-km of a run against its base, one row per class.

    Parameters
    ----------
    base, run : PeakRun
        The base and the option, solved on the same demand (same year and period).
    year : int
        The demand's year.
    period : str
        The demand's period (one hour of it).
    condition : str
        The network condition (``normal``, a closure, winter).

    Returns
    -------
    list of dict
        ``year``, ``period``, ``condition``, ``class``, ``vht_base``, ``vht``,
        ``vht_saved``, ``vkt_change`` (one hour of the period).
    """
    bh, rh = base.vehicle_hours(), run.vehicle_hours()
    bk, rk = base.vehicle_km(), run.vehicle_km()
    return [
        {
            "year": year, "period": period, "condition": condition, "class": cls,
            "vht_base": bh[cls], "vht": rh[cls], "vht_saved": bh[cls] - rh[cls],
            "vkt_change": rk[cls] - bk[cls],
        }
        for cls in ("car", "truck")
    ]  # fmt: skip
