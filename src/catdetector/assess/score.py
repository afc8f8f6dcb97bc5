"""The ML Test Score view (Breck et al. 2017) over the tests a static scan can check.

Each test is marked as the paper scores it: 0 when absent, 0.5 when present but
run by hand, 1 when automated (run by CI, or automatic by nature), with the file
that shows it. Tests that need a running system (latency, staleness...) are left
out: a static scan cannot see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from catdetector.assess import ci, registry, skew, smells
from catdetector.assess.copies import in_copy
from catdetector.assess.model import Evidence, ScoreItem
from catdetector.assess.runnerstores import lasting
from catdetector.assess.text import Rx
from catdetector.assess.waysback import ways_back

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

Mark = tuple[float, str]
SCHEDULE_RE = re.compile(
    r"^\s*(?:-\s*)?cron:|schedule_interval\s*=|\bschedule\s*=\s*['\"(]|ScheduleDefinition\(|"
    r"\bCronSchedule\(|\bcron\s*=|^\s*schedule:\s*$",
    re.M,
)
GOLDEN_RE = Rx(
    r"golden|canary|behavio(?:u)?ral|invariance|directional|test_model|smoke",
    re.I,
    ("golden", "canary", "behavio", "invariance", "directional", "test_model", "smoke"),
    lower=True,
)
BOTS = (".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".renovaterc")


def _in_copy(f: Facts, path: str) -> bool:
    """Whether ``path`` lies in a project copied into the repository (``copies``)."""
    return in_copy(f.index, path)


def _own(f: Facts, evidence: list[Evidence]) -> list[Evidence]:
    """The evidence that is the repository's own, not a copied project's."""
    return [e for e in evidence if not _in_copy(f, e.file or "")]


def _git_code(f: Facts) -> Mark:
    units = f.training_units or f.source_units
    if not units:
        # training is a tool's command (e.g. `catdetector stage train`): its pipeline is the code
        files = [e.file for e in f.pipelines if e.file]
        known = f.index.git.tracked or {}
        path = next((p for p in files if p in known), None)
        return (1, path) if path else (0, "")
    tracked = f.index.git.tracked
    if tracked is not None:
        path = next((u.path for u in units if u.path in tracked), None)
        return (1, path) if path else (0, "training code not committed")
    return 0.5, f"{units[0].path} (not a git repository)"


def _baseline(f: Facts) -> Mark:
    found = smells.baseline(f)
    if found is None:
        return 0, ""
    return (1, found) if f.ci_runs_training is not None else (0.5, found)


def _reproducible(f: Facts) -> Mark:
    seeded = bool(f.training_units) and not smells.no_seeds(f)
    if not f.training_units and f.pipeline_trains:
        seeded = smells.params_seed(f)  # training is a tool's command: its params carry it
    locked = bool(f.lock_files) and not f.unpinned_evidence
    if not (seeded and locked):
        missing = [what for what, ok in (("seeds", seeded), ("lock", locked)) if not ok]
        return 0, f"missing: {', '.join(missing)}"
    lock = f.lock_files[0]
    return (1, lock) if f.ci_runs_training is not None else (0.5, lock)


def _unit_tests(f: Facts) -> Mark:
    if not f.test_units:
        return 0, ""
    if f.ci_tests is not None:
        return 1, f.ci_tests.where()
    return 0.5, f.test_units[0].path


def _pipeline_tested(f: Facts) -> Mark:
    if f.ci_runs_training is not None:
        return 1, f.ci_runs_training.where()
    pipelines = _own(f, f.pipelines)
    if f.pipeline_trains and pipelines:
        return 0.5, pipelines[0].file or ""
    return 0, ""


def _gate(f: Facts) -> Mark:
    gates = _own(f, ci.gates(f))
    if not gates or not _own(f, ci.evaluation_steps(f)):
        return 0, ""
    ci_files = {c.file for c in f.ci_commands}
    in_ci = [g for g in gates if g.file in ci_files or g.detail.startswith("CI")]
    if in_ci and f.ci_runs_training is not None:
        return 1, in_ci[0].location()
    return 0.5, gates[0].location()


def _golden(f: Facts) -> Mark:
    tests = [u for u in f.test_units if GOLDEN_RE.search(u.path + "\n" + u.text, None)]
    if f.ci_model_tests is not None:
        return 1, f.ci_model_tests.where()
    if tests:
        return 0.5, tests[0].path
    return 0, ""


def _rollback(f: Facts) -> Mark:
    ways, registered = _own(f, ways_back(f)), _own(f, lasting(f, f.registry))  # runnerstores
    if not registered and not ways and not registry.model_versioned(f):
        return 0, ""
    shown = (registered or ways)[:1]
    where = shown[0].location() if shown else _what_versions_models(f)
    if f.ci_find(registry.REGISTRY_CMD_RE) is not None or f.ci_find(re.compile(r"\bgto\b")):
        return 1, where
    return 0.5, where


def _what_versions_models(f: Facts) -> str:
    """What versions the model when no registry does: DVC, git-lfs, or git itself."""
    if any(stage.kept for stage in f.training_stages) or f.dvc_tracked:
        return "DVC-versioned model output"
    if f.lfs_patterns:
        return "model files in git-lfs"
    return "model files committed to git"


def _bot(f: Facts) -> Mark:
    for path in BOTS:
        if path in f.index.files:
            return 1, path
    return 0, ""


def _shared_preprocessing(f: Facts) -> Mark:
    training = skew.training_side(f)
    inference = skew.inference_side(f, training)
    if not inference:
        served = f.stack_hits.get("serving", [])
        if any(e.detail.startswith("catdetector serve") for e in served):
            return 1, f"{served[0].location()}: catdetector serves with training's preprocessing"
        if served:
            return 0.5, f"{served[0].location()}: {served[0].detail} (sharing not checked)"
        return 0, "no serving or prediction code recognised"
    if skew.preprocessing_skew(f):
        return 0, "preprocessing written twice"
    shared = {u.path for u in training if not u.is_training}
    for unit in inference:
        for name in unit.imports:
            stem = name.replace(".", "/")
            hit = next((p for p in shared if p.endswith(stem + ".py")), None)
            if hit:
                return 1, f"{unit.path} imports {hit}"
    return 0.5, inference[0].path


def _scheduled(f: Facts) -> Mark:
    for path in f.ci_paths:
        if SCHEDULE_RE.search(f.index.text(path) or "") and f.ci_runs_training is not None:
            return 1, path
    pipelines = {ev.file for ev in f.pipelines}
    for unit in f.source_units:
        if (unit.is_training or unit.path in pipelines) and SCHEDULE_RE.search(unit.text):
            return 1, unit.path
    return 0, ""


def _prediction_log(f: Facts) -> Mark:
    if not f.monitoring:
        hits = f.stack_hits.get("monitoring", [])
        return (0.5, hits[0].location()) if hits else (0, "")
    serving = {u.path for u in f.serving_units}
    wired = [ev for ev in f.monitoring if ev.file in serving or "runs `" in ev.detail]
    return (1, wired[0].location()) if wired else (0.5, f.monitoring[0].location())


TESTS: list[tuple[str, str, str, Callable[[Facts], Mark]]] = [
    ("Model", "1", "model code and config are in version control", _git_code),
    ("Model", "5", "a simpler baseline model is trained for comparison", _baseline),
    ("Infra", "1", "training is reproducible (seeds and a lock file)", _reproducible),
    ("Infra", "2", "model code is unit tested", _unit_tests),
    ("Infra", "3", "the ML pipeline is integration tested (CI runs it)", _pipeline_tested),
    ("Infra", "4", "model quality is validated before serving (a gate)", _gate),
    ("Infra", "5", "golden or canary checks of the trained model", _golden),
    ("Infra", "7", "serving models can be rolled back (a registry)", _rollback),
    ("Infra", "6", "dependency updates are proposed automatically (a bot)", _bot),
    ("Monitor", "3", "training and serving share one preprocessing", _shared_preprocessing),
    ("Monitor", "6", "retraining is scheduled", _scheduled),
    ("Monitor", "4", "predictions are logged and exported", _prediction_log),
]


def ml_test_score(f: Facts) -> list[ScoreItem]:
    """Each static-checkable test marked 0, 0.5 (present, run by hand) or 1 (automated)."""
    if not f.applicable:
        return []
    items: list[ScoreItem] = []
    for section, number, test, mark in TESTS:
        score, evidence = mark(f)
        items.append(ScoreItem(f"{section} {number}", section, test, score, evidence))
    return items
