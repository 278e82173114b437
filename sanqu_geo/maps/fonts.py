"""Fonts of the print maps: finding a CJK face (the bundled Noto Sans CJK wheel, the system's
fonts or one the user names) and registering it with matplotlib. Draws nothing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from sanqu_geo.errors import DataSourceError

logger = logging.getLogger(__name__)


class _SingleWeightFilter(logging.Filter):
    """Drop matplotlib's per-text note that a CJK family has no bold face.

    The bundled Noto Sans CJK collection holds the regular weight only; matplotlib then says
    so for every bold label. The maps say it once, at debug level, instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("findfont: Failed to find font weight"):
            family = str(record.args[1]) if record.args and len(record.args) > 1 else ""
            if any(marker.casefold() in family.casefold() for marker in _CJK_MARKERS):
                logger.debug("%s has no bold face: bold labels are drawn in its regular", family)
                return False
        return True


logging.getLogger("matplotlib.font_manager").addFilter(_SingleWeightFilter())


#: CJK families tried in this order (simplified-Chinese faces first).
_CJK_PREFERRED: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
#: Parts of family names that mark a CJK font.
_CJK_MARKERS: tuple[str, ...] = ("CJK", "Source Han Sans", "WenQuanYi", "SimHei", "Microsoft YaHei")
#: Parts of file names of CJK fonts, used to register system fonts that matplotlib's font
#: cache does not know yet (the cache is built once, often before the fonts were installed).
_CJK_FILE_MARKERS: tuple[str, ...] = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehansans",
    "sourcehanserif",
    "wqy",
    "simhei",
    "msyh",
    "cjk",
)
_FONT_SUFFIXES = (".ttc", ".otf", ".ttf")
_FALLBACK_FAMILY = "DejaVu Sans"
_GLYPH_PROBE = "三区港"

#: Characters that need a CJK font (CJK ideographs, kana, hangul, CJK and full-width punctuation).
_CJK_CHARS = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


class MissingCJKFontWarning(UserWarning):
    """No font with Chinese glyphs was found: the map is drawn with English labels."""


def _registered_files() -> set[str]:
    return {os.path.normcase(os.path.abspath(f.fname)) for f in font_manager.fontManager.ttflist}


def _register(path: Path) -> list[str]:
    """Register a font file with matplotlib (once) and return the families it holds."""
    key = os.path.normcase(os.path.abspath(path))
    if key not in _registered_files():
        font_manager.fontManager.addfont(str(path))
    return [
        f.name
        for f in font_manager.fontManager.ttflist
        if os.path.normcase(os.path.abspath(f.fname)) == key
    ]


def _register_system_fonts(*, cjk_only: bool) -> None:
    """Add system fonts missing from matplotlib's cache (only CJK-looking files if asked)."""
    known = _registered_files()
    for name in font_manager.findSystemFonts(fontext="ttf"):
        if os.path.normcase(os.path.abspath(name)) in known:
            continue
        stem = Path(name).name.casefold().replace(" ", "").replace("-", "")
        if cjk_only and not any(marker in stem for marker in _CJK_FILE_MARKERS):
            continue
        try:
            font_manager.fontManager.addfont(name)
        except (OSError, RuntimeError, ValueError) as exc:  # a broken file must not stop a map
            logger.debug("skipping font file %s: %s", name, exc)


def _families() -> dict[str, str]:
    """Installed families, case-folded name -> name."""
    return {f.name.casefold(): f.name for f in font_manager.fontManager.ttflist}


def _has_cjk_glyphs(family: str) -> bool:
    try:
        path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    charmap = font_manager.get_font(path).get_charmap()
    return all(ord(ch) in charmap for ch in _GLYPH_PROBE)


def _preferred(families: Iterable[str]) -> list[str]:
    """CJK families in order of preference."""
    names = sorted(set(families))
    by_fold = {n.casefold(): n for n in names}
    ordered = [by_fold[p.casefold()] for p in _CJK_PREFERRED if p.casefold() in by_fold]
    marked = [n for n in names if any(m.casefold() in n.casefold() for m in _CJK_MARKERS)]
    # simplified-Chinese faces before the others, sans before serif, proportional before mono
    marked.sort(key=lambda n: (" SC" not in n and " CN" not in n, "Serif" in n, "Mono" in n, n))
    return list(dict.fromkeys([*ordered, *marked]))


def bundled_font_file() -> Path | None:
    """The Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` wheel, if installed.

    The wheel (SIL Open Font License 1.1) is a dependency of sanqu-geo, so ``pip install``
    alone gives Chinese print maps on a machine without system CJK fonts.

    Returns
    -------
    pathlib.Path or None
        The ``.ttc`` file, or None when the wheel is not installed.
    """
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


@functools.cache
def _discover_cjk_family() -> str | None:
    bundled = bundled_font_file()
    if bundled is not None:
        try:
            _register(bundled)
        except (OSError, RuntimeError, ValueError) as exc:  # a broken install must not stop a map
            logger.debug("cannot register the bundled CJK font %s: %s", bundled, exc)
    for attempt in range(2):
        for family in _preferred(_families().values()):
            if _has_cjk_glyphs(family):
                return family
        if attempt == 0:
            _register_system_fonts(cjk_only=True)
    return None


