"""The language the command line speaks: Chinese or English, from one message catalogue.

Messages are looked up by their English text in ``sanqu_geo/locale/zh.toml``; the library's
own errors stay English and only their common framings are translated, by pattern. This
module never prints and never decides what a command does.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "_",
    "catalogue",
    "detect_language",
    "language",
    "set_language",
    "translate_error",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: The interface languages: English (the message ids) and Chinese.
LANGUAGES: tuple[str, ...] = ("en", "zh")

#: The Chinese catalogue, shipped inside the package.
CATALOGUE_PATH: Path = Path(__file__).with_name("locale") / "zh.toml"

#: Locale variables in the order POSIX gives them precedence.
_LOCALE_VARIABLES: tuple[str, ...] = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: str | None = None


@dataclass(frozen=True)
class _ErrorRule:
    pattern: re.Pattern[str]
    zh: str


@dataclass(frozen=True)
class Catalogue:
    """The Chinese messages: plain messages by their English id, and error patterns.

    Attributes
    ----------
    messages : dict of str to str
        Chinese text keyed by the English message (whitespace collapsed).
    terms : dict of str to str
        Words that appear inside error messages (``file``, ``layer``), for the patterns.
    errors : tuple of _ErrorRule
        Patterns of the common error framings, applied in order.
    """

    messages: Mapping[str, str]
    terms: Mapping[str, str]
    errors: tuple[_ErrorRule, ...]


def _key(msgid: str) -> str:
    """The catalogue key of a message: its words joined by single spaces."""
    return " ".join(msgid.split())


@functools.cache
def catalogue() -> Catalogue:
    """Read the Chinese catalogue once.

    Returns
    -------
    Catalogue
        Messages, terms and error patterns. An unreadable catalogue gives an empty one
        (the interface then stays English) and a warning.
    """
    try:
        data = tomllib.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("message catalogue %s unreadable (%s); English is used", CATALOGUE_PATH, exc)
        return Catalogue({}, {}, ())
    messages = {_key(k): v for k, v in data.get("messages", {}).items()}
    rules = tuple(
        _ErrorRule(re.compile(rule["pattern"]), rule["zh"]) for rule in data.get("errors", [])
    )
    return Catalogue(messages, dict(data.get("terms", {})), rules)


def detect_language(environ: Mapping[str, str] | None = None) -> str:
    """The interface language the locale asks for.

    Parameters
    ----------
    environ : mapping, optional
        Environment variables (default: ``os.environ``). The first of ``LC_ALL``,
        ``LC_MESSAGES`` and ``LANG`` that is set decides.

    Returns
    -------
    str
        ``"zh"`` for a Chinese locale (``zh_CN.UTF-8``, ``zh_TW``, ``zh``), else ``"en"``.
    """
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Choose the interface language; ``None`` goes back to the locale's.

    Parameters
    ----------
    lang : {"zh", "en"} or None
        The language.

    Raises
    ------
    ValueError
        For any other value.
    """
    global _chosen
    if lang is not None and lang not in LANGUAGES:
        msg = f"interface language {lang!r}: use zh or en"
        raise ValueError(msg)
    _chosen = lang


def language() -> str:
    """The interface language in use: the chosen one, else the locale's."""
    return _chosen if _chosen is not None else detect_language()


def _(msgid: str) -> str:
    """The message in the interface language.

    Parameters
    ----------
    msgid : str
        The English message; placeholders (``{path}``) and Rich markup are part of it.

    Returns
    -------
    str
        Its Chinese translation when the language is Chinese and the catalogue has it,
        otherwise ``msgid`` unchanged.
    """
    if language() != "zh" or not msgid:
        return msgid
    return catalogue().messages.get(_key(msgid), msgid)


def _term(word: str) -> str:
    return catalogue().terms.get(word.strip(), word)


def translate_error(message: str) -> str:
    """An error message with its common framings in the interface language.

    Parameters
    ----------
    message : str
        An English error message (the library's or the command parser's).

    Returns
    -------
    str
        In Chinese, the message with every known framing (file not found, not a regular
        file, unknown option or value, out of range…) translated and the rest left as
        written; in English, ``message`` unchanged.
    """
    if language() != "zh":
        return message
    whole = catalogue().messages.get(_key(message))
    if whole is not None:
        return whole
    out = message
    for rule in catalogue().errors:

        def replace(match: re.Match[str], zh: str = rule.zh) -> str:
            groups = {
                name: (_term(value) if name.startswith("t_") else value)
                for name, value in match.groupdict(default="").items()
            }
            return zh.format(**groups)

        out = rule.pattern.sub(replace, out)
    return out
