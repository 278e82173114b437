"""Economic appraisal of corridor options: value of time, annual benefits, NPV, BCR and FYRR.

Reads its parameters from ``data/appraisal/economics.toml`` (or a user's file of the same
form) and turns vehicle-hours saved into discounted money. It never runs an assignment: the
hours saved come from the caller. The value of time is assumed, so results are indicative.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import ScenarioError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "CLASSES",
    "Appraisal",
    "EconomicParameters",
    "annual_benefits",
    "appraise",
    "assumptions_table",
    "load_parameters",
]

#: Vehicle classes that have a value of time.
CLASSES: tuple[str, ...] = ("car", "truck")

PARAMETERS_FILE = "appraisal/economics.toml"

#: Largest investment cost of one option, yuan (10,000 亿元: more than any single transport
#: project of the plan).
MAX_COST_YUAN: float = 1e12

#: Opening years an option may have (first and last).
OPENING_YEARS: tuple[int, int] = (1900, 2200)

_TRUCK_H = "yuan per truck-hour"
# field → (factor_zh, factor_en, unit, integer?, lowest allowed, highest allowed)
_FACTORS: dict[str, tuple[str, str, str, bool, float, float]] = {
    "discount_rate": ("社会折现率", "social discount rate", "per year", False, 0.0, 1.0),
    "appraisal_years": ("运营评价期", "years of operation appraised", "years", True, 1, 100),
    "construction_years": ("建设期", "construction period", "years", True, 1, 20),
    "base_year": ("价格及折现基年", "price and discounting base year", "year", True, 1900, 2200),
    "gdp_per_head": ("人均GDP", "GDP per head", "yuan per person-year", False, 1e-9, 1e9),
    "working_hours": ("年工作小时", "working hours a year", "h per person-year", False, 1, 8760),
    "car_occupancy": ("小客车载客", "car occupancy", "persons per car", False, 1e-9, 60),
    "valued_share": ("计时间价值出行比例", "share of car trips valued", "share", False, 0.0, 1.0),
    "truck_crew": ("货车乘员", "truck crew valued", "persons per truck", False, 0.0, 10),
    "truck_goods_time": ("货物及车辆时间价值", "goods and vehicle time", _TRUCK_H, False, 0, 1e9),
}
_META_KEYS = {"indicative", "note_zh", "note_en", "vot_method"}


@dataclasses.dataclass(frozen=True)
class EconomicParameters:
    """Parameters of the appraisal, each with its source (``sources[field]``).

    Attributes
    ----------
    discount_rate : float
        Social discount rate per year (0.08 = 8 %).
    appraisal_years, construction_years : int
        Years of operation appraised from the opening year; years of construction before it.
    base_year : int
        Year of prices and of discounting.
    gdp_per_head : float
        Yuan per resident per year.
    working_hours : float
        Hours worked per person per year.
    car_occupancy, valued_share, truck_crew : float
        Persons per car, share of car trips whose time is valued, persons per truck valued.
    truck_goods_time : float
        Goods-in-transit and vehicle time value, yuan per truck-hour.
    indicative : bool
        True while the value of time is assumed.
    note_zh, note_en, vot_method : str
        The indicative note and the value-of-time method, in words.
    sources : dict
        Field name → where its value comes from ("assumption" where nothing is published).
    """

    discount_rate: float
    appraisal_years: int
    construction_years: int
    base_year: int
    gdp_per_head: float
    working_hours: float
    car_occupancy: float
    valued_share: float
    truck_crew: float
    truck_goods_time: float
    indicative: bool
    note_zh: str
    note_en: str
    vot_method: str
    sources: dict[str, str]

    @property
    def hourly_value_per_person(self) -> float:
        """Yuan per person-hour: GDP per head ÷ working hours."""
        return self.gdp_per_head / self.working_hours

    @property
    def value_of_time(self) -> dict[str, float]:
        """Yuan per vehicle-hour by class (:data:`CLASSES`), computed from the inputs."""
        person = self.hourly_value_per_person
        return {
            "car": person * self.valued_share * self.car_occupancy,
            "truck": person * self.truck_crew + self.truck_goods_time,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Appraisal:
    """Result of :func:`appraise` (money in yuan of the base year, discounted to it).

    Attributes
    ----------
    npv_yuan, bcr, fyrr : float
        Net present value, benefit-cost ratio, first-year rate of return (NaN when the cost
        is not published).
    pv_benefits_yuan, pv_costs_yuan : float
        Present values of the benefit and cost streams.
    stream : pandas.DataFrame
        By calendar ``year``: ``cost_yuan``, ``benefit_yuan``, ``discount_factor``,
        ``pv_cost_yuan``, ``pv_benefit_yuan``.
    """

    npv_yuan: float
    bcr: float
    fyrr: float
    pv_benefits_yuan: float
    pv_costs_yuan: float
    stream: pd.DataFrame


def load_parameters(path: str | Path | None = None) -> EconomicParameters:
    """Read the appraisal parameters (default: the embedded ``data/appraisal/economics.toml``).

    Parameters
    ----------
    path : path-like, optional
        A file of the same form: a table per factor with ``value`` and ``source``, and
        ``[meta]``.

    Returns
    -------
    EconomicParameters

    Raises
    ------
    ScenarioError
        When a factor or its value or source is missing, or a value is out of range.
    """
    path = Path(path) if path is not None else data_file(PARAMETERS_FILE)
    data = read_toml(path, what="economics parameters file", error=ScenarioError)
    check_keys(data, {"meta", *_FACTORS}, str(path), error=ScenarioError)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, (_, _, unit, integer, low, high) in _FACTORS.items():
        where = f"{path}: [{name}]"
        table = data.get(name)
        if table is None:
            msg = f'{where} is missing; add it with `value = ...` and `source = "..."`'
            raise ScenarioError(msg)
        check_keys(table, {"value", "source"}, where, error=ScenarioError)
        value = table.get("value")
        kinds = int if integer else int | float
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "a whole number" if integer else "a number"
            msg = f"{where} value must be {kind} from {low:g} to {high:g} {unit} (found {value!r})"
            raise ScenarioError(msg)
        source = table.get("source")
        if not isinstance(source, str) or not source.strip():
            msg = f'{where} needs `source = "..."`: where the value comes from, or "assumption"'
            raise ScenarioError(msg)
        values[name] = value
        sources[name] = source
    meta = data.get("meta", {})
    check_keys(meta, _META_KEYS, f"{path}: [meta]", error=ScenarioError)
    indicative = meta.get("indicative", True)
    if not isinstance(indicative, bool):
        msg = f"{path}: [meta] indicative must be true or false (found {indicative!r})"
        raise ScenarioError(msg)
    params = EconomicParameters(
        **values,
        indicative=indicative,
        note_zh=str(meta.get("note_zh", "")),
        note_en=str(meta.get("note_en", "")),
        vot_method=str(meta.get("vot_method", "")),
        sources=sources,
    )
    logger.debug("economics parameters from %s: VOT %s", path, params.value_of_time)
    return params


def annual_benefits(
    saved: pd.DataFrame, *, params: EconomicParameters, period_hours: dict[str, float]
) -> pd.DataFrame:
    """Time savings of the modelled years in yuan a year.

    Parameters
    ----------
    saved : pandas.DataFrame
        ``year``, ``period``, ``class`` (:data:`CLASSES`), ``vht_saved`` (vehicle-hours saved
        in one hour of that period), optionally ``vkt_change`` (vehicle-km in one hour).
    params : EconomicParameters
        Gives the value of time by class.
    period_hours : dict
        Period → equivalent hours a year (e.g. ``{"am_peak": 250.0}``), chosen by the caller.

    Returns
    -------
    pandas.DataFrame
        One row per modelled ``year``: ``benefit_yuan`` (Σ vht_saved × VOT[class] ×
        period_hours[period]), ``benefit_car_yuan``, ``benefit_truck_yuan``, ``vht_saved_car``
        and ``vht_saved_truck`` (vehicle-hours a year), and ``vkt_change`` (vehicle-km a year,
        not valued: no vehicle operating costs are set) when given.

    Raises
    ------
    ScenarioError
        On a missing column, an unknown class, a period missing from ``period_hours``, or a
        value that is not a finite number.
    """
    missing = [c for c in ("year", "period", "class", "vht_saved") if c not in saved.columns]
    if missing:
        msg = f"saved: missing column(s) {', '.join(missing)}; give year, period, class, vht_saved"
        raise ScenarioError(msg)
    unknown = sorted(set(saved["class"].astype(str)) - set(CLASSES))
    if unknown:
        msg = f"saved: unknown class(es) {', '.join(unknown)}; use {', '.join(CLASSES)}"
        raise ScenarioError(msg)
    absent = sorted(set(saved["period"].astype(str)) - set(period_hours))
    if absent:
        msg = f"period_hours: no hours a year for period(s) {', '.join(absent)}; add them"
        raise ScenarioError(msg)
    for key, hours in period_hours.items():
        if isinstance(hours, bool) or not isinstance(hours, numbers.Real) or not 0 <= hours < 1e6:
            msg = f"period_hours[{key!r}] must be a number of hours ≥ 0 (found {hours!r})"
            raise ScenarioError(msg)
    numeric = ["vht_saved"] + (["vkt_change"] if "vkt_change" in saved.columns else [])
    for column in numeric:
        values = pd.to_numeric(saved[column], errors="coerce")
        if not np.isfinite(values.to_numpy(dtype=float)).all():
            msg = f"saved: column {column} must hold finite numbers in every row"
            raise ScenarioError(msg)
    frame = saved.copy()
    frame["class"] = frame["class"].astype(str)
    hours = frame["period"].astype(str).map(period_hours).astype(float)
    vot = frame["class"].astype(str).map(params.value_of_time)
    frame["_vht"] = frame["vht_saved"].astype(float) * hours
    frame["_yuan"] = frame["_vht"] * vot
    out = pd.DataFrame({"year": sorted(frame["year"].astype(int).unique())})
    for cls in CLASSES:
        part = frame[frame["class"] == cls].groupby(frame["year"].astype(int))
        out[f"benefit_{cls}_yuan"] = out["year"].map(part["_yuan"].sum()).fillna(0.0)
        out[f"vht_saved_{cls}"] = out["year"].map(part["_vht"].sum()).fillna(0.0)
    out.insert(1, "benefit_yuan", sum(out[f"benefit_{c}_yuan"] for c in CLASSES))
    if "vkt_change" in frame.columns:
        frame["_vkt"] = frame["vkt_change"].astype(float) * hours
        out["vkt_change"] = out["year"].map(frame.groupby(frame["year"].astype(int))["_vkt"].sum())
    return out


def appraise(
    benefits: pd.DataFrame,
    *,
    cost_yuan: float | None,
    opening_year: int,
    params: EconomicParameters,
) -> Appraisal:
    """Discount the costs and benefits of one option: NPV, BCR and FYRR.

    Rules:

    * the cost is spread evenly over the ``construction_years`` years before the opening year;
    * benefits count from the opening year for ``appraisal_years`` years; between modelled
      years they are interpolated linearly; before the first modelled year the first modelled
      year's value is used (no growth assumed backwards); after the last one it is held
      constant (no growth extrapolated);
    * every flow is discounted to ``base_year`` at ``discount_rate``, end-of-year convention:
      factor = 1 / (1 + r) ** (year − base_year);
    * no residual value at the end of the appraisal period;
    * FYRR = benefit of the opening year ÷ cost (undiscounted);
    * a cost of NaN or None (not published) gives NaN NPV, BCR and FYRR, but the present value
      of the benefits is still given.

    Parameters
    ----------
    benefits : pandas.DataFrame
        From :func:`annual_benefits`: ``year`` and ``benefit_yuan`` (yuan a year).
    cost_yuan : float or None
        Investment cost in yuan of the base year; NaN or None when not published.
    opening_year : int
        First year of operation.
    params : EconomicParameters

    Returns
    -------
    Appraisal

    Raises
    ------
    ScenarioError
        On empty or repeated years, missing benefit values, a cost ≤ 0 or above
        :data:`MAX_COST_YUAN`, or an opening year that is not a whole year in
        :data:`OPENING_YEARS`.
    """
    columns = {"year", "benefit_yuan"}
    if (
        not columns <= set(benefits.columns)
        or benefits.empty
        or benefits["year"].duplicated().any()
    ):
        msg = "benefits: need one row per year with year and benefit_yuan (from annual_benefits)"
        raise ScenarioError(msg)
    modelled = benefits.sort_values("year")
    years_m = modelled["year"].to_numpy(dtype=float)
    values_m = modelled["benefit_yuan"].to_numpy(dtype=float)
    if not np.isfinite(values_m).all():
        msg = "benefits: benefit_yuan must be a finite number in every modelled year"
        raise ScenarioError(msg)
    real = isinstance(cost_yuan, numbers.Real) and not isinstance(cost_yuan, bool)
    cost = math.nan if cost_yuan is None else float(cost_yuan) if real else -1.0
    if not math.isnan(cost) and not 0 < cost <= MAX_COST_YUAN:
        msg = (
            f"cost_yuan must be a number above 0 and at most {MAX_COST_YUAN:g} yuan, or "
            f"NaN/None when not published (found {cost_yuan!r})"
        )
        raise ScenarioError(msg)
    if (
        isinstance(opening_year, bool)
        or not isinstance(opening_year, numbers.Integral)
        or not OPENING_YEARS[0] <= opening_year <= OPENING_YEARS[1]
    ):
        msg = (
            f"opening_year must be a whole year from {OPENING_YEARS[0]} to {OPENING_YEARS[1]} "
            f"(found {opening_year!r})"
        )
        raise ScenarioError(msg)

    n_build, n_run = params.construction_years, params.appraisal_years
    years = np.arange(opening_year - n_build, opening_year + n_run)
    operating = years >= opening_year
    # np.interp holds the end values outside the modelled range: the rules above
    benefit = np.where(operating, np.interp(years, years_m, values_m), 0.0)
    cost_flow = np.where(operating, 0.0, cost / n_build)
    factor = 1.0 / (1.0 + params.discount_rate) ** (years - params.base_year)
    stream = pd.DataFrame({"year": years, "cost_yuan": cost_flow, "benefit_yuan": benefit})
    stream["discount_factor"] = factor
    stream["pv_cost_yuan"] = cost_flow * factor
    stream["pv_benefit_yuan"] = benefit * factor
    pv_b = float(stream["pv_benefit_yuan"].sum())
    pv_c = math.nan if math.isnan(cost) else float(stream["pv_cost_yuan"].sum())
    fyrr = float(benefit[operating][0]) / cost
    logger.info(
        "appraisal, opening %d: PV benefits %.4g yuan, BCR %.3g", opening_year, pv_b, pv_b / pv_c
    )
    return Appraisal(pv_b - pv_c, pv_b / pv_c, fyrr, pv_b, pv_c, stream)


def assumptions_table(params: EconomicParameters) -> pd.DataFrame:
    """The parameters and the derived values of time, for the workbook's Assumptions sheet.

    Parameters
    ----------
    params : EconomicParameters

    Returns
    -------
    pandas.DataFrame
        ``factor_zh``, ``factor_en``, ``value`` (a number), ``unit``, ``source``.
    """
    rows = [
        (zh, en, float(getattr(params, name)), unit, params.sources[name])
        for name, (zh, en, unit, *_rest) in _FACTORS.items()
    ]
    note = f"{params.note_zh} / {params.note_en}" if params.indicative else "published inputs"
    derived = {
        "car": "GDP per head ÷ working hours × valued share × car occupancy",
        "truck": "GDP per head ÷ working hours × truck crew + goods and vehicle time",
    }
    for cls, vot in params.value_of_time.items():
        zh = "小客车时间价值" if cls == "car" else "货车时间价值"
        rows.append(
            (zh, f"value of time, {cls}", vot, "yuan per vehicle-hour", f"{derived[cls]}; {note}")
        )
    return pd.DataFrame(rows, columns=["factor_zh", "factor_en", "value", "unit", "source"])
