"""assess v3 (issue 22): rules from the spent blind halves of blind8 and blind9, read after
their final score. Each rule test failed before its fix; the near misses pass both ways."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.evalgates import differential_tests
from tests.assess.builders import Files, facts_of
from tests.assess.test_v3_blind9_p12 import TRAIN_METRICS_PY

# ------------------------- a score's own range is no threshold ------------------------------
MODEL_TEST = (
    "import json\nfrom pathlib import Path\n\n\n"
    "def test_the_scores_of_the_predictions():\n"
    "    payload = json.loads(Path('models/metrics.json').read_text())\n"
    "    assert {check}\n"
)
CI = (
    "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - run: python train.py\n      - run: pytest tests\n"
)


def _checks_the_model(tmp_path: Path, check: str) -> bool:
    files: Files = {
        "train.py": TRAIN_METRICS_PY,
        "tests/test_model.py": MODEL_TEST.format(check=check),
        ".github/workflows/ci.yml": CI,
    }
    return bool(differential_tests(facts_of(tmp_path, files)))


def test_a_test_that_a_score_lies_between_0_and_1_checks_no_model(tmp_path: Path) -> None:
    """Was a differential test, so a gate (blind9 asadhanif3188: both judges 1, engine 2):
    a metrics file read back (p12's rule) made ``0.0 <= accuracy <= 1.0`` a check of the
    model, but every model passes it: it checks the number's form, not the model."""
    assert not _checks_the_model(tmp_path, "0.0 <= payload['accuracy'] <= 1.0")
    assert not _checks_the_model(tmp_path / "b", "1 >= payload['accuracy'] >= 0")


def test_a_bound_inside_the_range_still_checks_the_model(tmp_path: Path) -> None:
    assert _checks_the_model(tmp_path, "payload['accuracy'] >= 0.8")
    assert _checks_the_model(tmp_path / "b", "0.5 <= payload['accuracy'] <= 1.0")
