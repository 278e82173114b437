"""Fonts of the print maps: finding a CJK face (the bundled Noto Sans CJK wheel, the system's
fonts or one the user names), registering it with matplotlib and making what a PDF embeds
from it. Draws nothing.

The wheel's face is registered under a family name of its own, :data:`BUNDLED_FAMILY`, and is
the first choice unless the user names a font: a system copy of Noto Sans CJK (Debian's
``fonts-noto-cjk`` also brings a bold face the wheel lacks) then never takes its place, so a
pack's PDFs are the same on every machine. Text in a face with PostScript (CFF) outlines, as
every Noto CJK face has, is embedded in PDFs from a TrueType-outline subset of the characters
used: matplotlib embeds fonts as TrueType (Type 42), and a CFF font under that label makes
poppler and other readers warn of a font type mismatch.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
#: Family of the Simplified Chinese face of the ``noto-cjk-sans-otc`` wheel once registered.
BUNDLED_FAMILY = "Noto Sans CJK SC (bundled)"
#: The family name that face carries in its file.
_BUNDLED_SOURCE_FAMILY = "Noto Sans CJK SC"
#: Suffix given to every face of the wheel's collection when it is registered.
_BUNDLED_SUFFIX = " (bundled)"
#: Largest distance, in font units (1,000 to the em), between a glyph's cubic outline and the
#: quadratic one it is embedded with: 0.1 % of the type size, far below a printer's dot.
_MAX_OUTLINE_ERROR = 1.0
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
    bundled = bundled_font_file()
    if bundled is not None and key == os.path.normcase(os.path.abspath(bundled)):
        register_bundled_font()
    elif key not in _registered_files():
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


def register_bundled_font() -> str | None:
    """Register the wheel's Noto Sans CJK collection with matplotlib under names of its own.

    Every face of the collection is registered with :meth:`FontManager.addfont
    <matplotlib.font_manager.FontManager.addfont>` and renamed with the suffix `` (bundled)``,
    so its Simplified Chinese face is :data:`BUNDLED_FAMILY`. A family name shared with a
    system copy would let matplotlib choose between the two files (and take the system's bold
    face for bold text); a name of its own always finds the wheel's file.

    Returns
    -------
    str or None
        :data:`BUNDLED_FAMILY`, or None when the wheel is not installed or cannot be read.
    """
    path = bundled_font_file()
    if path is None:
        return None
    key = os.path.normcase(os.path.abspath(path))
    try:
        if key not in _registered_files():
            font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError) as exc:  # a broken install must not stop a map
        logger.debug("cannot register the bundled CJK font %s: %s", path, exc)
        return None
    manager = font_manager.fontManager
    renamed = False
    entries = []
    for entry in manager.ttflist:
        if os.path.normcase(os.path.abspath(entry.fname)) == key and not entry.name.endswith(
            _BUNDLED_SUFFIX
        ):
            entry = dataclasses.replace(entry, name=entry.name + _BUNDLED_SUFFIX)
            renamed = True
        entries.append(entry)
    if renamed:
        manager.ttflist = entries
        manager._findfont_cached.cache_clear()
        logger.debug("registered the bundled CJK font %s as %r", path, BUNDLED_FAMILY)
    if not any(e.name == BUNDLED_FAMILY for e in manager.ttflist):
        logger.debug("%s holds no %r face", path, _BUNDLED_SOURCE_FAMILY)
        return None
    return BUNDLED_FAMILY


@functools.cache
def _discover_cjk_family() -> str | None:
    bundled = register_bundled_font()
    if bundled is not None and _has_cjk_glyphs(bundled):
        return bundled
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
        ``.ttc``/``.otf``/``.ttf`` file. Without it the face of the ``noto-cjk-sans-otc``
        wheel is used (:data:`BUNDLED_FAMILY`), whatever the system holds; only without the
        wheel are the installed fonts searched for Noto Sans CJK, Source Han Sans, WenQuanYi,
        SimHei, Microsoft YaHei or any family whose name contains ``CJK`` (simplified-Chinese
        faces first). A family only the wheel holds (``"Noto Sans CJK SC"`` on a machine
        without system CJK fonts) names the wheel's face.

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
    if found is None and register_bundled_font() is not None:
        # a family of the wheel's collection, by the name it has in the file
        found = _families().get((text + _BUNDLED_SUFFIX).casefold())
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


def _to_truetype_outlines(font: Any) -> None:
    """Replace the PostScript (CFF) outlines of a fontTools font by TrueType ones, in place.

    Each cubic outline becomes quadratic splines within :data:`_MAX_OUTLINE_ERROR` font
    units (``fontTools.pens.cu2quPen``), turned clockwise as TrueType wants; the metrics,
    character map and names stay as they are.
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, _MAX_OUTLINE_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True  # the new glyphs' boxes, and the font's, when it is written


