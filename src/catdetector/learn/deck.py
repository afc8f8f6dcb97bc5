"""Parse a deck written in the course's own Markdown into cards.

The format is the one of the course's exercise files:

- ``# Title`` names the deck; each ``## Heading`` starts a part.
- ``<details><summary>QUESTION</summary> ANSWER </details>`` is a flashcard.
- When the summary is only a reveal button ("Click to Reveal Diagnosis"), the
  question is the prose just before the block. It is a *scenario* card when that
  prose has a ``**Scenario**:`` label, a *task* card when it has ``**Task**:``.

Questions and answers are rendered by :mod:`catdetector.learn.render`
(markdown-it-py) as plain text, rich markup and HTML. A malformed deck raises
:class:`~catdetector.core.errors.DeckError` naming the file and the line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

from catdetector.core.errors import DeckError
from catdetector.learn.render import repair_mojibake, to_html, to_markup, to_plain

__all__ = [
    "BUILTIN_PREFIX", "Card", "CardKind", "Deck", "builtin_deck", "builtin_deck_names",
    "load_deck", "parse_deck", "repair_mojibake", "to_html", "to_markup", "to_plain",
]

BUILTIN_PREFIX = "builtin:"


class CardKind(StrEnum):
    """What a card asks for."""

    FLASHCARD = "flashcard"
    SCENARIO = "scenario"
    TASK = "task"


@dataclass(frozen=True)
class Card:
    """One question with its answer, as plain text and as rich markup."""

    id: str
    kind: CardKind
    part: str | None
    question: str
    answer: str
    question_markup: str
    answer_markup: str
    question_html: str
    answer_html: str
    reveal_label: str | None
    line: int
    question_line: int
    answer_line: int
    end_line: int


@dataclass(frozen=True)
class Deck:
    """A titled, ordered set of cards read from one Markdown source."""

    title: str
    source: str
    cards: tuple[Card, ...]
    parts: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """Stable id of the deck: a hash of where it comes from and its title."""
        digest = hashlib.sha256(f"{self.source}\n{self.title}".encode()).hexdigest()
        return f"{_slug(self.title)}-{digest[:12]}"

    def card(self, card_id: str) -> Card:
        """The card with this id."""
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)


# --------------------------------------------------------------------- text


def _slug(text: str) -> str:
    """A short filesystem-friendly form of a title."""
    slug = re.sub(r"[^a-z0-9]+", "-", to_plain(text).lower()).strip("-")
    if len(slug) > 40:
        slug = slug[:41].rsplit("-", 1)[0]
    return slug.strip("-") or "deck"


_LEADING_SYMBOLS = re.compile(r"^[^\w`\"'(]+")


def _title(text: str) -> str:
    """Plain heading text without decorative leading emoji."""
    plain = to_plain(text)
    stripped = _LEADING_SYMBOLS.sub("", plain).strip()
    return stripped or plain


# ------------------------------------------------------------------- parser

_TOKEN = re.compile(
    r"(?P<heading>^(?P<hashes>#{1,6})[ \t]+(?P<htext>[^\n]*?)[ \t]*#*[ \t]*$)"
    r"|(?P<tag></?(?P<tname>details|summary)\b[^>]*>)",
    re.IGNORECASE | re.MULTILINE,
)
_FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?(?:^\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_REVEAL = re.compile(
    r"^\W*(?:click(?:\s+here)?(?:\s+to)?\s*)?"
    r"(?:(?:reveal|show|see)\b(?:\s+(?:the|a|an)\b)?)?\s*(.*)$",
    re.IGNORECASE,
)
_REVEAL_ONLY = re.compile(
    r"\breveal\b|^\W*click\b|^\W*(?:show|see)\s+(?:the\s+)?(?:answers?|solutions?)\W*$",
    re.IGNORECASE,
)
_SCENARIO_LABEL = re.compile(r"(\*\*|<b>)\s*scenario\s*:?\s*(\*\*|</b>)\s*:?", re.IGNORECASE)
_TASK_LABEL = re.compile(r"(\*\*|<b>)\s*task\s*:?\s*(\*\*|</b>)\s*:?", re.IGNORECASE)
_ANSWER_LABEL = re.compile(
    r"^\s*(?:<br\s*/?>\s*)*(?:<b>|\*\*)?\s*answer\s*:?\s*(?:</b>|\*\*)?\s*:?", re.IGNORECASE
)


def _mask_fences(text: str) -> str:
    """Blank out fenced code blocks (keeping newlines) so their tags are ignored."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


