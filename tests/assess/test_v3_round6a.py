"""assess v3, sixth round (issue 22, branch f4a): general rules for pipelines, CI, gates and
data, written from the defect classes the spent blind sets showed (blind2, blind3), each as a
small synthetic repository. Every test here fails on the engine before its rule (main at
a287533), except the counter-checks named ``..._still_...``, which guard the rule from going
too far."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.evalgates import gate_lines
from tests.assess.builders import WORKFLOW, check, facts_of

# ------------------------------------------- gates through an assigned boolean --------------
CHAMPION = (
    "from google.cloud import aiplatform as aip\n\n\n"
    "def update_best(challenger, champion, lower_is_better):\n"
    "    m_champ = champion.get_model_evaluation().metrics['rmse']\n"
    "    m_chall = challenger.get_model_evaluation().metrics['rmse']\n"
    "    challenger_wins = (m_chall < m_champ) if lower_is_better else (m_chall > m_champ)\n"
    "    if challenger_wins:\n"
    "        registry.add_version_aliases(['default'], challenger.version_id)\n"
)
STEP_PROMOTION = (
    "def promote(latest_metric: float, current_metric: float, model) -> None:\n"
    "    should_promote = True\n"
    "    if latest_metric >= current_metric:\n"
    "        print('latest is better')\n"
    "    else:\n"
    "        should_promote = False\n"
    "    if should_promote:\n"
    "        model.set_stage(stage='production', force=True)\n"
)


def test_a_comparison_held_in_a_boolean_that_moves_an_alias_is_a_gate() -> None:
    assert gate_lines(CHAMPION) == [8]


def test_a_flag_a_metric_comparison_clears_is_a_gate_on_a_step_handed_metrics() -> None:
    assert gate_lines(STEP_PROMOTION) == [7]


def test_a_boolean_that_does_not_hold_a_comparison_is_still_no_gate() -> None:
    text = STEP_PROMOTION.replace("    else:\n        should_promote = False\n", "")
    text = text.replace("if latest_metric >= current_metric:", "if latest_metric:")
    assert gate_lines(text) == []


def test_a_boolean_from_a_comparison_that_acts_on_nothing_is_still_no_gate() -> None:
    text = CHAMPION.replace(
        "registry.add_version_aliases(['default'], challenger.version_id)", "print('wins')"
    )
    assert gate_lines(text) == []


def test_an_early_stopping_flag_is_still_no_gate() -> None:
    text = (
        "def fit(model, epochs, val_metric):\n"
        "    best, stop = 1e9, False\n"
        "    for _ in range(epochs):\n"
        "        if val_metric < best:\n"
        "            best = val_metric\n"
        "        else:\n"
        "            stop = True\n"
        "        if stop:\n"
        "            break\n"
    )
    assert gate_lines(text) == []


def test_the_boolean_gate_clears_no_evaluation_gate(tmp_path: Path) -> None:
    files = {
        "src/train.py": "from sklearn.linear_model import LogisticRegression\n"
        "m = LogisticRegression().fit(X, y)\n",
        "src/update_best.py": CHAMPION,
        ".github/workflows/ci.yml": WORKFLOW.format("pytest"),
    }
    assert check("no-evaluation-gate", tmp_path, files) == []
