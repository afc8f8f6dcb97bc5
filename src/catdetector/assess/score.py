"""The ML Test Score view (Breck et al. 2017) over the tests a static scan can check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catdetector.assess.model import ScoreItem

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


def ml_test_score(f: Facts) -> list[ScoreItem]:
    """Each static-checkable test marked 0, 0.5 (present, run by hand) or 1 (in CI)."""
    return []