class _Parser:
    """One pass over the token stream of a deck; see :func:`parse_deck`."""

    def __init__(self, text: str, source: str, where: str) -> None:
        self.text = text
        self.source = source
        self.where = where
        self.title: str | None = None
        self.part: str | None = None
        self.parts: list[str] = []
        self.cards: list[Card] = []
        self.prose: list[tuple[int, str]] = []
        self.state = "out"
        self.details_line = 0
        self.summary_line = 0
        self.summary: list[str] = []
        self.body_line = 0
        self.body: list[str] = []

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return self.text.count("\n", 0, offset) + 1

    def fail(self, line: int, message: str, hint: str | None = None) -> DeckError:
        """A DeckError naming the deck and the line."""
        return DeckError(f"{self.where}, line {line}: {message}", hint=hint)

    def text_chunk(self, start: int, chunk: str) -> None:
        """Route text between tokens to the current state."""
        if not chunk:
            return
        if self.state == "out":
            self.prose.append((self.line_of(start), chunk))
        elif self.state == "details":
            if chunk.strip():
                offset = start + len(chunk) - len(chunk.lstrip())
                raise self.fail(
                    self.details_line,
                    "<details> must start with a <summary> holding the question "
                    f"(found text on line {self.line_of(offset)} first)",
                )
        elif self.state == "summary":
            self.summary.append(chunk)
        else:
            if not self.body:
                self.body_line = self.line_of(start + len(chunk) - len(chunk.lstrip("\n")))
            self.body.append(chunk)

    def heading(self, offset: int, level: int, raw: str, text: str) -> None:
        """A Markdown heading: title, new part, or text inside an answer."""
        line = self.line_of(offset)
        if self.state in ("details", "summary") or (self.state == "body" and level <= 2):
            raise self.fail(
                self.details_line,
                f"<details> opened here is not closed before the heading on line {line}",
                hint="add </details> after the answer",
            )
        if self.state == "body":
            self.text_chunk(offset, raw)
            return
        if level == 1 and self.title is None and not self.cards:
            self.title = _title(text)
        elif level <= 2:
            self.part = _title(text)
            self.parts.append(self.part)
        else:
            self.prose.append((line, raw))
            return
        self.prose = []

    def tag(self, line: int, name: str, closing: bool) -> None:
        """An opening or closing <details>/<summary> tag."""
        if name == "details" and not closing:
            if self.state != "out":
                raise self.fail(
                    self.details_line,
                    f"<details> opened here is not closed before the next <details> "
                    f"on line {line}",
                    hint="add </details> after the answer; nested <details> are not supported",
                )
            self.state, self.details_line = "details", line
            self.summary, self.body = [], []
        elif name == "summary" and not closing:
            if self.state != "details":
                where = "outside a <details> block" if self.state == "out" else "twice"
                raise self.fail(line, f"<summary> {where}")
            self.state, self.summary_line = "summary", line
        elif name == "summary":
            if self.state != "summary":
                raise self.fail(line, "</summary> without an opening <summary>")
            self.state = "body"
        else:
            if self.state == "out":
                raise self.fail(line, "</details> without an opening <details>")
            if self.state == "details":
                raise self.fail(self.details_line, "<details> has no <summary> with the question")
            if self.state == "summary":
                raise self.fail(
                    self.summary_line,
                    f"<summary> opened here is not closed before </details> on line {line}",
                    hint="add </summary> after the question",
                )
            self.finish_card(line)

    def finish_card(self, end_line: int) -> None:
        """Build the card of the <details> block that just closed."""
        summary_src = "".join(self.summary)
        answer_src = _ANSWER_LABEL.sub("", "".join(self.body), count=1)
        summary_plain = _title(summary_src)
        if not summary_plain:
            raise self.fail(self.summary_line, "empty <summary>: write the question in it")
        answer = to_plain(answer_src)
        if not answer:
            raise self.fail(
                self.details_line,
                f"card {summary_plain!r} has no answer",
                hint="write the answer between </summary> and </details>",
            )
        reveal = _REVEAL.match(summary_plain) if _REVEAL_ONLY.search(summary_plain) else None
        prose_src = "".join(chunk for _, chunk in self.prose)
        kind = CardKind.FLASHCARD
        reveal_label: str | None = None
        if reveal:
            if not to_plain(prose_src):
                raise self.fail(
                    self.details_line,
                    f"the summary {summary_plain!r} only reveals; there is no question "
                    "before this <details>",
                    hint="write the question in the <summary> or in a paragraph above it",
                )
            question_src = prose_src
            question_line = next(
                (line + chunk[: len(chunk) - len(chunk.lstrip())].count("\n")
                 for line, chunk in self.prose if chunk.strip()),
                self.details_line,
            )
            reveal_label = reveal.group(1).strip() or None
            if _SCENARIO_LABEL.search(prose_src):
                kind = CardKind.SCENARIO
            elif _TASK_LABEL.search(prose_src):
                kind = CardKind.TASK
        else:
            question_src = summary_src
            question_line = self.summary_line
        question = to_plain(question_src)
        base = hashlib.sha256(f"{kind}\n{question}".encode()).hexdigest()[:12]
        card_id, n = base, 2
        while any(c.id == card_id for c in self.cards):
            card_id, n = f"{base}-{n}", n + 1
        self.cards.append(
            Card(
                id=card_id,
                kind=kind,
                part=self.part,
                question=question,
                answer=answer,
                question_markup=to_markup(question_src),
                answer_markup=to_markup(answer_src),
                question_html=to_html(question_src),
                answer_html=to_html(answer_src),
                reveal_label=reveal_label,
                line=self.details_line,
                question_line=question_line,
                answer_line=self.body_line or end_line,
                end_line=end_line,
            )
        )
        self.state = "out"
        self.prose = []

    def run(self) -> Deck:
        """Parse the whole text."""
        masked = _mask_fences(self.text)
        pos = 0
        for match in _TOKEN.finditer(masked):
            self.text_chunk(pos, self.text[pos : match.start()])
            line = self.line_of(match.start())
            if match.group("heading"):
                level = len(match.group("hashes"))
                self.heading(match.start(), level, self.text[match.start() : match.end()],
                             match.group("htext"))
            else:
                self.tag(line, match.group("tname").lower(), match.group("tag")[1] == "/")
            pos = match.end()
        self.text_chunk(pos, self.text[pos:])
        if self.state != "out":
            opened = self.summary_line if self.state == "summary" else self.details_line
            tag = "<summary>" if self.state == "summary" else "<details>"
            raise self.fail(opened, f"{tag} opened here is never closed",
                            hint=f"add </{tag[1:]} at the end of the block")
        if not self.cards:
            raise self.fail(
                1, "no cards found",
                hint="write each question as <details><summary>Q</summary>answer</details>",
            )
        title = self.title or Path(self.where).stem
        return Deck(title=title, source=self.source, cards=tuple(self.cards),
                    parts=tuple(self.parts))


