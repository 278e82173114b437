"""Tables for people: bilingual labels, minutes, and atomic CSV / XLSX / Parquet / Markdown files.

Formats only; computes no travel times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sanqu_geo._atomic import atomic_path
from sanqu_geo.errors import DataSourceError

__all__ = ["bilingual_label", "minutes_table", "write_table"]

_FORMATS = {".csv", ".xlsx", ".parquet", ".md"}


def bilingual_label(name_zh: str, name_en: str) -> str:
    """Return ``"中文 English"`` (Chinese first), or whichever of the two exists."""
    parts = [p for p in (str(name_zh or "").strip(), str(name_en or "").strip()) if p]
    return " ".join(dict.fromkeys(parts))


def minutes_table(
    seconds: pd.DataFrame,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    decimals: int = 1,
) -> pd.DataFrame:
    """Turn an OD table in seconds into minutes with bilingual row and column labels.

    Parameters
    ----------
    seconds : pandas.DataFrame
        Indexed by origin id, columns destination ids.
    origins, destinations : pandas.DataFrame
        Places with ``id`` and ``short_zh``/``short_en`` (or ``name_zh``/``name_en``).
    decimals : int
        Rounding of the minutes.

    Returns
    -------
    pandas.DataFrame
        Minutes; unreachable pairs stay ``inf``.
    """

    def labels(frame: pd.DataFrame) -> dict[str, str]:
        zh = "short_zh" if "short_zh" in frame.columns else "name_zh"
        en = "short_en" if "short_en" in frame.columns else "name_en"
        return {
            str(i): bilingual_label(a, b)
            for i, a, b in zip(frame["id"], frame[zh], frame[en], strict=True)
        }

    table = (seconds / 60.0).round(decimals)
    table = table.rename(index=labels(origins), columns=labels(destinations))
    table.index.name = "分钟 min: 起点 from \\ 终点 to"
    return table


def write_table(table: pd.DataFrame, path: str | Path, *, sheet: str = "table") -> Path:
    """Write a table atomically as CSV (UTF-8 with BOM, for Excel), XLSX, Parquet or Markdown.

    Parameters
    ----------
    table : pandas.DataFrame
        The table; its index is written as the first column.
    path : path-like
        Output file; the format follows the extension.
    sheet : str
        Sheet name for XLSX.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    DataSourceError
        For an extension that is not one of .csv, .xlsx, .parquet, .md.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        msg = f"{path}: unknown table format {suffix or '(none)'}; use .csv, .xlsx, .parquet or .md"
        raise DataSourceError(msg)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                table.to_excel(writer, sheet_name=sheet[:31])
                _format_sheet(writer.sheets[sheet[:31]], table)
        elif suffix == ".parquet":
            table.to_parquet(tmp)
        else:
            tmp.write_text(to_markdown(table), encoding="utf-8")
    return path


def _format_sheet(ws, table: pd.DataFrame) -> None:
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = max(
        12, min(60, max((len(str(i)) for i in table.index), default=10) + 4)
    )
    from openpyxl.styles import Alignment

    for cell in ws[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2, min_col=2):
        for cell in row:
            if isinstance(cell.value, float):
                cell.number_format = "0.0"


def to_markdown(table: pd.DataFrame) -> str:
    """Render a table as GitHub Markdown without extra dependencies."""
    header = [str(table.index.name or ""), *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in table.iterrows():
        cells = [_md_cell(v) for v in row.tolist()]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines) + "\n"


def _md_cell(value) -> str:
    if isinstance(value, float):
        return "∞" if np.isinf(value) else f"{value:.1f}"
    return str(value).replace("|", "\\|")