def find_cjk_font(font: str | None = None) -> str | None:
    """Return the family name of a font with Chinese glyphs, registering it with matplotlib.

    Parameters
    ----------
    font : str, optional
        A family name (``"Noto Sans CJK SC"``, ``"Microsoft YaHei"``) or a path to a
        ``.ttc``/``.otf``/``.ttf`` file. Without it the installed fonts are searched for Noto
        Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei or any family whose
        name contains ``CJK`` (simplified-Chinese faces first).

    Returns
    -------
    str or None
        The family to pass to matplotlib, or None when no font with Chinese glyphs is found
        (or the named font has none).

    Raises
    ------
    DataSourceError
        When the named file does not exist or is not a font, or the named family is not
        installed.
    """
    if font is None:
        return _discover_cjk_family()
    text = str(font).strip()
    looks_like_path = (
        text.casefold().endswith(_FONT_SUFFIXES) or os.sep in text or (os.altsep or os.sep) in text
    )
    if looks_like_path:
        path = Path(text).expanduser()
        if not path.is_file():
            msg = (
                f"font file {text!r} not found: pass an existing .ttc/.otf/.ttf file or a "
                "family name such as 'Noto Sans CJK SC' (Debian/Ubuntu: apt install "
                "fonts-noto-cjk)"
            )
            raise DataSourceError(msg)
        try:
            names = _register(path)
        except (OSError, RuntimeError, ValueError) as exc:
            msg = f"font file {text!r} cannot be read as a font ({exc}); pass a .ttc/.otf/.ttf"
            raise DataSourceError(msg) from exc
        if not names:
            msg = f"font file {text!r} holds no usable font face; pass a .ttc/.otf/.ttf"
            raise DataSourceError(msg)
        ranked = _preferred(names) + sorted(set(names))
        return next((n for n in ranked if _has_cjk_glyphs(n)), None)
    found = _families().get(text.casefold())
    if found is None:
        _register_system_fonts(cjk_only=False)
        found = _families().get(text.casefold())
    if found is None:
        installed = _preferred(_families().values())
        hint = (
            f"installed CJK families: {', '.join(installed[:8])}"
            if installed
            else "no CJK font is installed (Debian/Ubuntu: apt install fonts-noto-cjk)"
        )
        msg = (
            f"font family {text!r} is not installed; {hint}; "
            "or pass the path to a .ttc/.otf/.ttf file"
        )
        raise DataSourceError(msg)
    return found if _has_cjk_glyphs(found) else None


#: Messages already warned about in this process: a run with many maps warns once.
_WARNED: set[str] = set()


def warn_once(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` as a warning the first time only (per process).

    Parameters
    ----------
    message : str
        The warning.
    category : type
        Its class.
    """
    if message in _WARNED:
        logger.debug("%s (already warned)", message)
        return
    _WARNED.add(message)
    warnings.warn(message, category, stacklevel=3)


@contextlib.contextmanager
def compact_cjk_font(figures: Iterable[Any], family: str | None) -> Iterator[None]:
    """Within the block, draw the figures' text from a subset of ``family`` holding only the
    characters they use.

    The PDF backend subsets every embedded font anew for each file; for a CJK face of 65,535
    glyphs that costs about a second per map. A subset made once for all the maps of a run
    has the same outlines and advance widths, so the pages are laid out exactly alike, and
    each PDF then subsets a font of a few hundred glyphs. Characters missing from the subset
    still come from the full face (matplotlib falls back along the family list).

    Parameters
    ----------
    figures : iterable of matplotlib.figure.Figure
        The maps about to be saved.
    family : str or None
        The CJK family they use (None: nothing to do).
    """
    figures = list(figures)
    if family is None or not figures:
        yield
        return
    from fontTools import subset
    from matplotlib.text import Text

    texts = [t for fig in figures for t in fig.findobj(Text)]
    chars = {ch for t in texts for ch in t.get_text()} | {chr(c) for c in range(0x20, 0x7F)}
    source = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    digest = hashlib.sha1("".join(sorted(chars)).encode()).hexdigest()[:10]
    name = f"{family} {digest}"
    with tempfile.TemporaryDirectory(prefix="sanqu-geo-font-") as folder:
        options = subset.Options(font_number=getattr(source, "face_index", 0))
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["vhea", "vmtx", "VORG"]
        # matplotlib lays text out glyph by glyph from the cmap; the layout tables' closure
        # (every alternate form of every character) would only make the subset slow and big
        options.layout_features = []
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):
                record.string = name
            elif record.nameID == 6:
                record.string = name.replace(" ", "")
        path = Path(folder) / f"{name.replace(' ', '')}.otf"
        font.save(str(path))
        font.close()
        font_manager.fontManager.addfont(str(path))
        changed = []
        for text in texts:
            families = list(text.get_fontfamily())
            if families and families[0] == family:
                text.set_fontfamily([name, *families])
                changed.append((text, families))
        logger.debug("compact %s: %d characters in %s", family, len(chars), path.name)
        try:
            yield
        finally:
            for text, families in changed:
                text.set_fontfamily(families)
            key = os.path.abspath(path)
            font_manager.fontManager.ttflist = [
                f for f in font_manager.fontManager.ttflist if os.path.abspath(f.fname) != key
            ]
            font_manager.fontManager._findfont_cached.cache_clear()
            font_manager._get_font.cache_clear()
