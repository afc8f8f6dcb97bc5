"""Code smells: seeds, baselines, glue code, dead experimental code."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess.code import paths_by_verb
from catdetector.assess.codepatterns import READ_RE, TRAIN_RE, WRITE_RE
from catdetector.assess.model import Evidence
from catdetector.assess.text import Rx
from catdetector.assess.vocab import DL_MODULES, PREPROCESSING_FIT_RE

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


SEED_RE = Rx(
    r"random_state\s*=\s*\w|\bseed\s*\(|manual_seed\(|set_seed\(|set_random_seed\(|"
    r"PYTHONHASHSEED|default_rng\(\s*\w|random\.Random\(\s*\w|\bseeds?\s*=\s*\w",
    re.I,
    ("seed", "random_state", "default_rng", "random.random("),
    lower=True,
)
PARAM_SEED_RE = re.compile(r"^\s*(?:random_)?(?:seeds?|random_state)\s*:", re.M | re.I)


# in params: a model family named ``dummy`` or ``most_frequent`` (a ladder's first rung)
CONFIG_BASELINE_RE = re.compile(
    r"^\s*(?:-\s*|\w+:\s*)['\"]?(?:dummy|most_frequent|majority)\b", re.M
)
BASELINE_RE = Rx(
    r"Dummy(?:Classifier|Regressor)|sklearn\.dummy|LogisticRegression|LinearRegression|"
    r"\bRidge(?:Classifier)?\b|\bLasso\b|SGDClassifier|LinearSVC|\bbaseline\b|majority[_ ]class",
    re.I,
    (
        "dummy",
        "logisticregression",
        "linearregression",
        "ridge",
        "lasso",
        "sgdclassifier",
        "linearsvc",
        "baseline",
        "majority",
    ),
    lower=True,
)
DEAD_NAME_RE = re.compile(
    r"(?:^|/)(?:old|backup|bak|deprecated|unused|scratch|trash|archive|attic|graveyard)/|"
    r"(?:_old|_backup|_bak|_copy|_tmp|_unused|_deprecated| copy|\(\d+\))\.(?:py|ipynb)$|"
    r"(?:^|/)(?:untitled\d*|scratch\w*|Untitled[-\s]?\d*)\.(?:py|ipynb)$|\.(?:py|ipynb)\.(?:bak|orig|old)$",
    re.I,
)
DEAD_IF_RE = Rx(
    r"^\s*if\s+(?:False|0)\s*:",
    re.M,
    ("if False", "if 0"),
)
COMMENTED_CODE_RE = re.compile(
    r"^\s*#\s*(?:import\s|from\s\S+\simport|def\s|class\s|return\b|for\s|if\s|print\(|"
    r"\w+(?:\.\w+)*\s*=|\w+(?:\.\w+)*\()"
)


_DEF_RE = re.compile(r"^[ \t]*def[ \t]+(\w+)[ \t]*\(", re.M)
_CALL_RE = re.compile(r"\b(\w+)\s*\(")


def seed_functions(f: Facts) -> set[str]:
    """Names of the project's functions whose body sets a seed (``set_seeds()``, a step that
    trains with ``random_state=42``...)."""
    names: set[str] = set()
    for unit in f.source_units:
        if (
            unit.kind != "py"
            or "def " not in unit.text
            or not SEED_RE.search(unit.text, unit.lower)
        ):
            continue
        text = unit.text
        defs = list(_DEF_RE.finditer(text))
        for i, m in enumerate(defs):
            end = defs[i + 1].start() if i + 1 < len(defs) else len(text)
            if SEED_RE.regex.search(text, m.end(), end):
                names.add(m.group(1))
    return names


def no_seeds(f: Facts) -> list[Evidence]:
    """Training code that sets no seed (itself or through a project function it calls that
    sets one), and no seed parameter it could read."""
    return f.memo("no_seeds", lambda: _no_seeds(f))


def params_seed(f: Facts) -> bool:
    """Whether the project's params or config files declare a seed."""
    return any(
        PARAM_SEED_RE.search(info.text or "")
        for info in f.config_texts
        if info.name.lower().startswith(("params", "config", "settings"))
    )


