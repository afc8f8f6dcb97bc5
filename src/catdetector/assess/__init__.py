"""``catdetector assess``: a read-only MLOps maturity diagnosis of a folder.

It reads files only (never runs code of the repository, never follows a link
out of it) and reports the level on Google's scale with findings, most
critical first. Public API: ``assess_repository(path) -> Report``.
"""

from __future__ import annotations

from catdetector.assess.api import assess_repository
from catdetector.assess.checks import CHECKS, Check
from catdetector.assess.levels import compute_level
from catdetector.assess.model import LEVEL_NAMES, Evidence, Finding, Report

__all__ = [
    "CHECKS",
    "LEVEL_NAMES",
    "Check",
    "Evidence",
    "Finding",
    "Report",
    "assess_repository",
    "compute_level",
]
