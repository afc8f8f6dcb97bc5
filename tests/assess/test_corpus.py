"""Calibration corpus: assess lands every public repository of the manifest on the level
judged by reading it, and calls no course risk CRITICAL where the repository has the remedy.

The copies under ``tests/assess/corpus/`` are trimmed evidence files; each is rebuilt as a
git repository (with its registry tags) in a temporary folder. Nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catdetector.assess import Report
from tests.assess.corpus.agreement import (
    DOCS,
    CorpusRepo,
    agreement_table,
    assess_corpus,
    assessed_level,
    critical_course_risks,
    doc_region,
    load_manifest,
    with_region,
)

REPOS = load_manifest()

# name -> the detection assess still misses. Each one is a strict xfail: it fails the run
# as soon as assess gets the repository right, so the entry must then be removed.
KNOWN_GAPS: dict[str, str] = {}


def _param(repo: CorpusRepo) -> object:
    marks = []
    if repo.name in KNOWN_GAPS:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[repo.name]))
    return pytest.param(repo, id=repo.name, marks=marks)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Every corpus repository, assessed once."""
    return assess_corpus(tmp_path_factory.mktemp("corpus"), REPOS)


def test_manifest_is_well_formed() -> None:
    names = [r.name for r in REPOS]
    assert len(REPOS) >= 15, "the issue asks for at least 15 repositories"
    assert len(set(names)) == len(names)
    for repo in REPOS:
        assert repo.copy.is_dir(), f"{repo.name}: no copy at {repo.copy}"
        assert not (repo.copy / ".git").exists()
        assert len(repo.commit) == 40 and repo.why
        assert repo.level in (0, 1, 2, "n/a"), repo.level
        size = sum(p.stat().st_size for p in repo.copy.rglob("*") if p.is_file())
        assert size < 200_000, f"{repo.name}: copy is {size} bytes; trim it"


@pytest.mark.parametrize("repo", [_param(r) for r in REPOS])
def test_level_is_the_judged_one(repo: CorpusRepo, reports: dict[str, Report]) -> None:
    report = reports[repo.name]
    blocking = [f"{f.id} ({f.severity})" for f in report.findings]
    assert assessed_level(report) == repo.level, (
        f"{repo.repository}: judged {repo.level} ({repo.why}); assess says "
        f"{assessed_level(report)} with {blocking}"
    )


@pytest.mark.parametrize("repo", [_param(r) for r in REPOS])
def test_no_course_risk_is_critical_where_the_remedy_is_there(
    repo: CorpusRepo, reports: dict[str, Report]
) -> None:
    assert critical_course_risks(repo, reports[repo.name]) == []


def test_docs_agreement_table_is_in_sync(reports: dict[str, Report]) -> None:
    expected = agreement_table(REPOS, reports)
    assert doc_region(DOCS.read_text(encoding="utf-8")) == expected, (
        "docs/assess-checks.md's corpus table is out of date: run "
        "`python -m tests.assess.corpus.agreement`"
    )


def test_with_region_appends_markers_once_and_replaces_the_table(tmp_path: Path) -> None:
    text = with_region("# doc\n", "| a |\n")
    assert doc_region(text) == "| a |\n"
    again = with_region(text, "| b |\n")
    assert doc_region(again) == "| b |\n" and again.count("corpus:begin") == 1
    with pytest.raises(ValueError):
        doc_region("# no markers\n")