def _no_seeds(f: Facts) -> list[Evidence]:
    project_seed = params_seed(f)
    seeding = seed_functions(f)
    ev: list[Evidence] = []
    for unit in f.training_units:
        if unit.matches(SEED_RE):
            continue
        if seeding and seeding & set(_CALL_RE.findall(unit.text)):
            continue
        if project_seed and re.search(r"\bparams\b|\bseed\b", unit.text, re.I):
            continue
        hits = unit.find(TRAIN_RE)
        model_fits = [h for h in hits if not PREPROCESSING_FIT_RE.search(h[1])]
        line = (model_fits or hits)[0][0] if hits else 1
        ev.append(unit.evidence(line, "trains without setting a random seed"))
    return ev




def glue_code(f: Facts) -> list[Evidence]:
    """File hand-offs between scripts that no pipeline declares; shell script chains."""
    units = [u for u in f.source_units if not u.is_serving]
    writes = paths_by_verb(units, WRITE_RE)
    reads = paths_by_verb(units, READ_RE)
    ev: list[Evidence] = []
    for path in sorted(set(writes) & set(reads)):
        writer, wline, _ = writes[path]
        reader, rline, _ = reads[path]
        if writer.path == reader.path or path in f.pipeline_paths or f.dvc_covered(path):
            continue
        ev.append(
            reader.evidence(
                rline, f"reads {path} written by {writer.path}:{wline}, outside any pipeline"
            )
        )
    if not f.pipelines:
        for info in f.index.texts():
            if info.suffix not in (".sh", ".bash", ".bat", ".ps1"):
                continue
            calls = re.findall(r"^\s*python3?\s+\S+\.py", info.text or "", re.M)
            if len(calls) >= 2:
                ev.append(Evidence(info.path, None, f"chains {len(calls)} Python scripts by hand"))
    return ev


def dead_experimental_code(f: Facts) -> list[Evidence]:
    """Leftover-looking files, ``if False:`` blocks, long commented-out code."""
    ev: list[Evidence] = []
    for info in f.index.files.values():
        if DEAD_NAME_RE.search(info.path) and info.suffix in (
            ".py",
            ".ipynb",
            ".bak",
            ".orig",
            ".old",
        ):
            ev.append(Evidence(info.path, None, "looks like a leftover experiment"))
    for unit in f.source_units:
        if unit.kind != "py":
            continue
        for number, _ in unit.iter_code(DEAD_IF_RE):
            ev.append(unit.evidence(number, "code that never runs (if False)"))
        if unit.text.count("#") < 8:
            continue
        run_start, run = 0, 0
        for number, line in enumerate([*unit.lines, ""], start=1):
            if COMMENTED_CODE_RE.match(line):
                run_start = run_start if run else number
                run += 1
                continue
            if line.strip().startswith("#") and run:
                continue
            if run >= 8:
                ev.append(unit.evidence(run_start, f"{run} lines of commented-out code"))
            run = 0
    return ev


def baseline(f: Facts) -> str | None:
    """The file that names a simpler baseline model (code, params or dvc.yaml), if any."""
    for unit in f.source_units:
        if BASELINE_RE.search(unit.text, unit.lower):
            return unit.path
    for info in f.config_texts:
        if not info.name.lower().startswith(("params", "dvc", "config")):
            continue
        if BASELINE_RE.search(info.text or "") or CONFIG_BASELINE_RE.search(info.text or ""):
            return info.path
    return None


def no_baseline(f: Facts) -> list[Evidence]:
    """Deep-learning imports with no baseline anywhere in code or params."""
    deep = [u for u in f.source_units if u.top_imports & DL_MODULES]
    if not deep or baseline(f) is not None:
        return []
    ev: list[Evidence] = []
    for unit in deep[:5]:
        modules = ", ".join(sorted(unit.top_imports & DL_MODULES))
        ev.append(unit.evidence(1, f"deep learning ({modules}) with no baseline to compare"))
    return ev
