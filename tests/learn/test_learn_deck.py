"""The deck parser on the course's seed file, on the built-in deck and on malformed decks."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from rich.text import Text

from catdetector.core.errors import DeckError
from catdetector.learn.deck import (
    CardKind,
    builtin_deck,
    builtin_deck_names,
    load_deck,
    parse_deck,
    repair_mojibake,
    to_html,
    to_markup,
    to_plain,
)

from .conftest import SEED, SHARED_SEED


def test_seed_copy_is_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_parses_into_three_flashcards_a_scenario_and_a_task() -> None:
    deck = load_deck(SEED)
    assert deck.title == "Module 1 Exercises: Foundations"
    assert [c.kind for c in deck.cards] == [
        CardKind.FLASHCARD, CardKind.FLASHCARD, CardKind.FLASHCARD,
        CardKind.SCENARIO, CardKind.TASK,
    ]
    assert deck.parts == (
        "Part 1: Rapid Fire Flashcards",
        'Part 2: The "Broken" Startup (Scenario Analysis)',
        "Part 3: Fix the Workflow",
    )
    q1, q2, q3, scenario, task = deck.cards
    assert [c.part for c in deck.cards] == [deck.parts[0]] * 3 + [deck.parts[1], deck.parts[2]]

    assert q1.question == "Q1: What is the main difference between MLOps and Model Ops?"
    assert q1.answer.startswith("MLOps covers the end-to-end lifecycle (Data -> Train")
    assert "Governance, Cataloging" in q1.answer
    assert "<b>" not in q1.answer and "Answer:" not in q1.answer
    assert q2.answer.startswith("False! Always start with a Dummy Baseline")
    assert "Deep Learning is the last resort due to complexity and cost." in q2.answer
    assert q3.question == 'Q3: What is "Technical Debt" in ML?'
    assert '"Glue Code" (massive scripts to move data)' in q3.answer
    assert "stale predictions" in q3.answer

    assert scenario.question.startswith('Scenario: You join "CatDetector.ai".')
    assert "Bob (DS) trains models on his laptop 💻." in scenario.question
    assert scenario.question.endswith(
        "Task: Identify 3 Critical Risks and the MLOps Maturity Level."
    )
    assert scenario.reveal_label == "Diagnosis"
    assert scenario.answer.startswith("MLOps Level: Level 0 (Manual Process)")
    for risk in ("Bus Factor", "No Rollback", "Training-Serving Skew"):
        assert risk in scenario.answer
    assert "Python 3.9, numpy 1.21" in scenario.answer

    assert task.question == (
        "Task: Propose the minimum viable fix for Bob and Alice using Git and DVC."
    )
    assert "`dvc add data/`" in task.answer and "`dvc add model.h5`" in task.answer
    assert "Alice does `git pull` -> `dvc pull model.h5`." in task.answer
    assert "    - No more emailing large files!" in task.answer


def test_seed_line_numbers_point_into_the_source() -> None:
    deck = load_deck(SEED)
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for card in deck.cards:
        assert lines[card.line - 1].startswith("<details>")
        assert lines[card.end_line - 1].strip() == "</details>"
        assert card.line <= card.answer_line <= card.end_line
    q1, _, _, scenario, task = deck.cards
    assert (q1.line, q1.question_line, q1.end_line) == (11, 12, 17)
    assert lines[scenario.question_line - 1].startswith("**Scenario**")
    assert lines[task.question_line - 1].startswith("**Task**")


def test_mojibake_of_the_seed_is_repaired() -> None:
    raw = SEED.read_text(encoding="utf-8")
    assert "\uf8ffüß†" in raw  # the seed's emoji were saved through Mac Roman
    assert repair_mojibake("\uf8ffüß† Part 1") == "🧠 Part 1"
    assert repair_mojibake("café naïve Ünïcode") == "café naïve Ünïcode"
    deck = load_deck(SEED)
    text = "".join(c.question + c.answer + (c.part or "") for c in deck.cards)
    assert "\uf8ff" not in text and "‚ùå" not in text
    assert "❌" in deck.cards[3].question


def test_markup_is_valid_rich_and_keeps_emphasis() -> None:
    for deck in (load_deck(SEED), builtin_deck()):
        for card in deck.cards:
            Text.from_markup(card.question_markup)
            plain = Text.from_markup(card.answer_markup).plain
            assert "<" not in plain.replace("<-", "")
    q1 = load_deck(SEED).cards[0]
    assert "[bold]end-to-end lifecycle[/bold]" in q1.answer_markup


def test_inline_conversion() -> None:
    src = "<b>Bold</b> and **md** and *it* and `code [x]`<br>next &amp; [red]literal[/red]"
    assert to_plain(src) == "Bold and md and it and `code [x]`\nnext & [red]literal[/red]"
    markup = to_markup(src)
    rendered = Text.from_markup(markup)
    assert rendered.plain == "Bold and md and it and code [x]\nnext & [red]literal[/red]"
    assert to_markup("<b>unclosed") == "[bold]unclosed[/bold]"
    assert to_markup("stray</b> close") == "stray close"


def test_card_ids_are_stable_and_independent_of_other_cards() -> None:
    text = SEED.read_text(encoding="utf-8")
    one = parse_deck(text, source="x")
    two = parse_deck(text.replace("Glue Code", "Glue code!"), source="x")
    assert [c.id for c in one.cards] == [c.id for c in parse_deck(text, source="x").cards]
    assert [c.id for c in one.cards] == [c.id for c in two.cards]  # only an answer changed
    assert len({c.id for c in one.cards}) == len(one.cards)
    assert one.id == parse_deck(text, source="x").id != parse_deck(text, source="y").id


def test_builtin_deck_ships_as_package_data() -> None:
    resource = resources.files("catdetector") / "decks" / "module1.md"
    assert resource.is_file()
    assert "module1" in builtin_deck_names()
    deck = builtin_deck()
    assert deck.source == "builtin:module1"
    kinds = {c.kind for c in deck.cards}
    assert kinds == {CardKind.FLASHCARD, CardKind.SCENARIO, CardKind.TASK}
    with pytest.raises(DeckError, match="no built-in deck named 'nope'"):
        builtin_deck("nope")


# Every fact of the exercise, as phrases the built-in deck must contain
# (case-insensitive, whitespace-normalised).
MODULE1_FACTS = [
    "end to end", "Data -> Train -> Deploy -> Monitor", "operational management",
    "in production", "governance", "cataloging", "large enterprise",
    "False", "dummy baseline", "predict the mean", "heuristic", "linear model",
    "last resort", "complexity", "cost",
    "hidden cost of maintaining", "complex and entangled", "glue code",
    "massive scripts", "move data", "hidden feedback loops", "own stale predictions",
    "Bob", "laptop", ".h5", "email", "Alice", "backend", "folder on the server",
    "restarts the API", "versions the data",
    "Level 0", "manual process", "bus factor", "retrain", "no reproducible pipeline",
    "no rollback", "no git commit", "no registry", "training-serving skew",
    "Python 3.9", "numpy 1.21", "Python 3.8", "numpy 1.19", "silent bugs",
    "Git", "train.py", "GitHub", "Alice pulls the code", "dvc add data/", "S3",
    "dvc add model.h5", "model.dvc", "git pull", "dvc pull model.h5",
    "emails large files",
]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_builtin_deck_covers_every_fact_of_the_exercise() -> None:
    deck = builtin_deck()
    corpus = _norm(" ".join(c.question + " " + c.answer for c in deck.cards))
    missing = [fact for fact in MODULE1_FACTS if _norm(fact) not in corpus]
    assert not missing
    scenario = next(c for c in deck.cards if c.kind is CardKind.SCENARIO)
    for risk in ("bus factor", "no rollback", "training-serving skew", "level 0"):
        assert risk in _norm(scenario.answer)


def test_builtin_deck_is_not_a_copy_of_the_seed() -> None:
    seed_answers = {c.answer for c in load_deck(SEED).cards}
    assert not seed_answers & {c.answer for c in builtin_deck().cards}


# ---------------------------------------------------------------- malformed

GOOD_CARD = "<details>\n<summary>Q?</summary>\nA.\n</details>\n"


def _error(text: str, name: str = "deck.md") -> str:
    with pytest.raises(DeckError) as info:
        parse_deck(text, source=name)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{name}, line ")
    return message


def test_missing_answer_names_the_line() -> None:
    text = "# T\n\n## P\n" + GOOD_CARD + "\n<details>\n<summary><b>Q2?</b></summary>\n<br>\n" \
        "<b>Answer:</b>\n</details>\n"
    message = _error(text)
    assert message.startswith("deck.md, line 9: card 'Q2?' has no answer")


def test_unclosed_details_at_end_of_file() -> None:
    message = _error("# T\n" + GOOD_CARD + "\n<details>\n<summary>Q2</summary>\nA2\n")
    assert message.startswith("deck.md, line 7: <details> opened here is never closed")


def test_unclosed_details_before_next_details() -> None:
    text = "<details>\n<summary>Q1</summary>\nA1\n\n" + GOOD_CARD
    message = _error(text)
    assert message.startswith(
        "deck.md, line 1: <details> opened here is not closed before the next <details> on line 5"
    )


def test_unclosed_details_before_a_heading() -> None:
    text = "# T\n<details>\n<summary>Q1</summary>\nA1\n\n## Part 2\n" + GOOD_CARD
    message = _error(text)
    assert message.startswith(
        "deck.md, line 2: <details> opened here is not closed before the heading on line 6"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<details>\n<summary>Q1\nA1\n</details>\n",
         "line 2: <summary> opened here is not closed before </details> on line 4"),
        ("<details>\nA1\n</details>\n", "line 1: <details> must start with a <summary>"),
        ("<details>\n</details>\n", "line 1: <details> has no <summary>"),
        ("intro\n</details>\n", "line 2: </details> without an opening <details>"),
        ("<summary>Q</summary>\n", "line 1: <summary> outside a <details> block"),
        ("<details><summary> </summary>A</details>", "line 1: empty <summary>"),
        ("## Part\n<details><summary>Click to Reveal Answer</summary>A</details>",
         "line 2: the summary 'Click to Reveal Answer' only reveals"),
        ("# Just a title\n\nSome text.\n", "line 1: no cards found"),
    ],
)
def test_other_malformed_decks(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_tags_inside_code_fences_are_ignored() -> None:
    text = "# T\n```html\n<details>\n```\n" + GOOD_CARD
    deck = parse_deck(text, source="x")
    assert len(deck.cards) == 1 and deck.cards[0].line == 5


def test_what_counts_as_a_reveal_button() -> None:
    prose = "**Task**: Do it.\n\n"
    for summary in ("Click to Reveal Answer", "Reveal", "Show the answer", "click here"):
        deck = parse_deck(f"{prose}<details><summary>{summary}</summary>A</details>", source="x")
        assert deck.cards[0].kind is CardKind.TASK, summary
        assert deck.cards[0].question == "Task: Do it."
    for question in ("Show that DVC hashes data?", "See any risk here?"):
        deck = parse_deck(f"{prose}<details><summary>{question}</summary>A</details>", source="x")
        assert deck.cards[0].kind is CardKind.FLASHCARD
        assert deck.cards[0].question == question


def test_one_line_card_and_inline_tags() -> None:
    deck = parse_deck("<details><summary>Q?</summary>A <b>b</b></details>", source="x")
    (card,) = deck.cards
    assert (card.question, card.answer, card.line, card.end_line) == ("Q?", "A b", 1, 1)
    assert deck.title == "x"


def test_load_deck_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match="deck file not found"):
        load_deck(tmp_path / "missing.md")
    with pytest.raises(DeckError, match="is a directory"):
        load_deck(tmp_path)
    bad = tmp_path / "latin1.md"
    bad.write_bytes(b"# T\n\ncaf\xe9\n")
    with pytest.raises(DeckError, match=r"latin1.md, line 3: not valid UTF-8"):
        load_deck(bad)
    unclosed = tmp_path / "unclosed.md"
    unclosed.write_text("# T\n\n<details><summary>Q</summary>\nA\n")
    with pytest.raises(DeckError, match=r"unclosed.md, line 3: <details> opened here"):
        load_deck(unclosed)


def test_markdown_blocks_through_markdown_it() -> None:
    src = ("<br>\nIntro line one\nline two<br>\nafter a break\n\n"
           "1.  <b>first</b>\n2.  second\n    - nested `x`\n\n"
           "### A heading\n\n```sh\ndvc repro\n```\n\n\\*not emphasis\\*")
    assert to_plain(src) == (
        "Intro line one line two\nafter a break\n\n"
        "1. first\n2. second\n    - nested `x`\n\n"
        "A heading\n\n```sh\ndvc repro\n```\n\n*not emphasis*"
    )
    markup = to_markup(src)
    assert "1. [bold]first[/bold]" in markup and "[bold]A heading[/bold]" in markup
    Text.from_markup(markup)


def test_cards_carry_html_for_other_tools() -> None:
    task = load_deck(SEED).cards[4]
    assert task.answer_html.startswith("<ol>\n<li><b>Git</b>: Bob pushes code (<code>train.py")
    assert "<ul>" in task.answer_html and "<br>" not in task.answer_html
    assert to_html("a <b>b</b>\n\n- c") == "<p>a <b>b</b></p>\n<ul>\n<li>c</li>\n</ul>"
