"""Trip-weighted statistics the measures and their maps share: a mean and a quantile."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["trip_mean", "weighted_quantile"]


def trip_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """The mean of values weighted by trips, over the finite values with trips.

    Parameters
    ----------
    values, weights : array-like
        Minutes and trips, one each per zone.

    Returns
    -------
    float
        NaN when no zone has both a finite value and trips.
    """
    v, w = np.asarray(values, float), np.asarray(weights, float)
    ok = np.isfinite(v) & (w > 0)
    return float(np.average(v[ok], weights=w[ok])) if ok.any() else math.nan


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of values weighted by trips (the lower value at a tie).

    Parameters
    ----------
    values, weights : array-like
    q : float
        Between 0 and 1.

    Returns
    -------
    float
        NaN when no value has trips.
    """
    order = np.argsort(np.asarray(values, float), kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    keep = w > 0
    v, w = v[keep], w[keep]
    if not len(v):
        return math.nan
    cum = np.cumsum(w) / w.sum()
    return float(v[np.searchsorted(cum, q - 1e-12)])
