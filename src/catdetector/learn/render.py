"""Deck text (the course's Markdown with inline HTML) as plain text, rich markup or HTML.

The Markdown is parsed by ``markdown-it-py`` (CommonMark, HTML allowed); this
module only turns its tokens into text. ``<b>``/``<strong>``, ``<i>``/``<em>``,
``<code>``/``<kbd>`` and ``<br>`` keep their meaning, other tags are dropped.
Soft line breaks join a paragraph's lines; blocks keep the blank lines of the
source between them; list items keep their markers (nested lists indented by
four spaces). Text saved as UTF-8 and read back as Mac Roman or cp1252
(mojibake such as ``üß†`` for 🧠) is repaired first.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.markup import escape

_MOJIBAKE_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Mac Roman or cp1252, run by run.

    A run of non-ASCII characters is replaced only when re-encoding it gives
    valid UTF-8, which ordinary accented text almost never does.
    """

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        for codec in ("mac_roman", "cp1252"):
            try:
                return run.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
        return run

    return _MOJIBAKE_RUN.sub(fix, text)


@cache
def _markdown() -> MarkdownIt:
    """The parser: CommonMark with raw HTML allowed."""
    return MarkdownIt("commonmark", {"html": True})


# A line holding only <br> tags would open an HTML block in CommonMark and swallow the
# Markdown after it: after a line of text it is that line's break, else (the spacer after
# a <summary>) it goes.
_BR_AFTER_TEXT = re.compile(r"(?<=\S)[ \t]*\n[ \t]*((?:<br\s*/?>[ \t]*)+)$",
                            re.IGNORECASE | re.MULTILINE)
_LONE_BR = re.compile(r"^[ \t]*(?:<br\s*/?>[ \t]*)+$", re.IGNORECASE | re.MULTILINE)


def _source(text: str) -> str:
    """Repaired, dedented deck text, ready to parse."""
    text = textwrap.dedent(repair_mojibake(text))
    return _LONE_BR.sub("", _BR_AFTER_TEXT.sub(r"\1", text))


# Sentinels: open/close of a style, removed (plain) or turned into rich tags.
_OPEN, _CLOSE = "\x01", "\x02"
_STYLES = {"B": "bold", "I": "italic", "C": "bold cyan"}
_HTML_STYLE = {"b": "B", "strong": "B", "i": "I", "em": "I", "code": "C", "kbd": "C"}
_TOKEN_STYLE = {"strong": "B", "em": "I"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def _inline(children: Sequence[Token]) -> str:
    """An inline token's children as text with style sentinels."""
    out: list[str] = []
    for tok in children:
        kind = tok.type
        if kind in ("text", "image"):
            out.append(tok.content)
        elif kind == "code_inline":
            out.append(f"{_OPEN}C{tok.content}{_CLOSE}C")
        elif kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in _TOKEN_STYLE:
            style = _TOKEN_STYLE[kind.rsplit("_", 1)[0]]
            out.append(f"{_OPEN if kind.endswith('_open') else _CLOSE}{style}")
        elif kind == "softbreak":
            if out and not out[-1].endswith("\n"):
                out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "html_inline":
            out.append(_html_tag(tok.content))
    return "".join(out)


def _html_tag(raw: str) -> str:
    """An inline HTML tag: a line break, a style sentinel, or nothing."""
    match = _TAG.match(raw)
    if match is None:
        return ""
    name = match.group(2).lower()
    if name == "br":
        return "\n"
    style = _HTML_STYLE.get(name)
    if style is None:
        return ""
    return f"{_CLOSE if match.group(1) else _OPEN}{style}"


class _Blocks:
    """Walks the block tokens and lays out their text as lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.last_end: int | None = None
        self.lists: list[str] = []  # marker of the item being written, per list level
        self.quotes = 0
        self.marker_due = False
        self.heading = False
        self.in_table = False
        self.row: list[str] = []

    def _indent(self) -> str:
        return "> " * self.quotes + "    " * max(0, len(self.lists) - 1)

    def emit(self, text: str, where: list[int] | None) -> None:
        """Add a block's text, separated as in the source (blank line or not)."""
        if self.lines and where is not None and self.last_end is not None \
                and where[0] > self.last_end:
            self.lines.append(self._indent().rstrip())
        if where is not None:
            self.last_end = where[1]
        first = True
        for line in text.split("\n"):
            if first and self.marker_due:
                prefix = self._indent() + self.lists[-1] + " "
                self.marker_due = False
            elif self.lists:
                prefix = self._indent() + " " * (len(self.lists[-1]) + 1)
            else:
                prefix = self._indent()
            self.lines.append(prefix + line)
            first = False

    def walk(self, tokens: Sequence[Token]) -> str:
        """The text of a token stream."""
        for tok in tokens:
            kind = tok.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append("")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.lists[-1] = f"{tok.info}{tok.markup}" if tok.info else tok.markup
                self.marker_due = True
            elif kind == "blockquote_open":
                self.quotes += 1
            elif kind == "blockquote_close":
                self.quotes -= 1
            elif kind == "inline" and tok.children is not None:
                text = _inline(tok.children)
                if self.in_table:
                    self.row.append(text.strip())
                elif self.heading:
                    self.emit(f"{_OPEN}B{text}{_CLOSE}B", tok.map)
                else:
                    self.emit(text, tok.map)
            elif kind in ("heading_open", "heading_close"):
                self.heading = kind == "heading_open"
            elif kind in ("fence", "code_block"):
                fence = tok.markup
                body = tok.content.rstrip("\n")
                text = f"{fence}{tok.info}\n{body}\n{fence}" if fence else body
                self.emit(text, tok.map)
            elif kind == "html_block":
                self.emit(_inline(_markdown().parseInline(tok.content.strip())[0].children
                                  or []), tok.map)
            elif kind in ("table_open", "table_close"):
                self.in_table = kind == "table_open"
            elif kind == "tr_open":
                self.row = []
            elif kind == "tr_close":
                self.emit(" | ".join(self.row), tok.map)
        return "\n".join(self.lines)


def _tidy(text: str) -> str:
    """Strip line ends, collapse runs of blank lines."""
    out = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def _marked(text: str) -> str:
    """Deck text laid out as lines, emphasis as style sentinels."""
    return _tidy(_Blocks().walk(_markdown().parse(_source(text))))


def to_plain(text: str) -> str:
    """Deck text to plain text: tags and emphasis removed, code keeps its backticks."""
    marked = re.sub(f"[{_OPEN}{_CLOSE}]C", "`", _marked(text))
    return re.sub(f"[{_OPEN}{_CLOSE}][BI]", "", marked)


def to_markup(text: str) -> str:
    """Deck text to rich console markup (literal brackets escaped)."""
    out: list[str] = []
    stack: list[str] = []
    for piece in re.split(f"([{_OPEN}{_CLOSE}][BIC])", _marked(text)):
        if len(piece) == 2 and piece[0] in (_OPEN, _CLOSE) and piece[1] in _STYLES:
            style = _STYLES[piece[1]]
            if piece[0] == _OPEN:
                stack.append(style)
                out.append(f"[{style}]")
            elif style in stack:
                while stack:
                    top = stack.pop()
                    out.append(f"[/{top}]")
                    if top == style:
                        break
        else:
            out.append(escape(piece))
    out.extend(f"[/{style}]" for style in reversed(stack))
    return "".join(out)


def to_html(text: str) -> str:
    """Deck text to HTML (markdown-it's own renderer), e.g. for an Anki card."""
    return _markdown().render(_source(text)).strip()
