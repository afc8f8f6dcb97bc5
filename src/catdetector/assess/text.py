"""Text helpers shared by every recogniser: needle-filtered regexes, code blanking, paths."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

import yaml

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Rx:
    """A compiled regex with literal needles: the regex runs only if one of them occurs.

    Most files contain none of a check's needles, and ``str.__contains__`` is far
    cheaper than a regex scan, so this keeps one pass over 10,000 files fast.
    ``lower`` needles are looked up in the lower-cased text.
    """

    __slots__ = ("lower", "needles", "regex")

    def __init__(
        self, pattern: str, flags: int = 0, needles: tuple[str, ...] = (), *, lower: bool = False
    ) -> None:
        self.regex = re.compile(pattern, flags)
        self.needles = needles
        self.lower = lower

    def possible(self, text: str, lowered: str | None = None) -> bool:
        """Whether the regex can match (some needle occurs, or there are none)."""
        if not self.needles:
            return True
        hay = (lowered if lowered is not None else text.lower()) if self.lower else text
        for needle in self.needles:  # noqa: SIM110 (a loop is faster than any() here)
            if needle in hay:
                return True
        return False

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """``re.search`` behind the needle filter."""
        return self.regex.search(text) if self.possible(text, lowered) else None

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """``re.finditer`` behind the needle filter."""
        return self.regex.finditer(text) if self.possible(text, lowered) else iter(())


_BLANK_RE = re.compile(
    r"(?P<s>[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\\n])*\"|"
    r"'(?:\\.|[^'\\\n])*'))|(?P<c>#[^\n]*)"
)


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    if m.group("c") is not None:
        return ""
    quote = text.lstrip("rRbBuUfF")[:1]
    start = text.index(quote)
    width = 3 if text[start : start + 3] == quote * 3 else 1
    head, body, tail = text[: start + width], text[start + width : -width], text[-width:]
    return head + re.sub(r"[^\n]", " ", body) + tail


def blank_strings(text: str) -> str:
    """The code with string contents blanked and comments removed; line numbers are kept."""
    return _BLANK_RE.sub(_blank, text)


def snippet(line: str, limit: int = 90) -> str:
    """One source line, trimmed for a report."""
    text = " ".join(line.strip().split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normpath(path: str, base: str = "") -> str | None:
    """A root-relative posix path, or None when it leaves the tree or is absolute."""
    path = path.strip().replace("\\", "/")
    if not path or path.startswith("/") or re.match(r"^[A-Za-z]:/", path) or "://" in path:
        return None
    if path.startswith("~"):
        return None
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == "..":
        return None
    return joined


def glob_root(path: str) -> str:
    """The directory part of a path before any glob character."""
    for i, ch in enumerate(path):
        if ch in "*?[":
            return path[:i].rstrip("/").rsplit("/", 1)[0] if "/" in path[:i] else ""
    return path.rstrip("/")


def line_numbers(text: str, regex: re.Pattern[str] | Rx) -> Iterator[tuple[int, re.Match[str]]]:
    """Yield (1-based line number, match) for each match, counting newlines once."""
    line = 1
    last = 0
    for m in regex.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        yield line, m


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def suffix_of(path: str) -> str:
    return posixpath.splitext(path)[1].lower()