def parse_deck(text: str, *, source: str, where: str | None = None) -> Deck:
    """Parse Markdown text into a Deck; ``where`` names it in error messages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    return _Parser(text, source, where or source).run()


def load_deck(path: Path) -> Deck:
    """Read and parse a deck file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DeckError(f"deck file not found: {path}") from None
    except IsADirectoryError:
        raise DeckError(f"{path} is a directory, not a deck file") from None
    except OSError as exc:
        raise DeckError(f"cannot read deck {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DeckError(f"{path}, line {line}: not valid UTF-8 text") from None
    return parse_deck(text, source=str(path.resolve()), where=str(path))


def builtin_deck_names() -> list[str]:
    """Names of the decks that ship with catdetector."""
    folder = resources.files("catdetector") / "decks"
    return sorted(p.name.removesuffix(".md") for p in folder.iterdir() if p.name.endswith(".md"))


def builtin_deck(name: str = "module1") -> Deck:
    """Load a deck shipped as package data (``catdetector/decks/NAME.md``)."""
    resource = resources.files("catdetector") / "decks" / f"{name}.md"
    if not resource.is_file():
        raise DeckError(
            f"no built-in deck named {name!r}",
            hint=f"available: {', '.join(builtin_deck_names())}",
        )
    return parse_deck(
        resource.read_text(encoding="utf-8"),
        source=f"{BUILTIN_PREFIX}{name}",
        where=f"built-in deck {name}.md",
    )
