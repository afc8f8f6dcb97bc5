"""assess stays a read-only side branch: no ML imports, nothing run, docs table in sync."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

from pytest import MonkeyPatch

import catdetector.assess as assess_pkg
from catdetector.assess import CHECKS, Report, assess_repository
from catdetector.assess.model import Evidence, Finding
from catdetector.assess.render import CORPUS_END, CORPUS_START, checks_table, update_checks_doc

PACKAGE = Path(assess_pkg.__file__).parent
DOCS = Path(__file__).resolve().parents[2] / "docs" / "assess-checks.md"
FORBIDDEN_IMPORTS = {
    "sklearn", "numpy", "dvc", "gto", "skops", "PIL", "skimage", "scipy", "torch",
    "tensorflow", "subprocess", "multiprocessing", "pickle", "importlib", "runpy",
}  # fmt: skip
FORBIDDEN_CALLS = {"exec", "eval", "system", "popen", "spawn", "execv", "execvp", "fork"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def test_assess_imports_nothing_ml_and_nothing_that_runs_code() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"
                if name.startswith("catdetector."):
                    assert name.startswith(("catdetector.assess", "catdetector.core.errors")), name
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert called not in FORBIDDEN_CALLS, f"{path.name} calls {called}"


def test_importing_assess_loads_no_ml_library() -> None:
    code = (
        "import sys, catdetector.assess, catdetector.cli.assess as _c; "
        "heavy = {'sklearn','numpy','dvc','gto','skops','PIL','skimage','scipy'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_library_never_prints() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                raise AssertionError(f"{path.name}:{node.lineno} prints")


REGENERATE = (
    "python -c 'from pathlib import Path; from catdetector.assess.render import "
    'update_checks_doc as u; p = Path("docs/assess-checks.md"); p.write_text(u(p.read_text()))\''
)


def test_docs_table_lists_every_check_as_the_code_does() -> None:
    text = DOCS.read_text()
    assert update_checks_doc(text) == text, f"docs/assess-checks.md is out of date: {REGENERATE}"
    assert checks_table() in text
    for check in CHECKS:
        assert f"`{check.id}`" in text


def test_regenerating_the_doc_keeps_the_corpus_region_verbatim() -> None:
    text = DOCS.read_text()
    start, end = text.index(CORPUS_START), text.index(CORPUS_END)
    region = "\n| repo | judged | assess |\n|---|---|---|\n| x | Level 1 | Level 1 |\n"
    edited = text[: start + len(CORPUS_START)] + region + text[end:]
    stale = edited.replace(checks_table(), "| stale table |\n")
    again = update_checks_doc(stale)
    assert again == edited
    assert again[again.index(CORPUS_START) : again.index(CORPUS_END)].endswith(region)
    bare = stale[: stale.index(CORPUS_START)] + stale[stale.index(CORPUS_END) + len(CORPUS_END) :]
    assert update_checks_doc(bare).rstrip().endswith(f"{CORPUS_START}\n{CORPUS_END}")


def test_public_api_shape(tmp_path: Path) -> None:
    sig = inspect.signature(assess_repository)
    assert list(sig.parameters) == ["path"]
    report = assess_repository(tmp_path)
    assert isinstance(report, Report) and report.level is None  # nothing to assess
    assert not report.applicable and "not applicable" in report.level_name
    assert all(isinstance(f, Finding) for f in report.findings)
    assert all(isinstance(e, Evidence) for f in report.findings for e in f.evidence)
    data = report.to_dict()
    assert {"level", "findings", "path", "files_scanned", "notes", "ml_test_score"} <= set(data)
    assert data["level"] is None and data["applicable"] is False and report.files_scanned == 0
    assert any("no ML code" in n for n in report.notes)


def test_a_check_that_breaks_becomes_a_note(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    from catdetector.assess import api
    from catdetector.assess.checks import Check

    def broken(_facts: object) -> list[Evidence]:
        raise RuntimeError("boom")

    extra = Check("broken", "r", "low", 2, "f", "s", broken)
    monkeypatch.setattr(api, "CHECKS", [*CHECKS, extra])
    (tmp_path / "train.py").write_text("from sklearn.svm import SVC\nSVC().fit(X, y)\n")
    report = assess_repository(tmp_path)
    assert "check broken could not run: RuntimeError: boom" in report.notes
    assert report.ids  # the other checks still ran


def _assess_imports(path: Path) -> set[str]:
    """The assess modules ``path`` imports, type-only imports included (facts excepted:
    check functions name ``Facts`` in their signatures only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "catdetector.assess":
                found.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
            elif node.module.startswith("catdetector.assess."):
                found.add(node.module.rsplit(".", 1)[1])
    found.discard("facts")
    return found


def test_assess_modules_import_no_cycle() -> None:
    """Issue 20: scan and gitread imported each other; no two modules may, by any path."""
    graph = {p.stem: _assess_imports(p) for p in _modules() if p.stem != "__init__"}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph.get(start, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, ()))
        return seen

    cycles = sorted(name for name in graph if name in reach(name))
    assert cycles == []
