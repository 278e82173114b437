"""Spreadsheet safety: user text never becomes a live formula in a CSV or XLSX file.

Follows the OWASP rule on CSV injection: a text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading apostrophe in CSV (Excel shows the
text, not a formula), and as a text cell in XLSX.

The escape is reversible: a text that itself begins with apostrophes before one of those
characters (``'=x``) gets one apostrophe more (``''=x``), so :func:`unescape` takes off exactly
the one :func:`spreadsheet_safe` added and every text reads back as it was written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "control_character",
    "spreadsheet_safe",
    "spreadsheet_safe_frame",
    "spreadsheet_text_cells",
    "unescape",
]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe when a spreadsheet would run it as a formula.

    Parameters
    ----------
    value : object
        A cell value; only text is changed.

    Returns
    -------
    object
        The value, safe to write to CSV: with one apostrophe more when it begins with a
        formula character, or with apostrophes followed by one.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(_TRIGGERS):
        return "'" + value
    return value


def unescape(value: Any) -> Any:
    """Undo :func:`spreadsheet_safe` (for reading the toolkit's own CSV files back).

    Parameters
    ----------
    value : object
        A cell value as read; only text is changed.

    Returns
    -------
    object
        The value without the one apostrophe :func:`spreadsheet_safe` added: a text of one or
        more apostrophes followed by a formula character loses its first apostrophe; any other
        text is kept as it is.
    """
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(_TRIGGERS):
        return value[1:]
    return value


def _texty(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, index labels and headers are safe for CSV."""
    out = frame.copy()
    for column in out.columns:
        if _texty(out[column].dtype):
            out[column] = out[column].map(spreadsheet_safe)
    if _texty(out.index.dtype):
        out.index = out.index.map(spreadsheet_safe)
    out.index.name = spreadsheet_safe(out.index.name)
    out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out


def spreadsheet_text_cells(ws: Any) -> None:
    """Make every formula cell of an openpyxl worksheet a text cell (the toolkit writes none)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def control_character(text: str) -> str | None:
    """The first control or direction-override character in ``text`` (as ``U+XXXX``), or None.

    Names with NUL, line breaks, escape codes or bidi overrides print wrongly, cannot be
    stored in XLSX and can disguise what a reader sees; the toolkit refuses them at the door.
    """
    import unicodedata

    for char in str(text):
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} and char not in "\u200d":
            return f"U+{ord(char):04X}"
    return None