@functools.cache
def _has_cff_outlines(path: str, index: int) -> bool:
    """Whether face ``index`` of a font file holds PostScript (CFF) outlines."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            return "CFF " in font or "CFF2" in font
    except Exception as exc:  # a file matplotlib reads but fontTools does not: leave it
        logger.debug("cannot read the outlines of %s: %s", path, exc)
        return False


def _font_file(family: str) -> Any | None:
    try:
        return font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return None


#: Families made by :func:`compact_cjk_font` that are alive now.
_COMPACT: set[str] = set()


@contextlib.contextmanager
def compact_cjk_font(figures: Iterable[Any], family: str | None) -> Iterator[None]:
    """Within the block, draw the figures' text from a TrueType subset of ``family`` holding
    only the characters they use.

    The subset serves two ends. It keeps the PDFs right: matplotlib embeds fonts as TrueType
    (Type 42), so the subset has TrueType outlines even when ``family`` has PostScript ones,
    as the Noto CJK faces do (embedded as they are, readers such as poppler warn of a font
    type mismatch). And it keeps them quick: the PDF backend subsets every embedded font
    anew for each file; for a CJK face of 65,535 glyphs that costs about a second per map.
    A subset made once for all the maps of a run has the same advance widths and outlines
    (within :data:`_MAX_OUTLINE_ERROR` of the em), so the pages are laid out exactly alike,
    and each PDF then subsets a font of a few hundred glyphs. Characters missing from the
    subset still come from the full face (matplotlib falls back along the family list).

    The subset is named after ``family``, a digest of its characters and of the source face
    (``Noto Sans CJK SC (bundled) 1a2b3c4d5e``; PostScript name
    ``NotoSansCJKSCbundled-1a2b3c4d5e``): the same maps give the same names on any machine.

    Parameters
    ----------
    figures : iterable of matplotlib.figure.Figure
        The maps about to be saved.
    family : str or None
        The CJK family they use (None: nothing to do).
    """
    figures = list(figures)
    if family is None or not figures or family in _COMPACT:
        yield
        return
    from fontTools import subset
    from matplotlib.text import Text

    source = _font_file(family)
    if source is None:
        logger.debug("compact %s: not installed, the figures keep their fonts", family)
        yield
        return
    texts = [t for fig in figures for t in fig.findobj(Text)]
    chars = {ch for t in texts for ch in t.get_text()} | {chr(c) for c in range(0x20, 0x7F)}
    index = int(getattr(source, "face_index", 0))
    identity = f"{family}|{Path(source).name}|{Path(source).stat().st_size}|{index}|"
    digest = hashlib.sha1((identity + "".join(sorted(chars))).encode()).hexdigest()[:10]
    name = f"{family} {digest}"
    postscript = re.sub("[^A-Za-z0-9]", "", family)[:48] + "-" + digest
    with tempfile.TemporaryDirectory(prefix="sanqu-geo-font-") as folder:
        options = subset.Options(font_number=index)
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
        cff = "CFF " in font or "CFF2" in font
        if cff:
            _to_truetype_outlines(font)
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):
                record.string = name
            elif record.nameID == 6:
                record.string = postscript
        path = Path(folder) / f"{postscript}.ttf"
        font.save(str(path))
        font.close()
        font_manager.fontManager.addfont(str(path))
        _COMPACT.add(name)
        changed = []
        for text in texts:
            families = list(text.get_fontfamily())
            if families and families[0] == family:
                text.set_fontfamily([name, *families])
                changed.append((text, families))
        logger.debug(
            "compact %s: %d characters in %s%s",
            family,
            len(chars),
            path.name,
            " (TrueType outlines)" if cff else "",
        )
        try:
            yield
        finally:
            for text, families in changed:
                text.set_fontfamily(families)
            _COMPACT.discard(name)
            key = os.path.abspath(path)
            font_manager.fontManager.ttflist = [
                f for f in font_manager.fontManager.ttflist if os.path.abspath(f.fname) != key
            ]
            font_manager.fontManager._findfont_cached.cache_clear()
            font_manager._get_font.cache_clear()


@contextlib.contextmanager
def embeddable_fonts(figures: Iterable[Any]) -> Iterator[None]:
    """Within the block, draw every text whose font has PostScript (CFF) outlines from a
    TrueType subset, so that the PDFs written embed fonts of the type they declare.

    Text already drawn from a subset (inside :func:`compact_cjk_font`) and text in TrueType
    faces (DejaVu Sans, most ``.ttf`` files) is left alone, so the call costs nothing there.

    Parameters
    ----------
    figures : iterable of matplotlib.figure.Figure
        The figures about to be written as PDF.
    """
    from matplotlib.text import Text

    figures = list(figures)
    families: dict[str, None] = {}
    for fig in figures:
        for text in fig.findobj(Text):
            names = list(text.get_fontfamily())
            if names and text.get_text() and names[0] not in _COMPACT:
                families[names[0]] = None
    outlined = []
    for family in families:
        source = _font_file(family)
        if source is not None and _has_cff_outlines(
            str(source), int(getattr(source, "face_index", 0))
        ):
            outlined.append(family)
    with contextlib.ExitStack() as stack:
        for family in outlined:
            stack.enter_context(compact_cjk_font(figures, family))
        yield
