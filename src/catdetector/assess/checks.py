"""The checks, as data: one small function per risk, registered with its metadata.

Each check takes the shared ``Facts`` and returns evidence; no evidence means
the check passed. ``CHECKS`` is the table (``docs/assess-checks.md`` lists the
same table with sources). A finding blocks ``blocks_level``: the repository
cannot be at that level or above while the finding stands.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from catdetector.assess import gitmeta
from catdetector.assess.facts import (
    BASELINE_RE,
    CI_TEST_RE,
    CI_TRAIN_RE,
    COMMENTED_CODE_RE,
    DATA_SUFFIXES,
    DEAD_IF_RE,
    DEAD_NAME_RE,
    DL_MODULES,
    EVAL_RE,
    GATE_CODE_RE,
    GATE_WORD_RE,
    LAPTOP_RE,
    MODEL_SUFFIXES,
    PARAM_SEED_RE,
    PREP_DEF_RE,
    PREP_STMT_RE,
    READ_RE,
    REQUEST_READ_RE,
    SEED_RE,
    SERVE_RE,
    SQL_FROM_RE,
    SQL_INSERT_RE,
    TRAIN_RE,
    VALIDATION_MODULES,
    VALIDATION_RE,
    WRITE_RE,
    CodeUnit,
    EnvSpec,
    Facts,
    Requirement,
    Rx,
    data_group,
    glob_root,
    line_numbers,
    normpath,
    snippet,
)
from catdetector.assess.model import Evidence, Severity

CheckFn = Callable[[Facts], list[Evidence]]

LARGE_FILE_BYTES = 10 * 1024 * 1024
LARGE_ARTIFACT_BYTES = 1024 * 1024

COURSE_RISKS = ("bus-factor", "no-rollback", "training-serving-skew")


@dataclass(frozen=True)
class Check:
    """One row of the table: what is checked, how bad it is, what it blocks, how to fix it."""

    id: str
    risk: str
    severity: Severity
    blocks_level: int
    fix: str
    source: str
    func: CheckFn


CHECKS: list[Check] = []


def check(
    id: str, *, risk: str, severity: Severity, blocks_level: int, fix: str, source: str
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function in ``CHECKS``."""

    def register(func: CheckFn) -> CheckFn:
        CHECKS.append(Check(id, risk, severity, blocks_level, fix, source, func))
        return func

    return register


def get_check(check_id: str) -> Check:
    """The check with this id (KeyError if none)."""
    for item in CHECKS:
        if item.id == check_id:
            return item
    raise KeyError(check_id)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _suffix(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def _first(unit: CodeUnit, regex: re.Pattern[str]) -> tuple[int, str] | None:
    found = unit.find(regex)
    return found[0] if found else None


# --------------------------------------------------------------------------- level 1 -----


@check(
    "bus-factor",
    risk="Bus factor: no reproducible pipeline; training only in notebooks or on one laptop",
    severity="critical",
    blocks_level=1,
    fix="Declare training as pipeline stages (dvc.yaml: prepare -> train -> evaluate, with deps, "
    "params and outs) so anyone can re-run it with `dvc repro`; read data from paths inside "
    "the repository.",
    source="Course module 1 (risk 1); Google MLOps level 1 (automated pipeline); "
    "ML Test Score Infra 1 (training is reproducible)",
)
def bus_factor(f: Facts) -> list[Evidence]:
    """No pipeline that trains, or training that depends on one machine's paths."""
    ev: list[Evidence] = []
    if not f.pipeline_trains:
        if f.pipelines:
            ev.append(Evidence(f.pipelines[0].file, None, "the pipeline has no training stage"))
        for unit in f.training_units:
            hit = _first(unit, TRAIN_RE)
            where = "a notebook" if unit.kind == "ipynb" else "a script"
            line = hit[0] if hit else 1
            what = f": {snippet(hit[1])}" if hit else ""
            ev.append(unit.evidence(line, f"training in {where}, outside any pipeline{what}"))
        if not ev:
            ev.append(
                Evidence(None, None, "no pipeline definition (dvc.yaml stages, MLproject, ...)")
            )
    for unit in f.training_units:
        for number, line in unit.find(LAPTOP_RE, raw=True)[:3]:
            ev.append(unit.evidence(number, f"reads a path on one machine: {snippet(line)}"))
    return ev


def _model_path_candidates(unit: CodeUnit, literal: str) -> list[str | None]:
    base = posixpath.dirname(unit.path)
    return [normpath(literal), normpath(literal, base) if base else None]


@check(
    "no-rollback",
    risk="No rollback: the model is not versioned or registered, and is served from a fixed path",
    severity="critical",
    blocks_level=1,
    fix="Version the model: make it a pipeline output (dvc.yaml outs + dvc.lock) or `dvc add` "
    "it, and register versions (GTO: `catdetector register`, tag name@vX.Y.Z) so that serving "
    "can go back to the previous one.",
    source="Course module 1 (risk 2); ML Test Score Infra 7 (serving models can be rolled "
    "back); Google MLOps (model registry, continuous delivery of models)",
)
def no_rollback(f: Facts) -> list[Evidence]:
    """Model files or model paths that nothing versions."""
    ev: list[Evidence] = []
    registered = bool(f.registry)
    for info in f.model_files:
        if not f.versioned(info.path):
            ev.append(
                Evidence(
                    info.path,
                    None,
                    f"model file ({_human(info.size)}) is not versioned: no .dvc file, not a "
                    "pipeline output, not in git",
                )
            )
    reported = {e.file for e in ev}
    for unit, verb_re, what in (
        *((u, READ_RE, "serves the model from a fixed path") for u in f.serving_units),
        *((u, WRITE_RE, "saves the model to a fixed path") for u in f.training_units),
    ):
        for number, line in unit.find(verb_re, raw=True):
            for literal in unit.path_literals(line):
                if posixpath.splitext(literal)[1].lower() not in MODEL_SUFFIXES:
                    continue
                candidates = _model_path_candidates(unit, literal)
                if any(c is not None and f.versioned(c) for c in candidates) or registered:
                    continue
                if any(c in reported for c in candidates if c):
                    detail = f"{what} that nothing versions: {snippet(line)}"
                elif all(c is None for c in candidates):
                    detail = f"{what} outside the repository: {snippet(line)}"
                else:
                    detail = f"{what} with no version to go back to: {snippet(line)}"
                ev.append(unit.evidence(number, detail))
                break
    return ev


def _active_specs(f: Facts) -> list[EnvSpec]:
    return [s for s in f.env_specs if f.effective(s) or s.uses_lock or s.includes]


def _unpinned(f: Facts, spec: EnvSpec) -> list[Requirement]:
    if f.spec_locked(spec):
        return []
    reqs = spec.reqs if spec.reqs else f.effective(spec)
    return [r for r in reqs.values() if not r.pinned]


def _merged(f: Facts, specs: list[EnvSpec]) -> dict[str, tuple[Requirement, str]]:
    merged: dict[str, tuple[Requirement, str]] = {}
    for spec in specs:
        by_path = {s.path: s for s in f.env_specs}
        for include in spec.includes:
            if include in by_path:
                for name, req in f.effective(by_path[include]).items():
                    merged.setdefault(name, (req, include))
        for name, req in spec.reqs.items():
            merged[name] = (req, spec.path)
    return merged


def _env_skew(f: Facts) -> list[Evidence]:
    ev: list[Evidence] = []
    specs = _active_specs(f)
    if not specs:
        return [
            Evidence(
                None,
                None,
                "no environment file (requirements, pyproject + lock, environment.yml): "
                "training and serving machines each have their own packages",
            )
        ]
    shared = [s for s in specs if s.side == "shared"]
    train = [s for s in specs if s.side == "train"] or shared
    serve = [s for s in specs if s.side == "serve"] or shared
    if f.training_units and not train:
        ev.append(Evidence(None, None, "training has no environment file; serving has its own"))
    if f.serving_units and not serve:
        ev.append(Evidence(None, None, "serving has no environment file; training has its own"))
    if train and serve and {s.path for s in train} != {s.path for s in serve}:
        t_reqs, s_reqs = _merged(f, train), _merged(f, serve)
        for name in sorted(set(t_reqs) & set(s_reqs)):
            (treq, tpath), (sreq, spath) = t_reqs[name], s_reqs[name]
            if treq.spec.replace(" ", "") != sreq.spec.replace(" ", ""):
                ev.append(
                    Evidence(
                        spath,
                        sreq.line,
                        f"{name} differs: '{treq.spec or 'any'}' in {tpath} for training, "
                        f"'{sreq.spec or 'any'}' for serving",
                    )
                )
        t_py = next((s.python for s in train if s.python), None)
        s_py = next((s.python for s in serve if s.python), None)
        if t_py and s_py and t_py[0] != s_py[0]:
            where = next(s.path for s in serve if s.python)
            ev.append(
                Evidence(where, s_py[1], f"Python {s_py[0]} for serving, {t_py[0]} for training")
            )
    seen: set[str] = set()
    for spec in [*train, *serve]:
        if spec.path in seen:
            continue
        seen.add(spec.path)
        loose = _unpinned(f, spec)
        for req in loose[:3]:
            ev.append(
                Evidence(
                    spec.path,
                    req.line,
                    f"{req.name} {req.spec or '(any version)'} is not pinned: training and "
                    "serving can resolve different versions",
                )
            )
        if len(loose) > 3:
            ev.append(Evidence(spec.path, None, f"{len(loose) - 3} more unpinned requirements"))
    return ev


def _preprocessing_skew(f: Facts) -> list[Evidence]:
    ev: list[Evidence] = []
    train_defs: dict[str, tuple[CodeUnit, int]] = {}
    train_stmts: dict[str, tuple[CodeUnit, int]] = {}
    serving = [u for u in f.serving_units if not u.is_training]
    training = [u for u in f.training_units if not u.is_serving]
    for unit in training:
        for number, m in unit.iter_code(PREP_DEF_RE):
            train_defs.setdefault(m.group(1).lower(), (unit, number))
        for number, line in unit.find(PREP_STMT_RE):
            train_stmts.setdefault(" ".join(line.split()), (unit, number))
    for unit in serving:
        for number, m in unit.iter_code(PREP_DEF_RE):
            other = train_defs.get(m.group(1).lower())
            if other:
                ev.append(
                    unit.evidence(
                        number,
                        f"preprocessing `{m.group(1)}` re-implemented in serving code "
                        f"(also defined in {other[0].path})",
                    )
                )
        if ev:
            continue
        for number, line in unit.find(PREP_STMT_RE):
            key = " ".join(line.split())
            if key in train_stmts and not key.startswith(("import", "from")):
                other_unit = train_stmts[key][0]
                ev.append(
                    unit.evidence(
                        number,
                        f"preprocessing copied from {other_unit.path}: {snippet(line)}",
                    )
                )
                break
    return ev


@check(
    "training-serving-skew",
    risk="Training-serving skew: unpinned or differing environments, preprocessing "
    "re-implemented in serving",
    severity="critical",
    blocks_level=1,
    fix="Use one pinned environment (a lock file) for training and serving, and one "
    "preprocessing function that both import.",
    source="Course module 1 (risk 3); ML Test Score Monitor 3 (training and serving features "
    "compute the same values); Google MLOps level 1 (experimental-operational symmetry)",
)
def training_serving_skew(f: Facts) -> list[Evidence]:
    """Environments that differ or float, or preprocessing written twice."""
    if not (f.training_units or f.serving_units or f.model_files or f.stages):
        return []
    return _env_skew(f) + _preprocessing_skew(f)


@check(
    "no-data-versioning",
    risk="No data versioning: the data a model was trained on cannot be recovered",
    severity="high",
    blocks_level=1,
    fix="Track the data with DVC (`dvc add data/raw`, commit data/raw.dvc, `dvc push` to a "
    "remote) or make it a pipeline output.",
    source="Course module 1 (no versioning of data; fix: dvc add); mllint "
    "version-control/data/dvc and dvc-has-files",
)
def no_data_versioning(f: Facts) -> list[Evidence]:
    """Data files, stage inputs or training reads that no DVC/lfs/git versioning covers."""
    if not f.is_ml:
        return []
    groups: dict[str, list[int]] = {}
    for info, group in f.data_files:
        if not f.versioned(info.path):
            groups.setdefault(group, []).append(info.size)
    ev = [
        Evidence(
            group,
            None,
            f"{len(sizes)} data file(s), {_human(sum(sizes))}, not versioned (no .dvc file, not a "
            "pipeline output)",
        )
        for group, sizes in sorted(groups.items())
    ]
    produced = {o for s in f.stages for o in s.outs}
    for stage in f.stages:
        for dep in stage.deps:
            suffix = posixpath.splitext(dep)[1].lower()
            if suffix in (".py", ".ipynb", ".yaml", ".yml", ".toml", ".json", ".txt", ".cfg"):
                continue
            if dep in produced or f.dvc_covered(dep) or f.index.exists(dep) or f.git_tracked(dep):
                continue
            ev.append(
                Evidence(stage.file, None, f"stage {stage.name} reads {dep}, which nothing tracks")
            )
    if not f.data_files and not f.dvc_tracked and not f.lfs_patterns and f.training_units:
        for unit in f.training_units:
            for number, line in unit.find(READ_RE):
                literals = unit.path_literals(line)
                if any(data_group(lit, _suffix(lit)) or "data" in lit for lit in literals):
                    detail = f"reads data nothing versions: {snippet(line)}"
                    ev.append(unit.evidence(number, detail))
                    break
        if not ev:
            ev.append(Evidence(None, None, "no data versioning: no .dvc files, no DVC outputs"))
    return ev


@check(
    "large-binaries-in-git",
    risk="Large binaries in git: models or data committed to the repository",
    severity="high",
    blocks_level=1,
    fix="`git rm --cached` the file, then `dvc add` it (or track it with git-lfs); keep only the "
    "small .dvc pointer in git.",
    source="mllint version-control/code/git-no-big-files; course module 1 (no more emailing "
    "large files)",
)
def large_binaries_in_git(f: Facts) -> list[Evidence]:
    """Files the git index tracks that are large (artifacts from 1 MiB, anything from 10 MiB)."""
    tracked = f.index.git.tracked
    if not tracked:
        return []
    ev: list[Evidence] = []
    for path, size in sorted(tracked.items()):
        suffix = posixpath.splitext(path)[1].lower()
        artifact = suffix in MODEL_SUFFIXES or suffix in DATA_SUFFIXES
        if size < LARGE_FILE_BYTES and not (artifact and size >= LARGE_ARTIFACT_BYTES):
            continue
        if any(gitmeta.matches_pattern(path, p) for p in f.lfs_patterns):
            continue
        ev.append(Evidence(path, None, f"{_human(size)} committed to git"))
    return ev


@check(
    "no-lock-file",
    risk="No lock file: installs are not reproducible",
    severity="high",
    blocks_level=1,
    fix="Pin the whole environment (`uv lock`, `poetry lock`, `pip-compile` or `pip freeze > "
    "requirements.lock`) and install training and serving from that lock.",
    source="mllint dependency-management/use; ML Test Score Infra 1 (training is reproducible)",
)
def no_lock_file(f: Facts) -> list[Evidence]:
    """Python code or environment files, but no lock and no fully pinned requirements."""
    if not f.code_units and not f.env_specs:
        return []
    if f.lock_files:
        return []
    ev: list[Evidence] = []
    for spec in _active_specs(f):
        loose = [r for r in f.effective(spec).values() if not r.pinned]
        if loose:
            names = ", ".join(r.name for r in loose[:5])
            ev.append(Evidence(spec.path, loose[0].line, f"unpinned: {names}"))
    if not ev:
        ev.append(Evidence(None, None, "no lock file (uv.lock, poetry.lock, pinned requirements)"))
    return ev


SECRET_TOKEN_RE = Rx(
    r"(?P<aws>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)|"
    r"(?P<pem>-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)|"
    r"(?P<github>\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,})|"
    r"(?P<slack>\bxox[abprs]-[A-Za-z0-9-]{10,})|"
    r"(?P<google>\bAIza[0-9A-Za-z_\-]{35}\b)|"
    r"(?P<sk>\bsk-(?:proj-|ant-|live_)?[A-Za-z0-9_\-]{20,})|"
    r"(?P<hf>\bhf_[A-Za-z0-9]{30,}\b)",
    0,
    (
        "AKIA",
        "ASIA",
        "-----BEGIN",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "xox",
        "AIza",
        "sk-",
        "hf_",
    ),
)
SECRET_CRED_RE = Rx(
    r"(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key(?:[_-]?id)?|private[_-]?key|"
    r"account[_-]?key|connection[_-]?string)['\"]?[ \t]*[:=][ \t]*"
    r"(?P<q>['\"]?)(?P<val>[^\s'\"#,;]{8,})(?P=q)",
    re.I,
    ("secret", "token", "passw", "key", "connection"),
    lower=True,
)
SECRET_KINDS = {
    "aws": "AWS access key id",
    "pem": "private key",
    "github": "GitHub token",
    "slack": "Slack token",
    "google": "Google API key",
    "sk": "API secret key",
    "hf": "Hugging Face token",
    "cred": "credential",
}
_PLACEHOLDER_RE = re.compile(
    r"(?i)example|changeme|change_me|your[_-]|xxxx|placeholder|dummy|fake|redacted|\*\*\*|"
    r"<|>|\$|\{|\}|\(|\[|%|^none$|^null$|^true$|^false$|environ|getenv|secrets\.|settings\."
)
_FAKE_NAME_RE = re.compile(r"(?i)fake|dummy|example|sample|mock|placeholder")
_CODE_SUFFIXES = frozenset({".py", ".ipynb", ".js", ".ts", ".java", ".go", ".rs", ".scala", ".r"})
_DOC_SUFFIXES = frozenset({".md", ".rst"})


def _would_commit(f: Facts, path: str) -> bool:
    if path == ".dvc/config.local" or path.startswith(".dvc/tmp/"):
        return False
    tracked = f.index.git.tracked
    if tracked is not None and f.index.git.readable:
        return path in tracked
    patterns = [
        line.strip()
        for line in (f.index.text(".gitignore") or "").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    return not any(gitmeta.matches_pattern(path, p) for p in patterns)


@check(
    "secrets-committed",
    risk="Secrets committed: keys in .dvc/config, .env or code",
    severity="critical",
    blocks_level=1,
    fix="Revoke the key now; move credentials to .dvc/config.local (`dvc remote modify --local`) "
    "or the environment; add .env to .gitignore; purge the history.",
    source="ML Test Score Data 5 (appropriate privacy controls); mllint code-quality/bandit "
    "(hard-coded passwords); DVC docs (credentials in config.local)",
)
def secrets_committed(f: Facts) -> list[Evidence]:
    """Keys and credentials in files that are (or would be) committed; values are redacted."""
    ev: list[Evidence] = []
    for info in f.index.texts():
        text = info.text or ""
        if not text or not _would_commit(f, info.path):
            continue
        found: dict[int, str] = {}
        for number, m in line_numbers(text, SECRET_TOKEN_RE):
            if "EXAMPLE" not in m.group(0):
                found.setdefault(
                    number, f"{SECRET_KINDS[m.lastgroup or 'aws']} ({m.group(0)[:4]}…)"
                )
        if info.suffix not in _DOC_SUFFIXES:
            for number, m in line_numbers(text, SECRET_CRED_RE):
                value = m.group("val")
                line_start = text.rfind("\n", 0, m.start()) + 1
                if _PLACEHOLDER_RE.search(value) or _FAKE_NAME_RE.search(text, line_start, m.end()):
                    continue
                if info.suffix in _CODE_SUFFIXES and not m.group("q"):
                    continue
                if not (re.search(r"[\dA-Z/+=_-]", value) or len(value) >= 16):
                    continue
                found.setdefault(number, f"credential ({value[:3]}…)")
        ev.extend(Evidence(info.path, n, detail) for n, detail in sorted(found.items()))
    return ev


# --------------------------------------------------------------------------- level 2 -----


@check(
    "no-tests",
    risk="No tests: nothing checks the code, the data or the model",
    severity="medium",
    blocks_level=2,
    fix="Add tests (tests/test_*.py): preprocessing, a tiny training run, a prediction "
    "round-trip; run them in CI.",
    source="mllint testing/has-tests; ML Test Score Data 7 and Infra 2 (feature and model code "
    "is unit tested)",
)
def no_tests(f: Facts) -> list[Evidence]:
    """No test file with a test in it."""
    if f.test_units:
        return []
    return [Evidence(None, None, "no test files (tests/, test_*.py) with test functions")]


@check(
    "no-seeds",
    risk="No seeds: training is random and cannot be repeated",
    severity="medium",
    blocks_level=2,
    fix="Set every seed from params.yaml (random_state=, np.random.default_rng(seed), "
    "torch.manual_seed) so a re-run gives the same model.",
    source="ML Test Score Infra 1 (training is reproducible); Made-With-ML (set_seeds)",
)
def no_seeds(f: Facts) -> list[Evidence]:
    """Training code that sets no seed (and no seed parameter it could read)."""
    project_seed = any(
        PARAM_SEED_RE.search(info.text or "")
        for info in f.config_texts
        if info.name.lower().startswith(("params", "config", "settings"))
    )
    ev: list[Evidence] = []
    for unit in f.training_units:
        if unit.matches(SEED_RE):
            continue
        if project_seed and re.search(r"\bparams\b|\bseed\b", unit.text, re.I):
            continue
        hit = _first(unit, TRAIN_RE)
        ev.append(unit.evidence(hit[0] if hit else 1, "trains without setting a random seed"))
    return ev


@check(
    "no-ci",
    risk="No CI: tests and pipeline run only when someone remembers",
    severity="high",
    blocks_level=2,
    fix="Add a CI workflow (e.g. .github/workflows/ci.yml) that installs the lock, runs the "
    "tests and `dvc repro` on every push.",
    source="mllint ci/use; Google MLOps level 2 (CI: build and test on every change)",
)
def no_ci(f: Facts) -> list[Evidence]:
    """No CI definition, or CI that runs no tests."""
    if not f.ci_paths:
        detail = "no CI configuration (.github/workflows, .gitlab-ci.yml, ...)"
        return [Evidence(None, None, detail)]
    if CI_TEST_RE.search(f.ci_text):
        return []
    return [Evidence(p, None, "CI runs no tests") for p in f.ci_paths]


@check(
    "no-ci-training",
    risk="CI never runs the training pipeline",
    severity="medium",
    blocks_level=2,
    fix="Add a CI job that runs the pipeline (`dvc repro`, on a sample if needed) so a change "
    "that breaks training fails the build.",
    source="Google MLOps level 2 (CI tests the pipeline components); ML Test Score Infra 3 "
    "(the ML pipeline is integration tested)",
)
def no_ci_training(f: Facts) -> list[Evidence]:
    """CI exists but no job runs the training pipeline."""
    if not f.ci_paths or CI_TRAIN_RE.search(f.ci_text):
        return []
    return [Evidence(p, None, "no step runs the training pipeline") for p in f.ci_paths]


@check(
    "no-evaluation-gate",
    risk="No evaluation gate: a worse model can be promoted",
    severity="high",
    blocks_level=2,
    fix="Add an evaluate stage that writes metrics, and a gate (thresholds in params.yaml, "
    "`catdetector promote` or a CI check on `dvc metrics diff`) that refuses a worse model.",
    source="ML Test Score Infra 4 (model quality is validated before serving); Google MLOps "
    "level 1 (model validation; required here from level 2)",
)
def no_evaluation_gate(f: Facts) -> list[Evidence]:
    """No evaluation step, or evaluation that nothing acts on."""
    evaluation: list[Evidence] = []
    for stage in f.stages:
        if re.search(r"eval", stage.name + " " + stage.cmd, re.I) or stage.metrics:
            evaluation.append(Evidence(stage.file, None, f"stage {stage.name}"))
    for unit in f.source_units:
        if unit.matches(EVAL_RE):
            evaluation.append(Evidence(unit.path, None, "evaluation code"))
    places = [f.ci_text] + [info.text or "" for info in f.script_texts]
    places += [
        info.text or ""
        for info in f.config_texts
        if info.name.lower().startswith(("params", "dvc", "config"))
    ]
    gate = any(GATE_WORD_RE.search(text) for text in places)
    gate = gate or any(
        GATE_WORD_RE.search(u.text, u.lower) or (not u.is_training and u.matches(GATE_CODE_RE))
        for u in f.source_units
    )
    if evaluation and gate:
        return []
    if not evaluation:
        return [Evidence(None, None, "no evaluation step: models are never scored before use")]
    first = evaluation[0]
    return [Evidence(first.file, None, f"evaluation ({first.detail}) but no gate acts on it")]


@check(
    "no-input-validation",
    risk="No input validation: serving passes requests straight to the model",
    severity="medium",
    blocks_level=2,
    fix="Validate every request before predicting (pydantic models, size/format limits, "
    "4xx on bad input).",
    source="ML Test Score Data 1 (expectations in a schema) and Monitor 2 (data invariants hold "
    "for serving inputs); Google MLOps (data validation)",
)
def no_input_validation(f: Facts) -> list[Evidence]:
    """Serving code with no schema, limit or 4xx path."""
    ev: list[Evidence] = []
    for unit in f.serving_units:
        if not unit.handles_requests:
            continue
        if unit.top_imports & VALIDATION_MODULES or unit.matches(VALIDATION_RE):
            continue
        if any(i.startswith("catdetector.images") for i in unit.imports):
            continue
        hit = _first(unit, REQUEST_READ_RE) or _first(unit, SERVE_RE)
        line = hit[0] if hit else 1
        what = f": {snippet(hit[1])}" if hit else ""
        ev.append(unit.evidence(line, f"request input reaches the model unchecked{what}"))
    return ev


@check(
    "no-monitoring",
    risk="No prediction logging or monitoring: drift and failures go unseen",
    severity="medium",
    blocks_level=2,
    fix="Log every prediction (input summary, output, model version) and export metrics "
    "(prometheus_client, `catdetector serve`); compare live inputs with training statistics.",
    source="Google MLOps level 2 (performance monitoring, triggers); ML Test Score Monitor 2, "
    "4 and 7",
)
def no_monitoring(f: Facts) -> list[Evidence]:
    """No metrics exporter, prediction log, drift tool or alerting configuration."""
    if f.monitoring:
        return []
    if f.serving_units:
        return [
            Evidence(u.path, None, "serving logs no predictions and exports no metrics")
            for u in f.serving_units
        ]
    return [Evidence(None, None, "no prediction log, metrics exporter or drift check")]


@check(
    "no-deployment-manifest",
    risk="No deployment manifest: serving is set up by hand",
    severity="medium",
    blocks_level=2,
    fix="Describe the deployment as code (Dockerfile plus compose or Kubernetes manifest) that "
    "installs the lock and serves the registered model.",
    source="Google MLOps level 2 (deployment service, continuous delivery)",
)
def no_deployment_manifest(f: Facts) -> list[Evidence]:
    """No Dockerfile, compose, Kubernetes, Helm or PaaS manifest."""
    if f.deployment_manifests:
        return []
    if f.serving_units:
        return [
            Evidence(u.path, None, "started by hand: no manifest deploys it")
            for u in f.serving_units
        ]
    return [Evidence(None, None, "no Dockerfile, compose, Kubernetes or PaaS manifest")]


def _paths_by_verb(
    units: list[CodeUnit], verb: Rx, *, strip_globs: bool = False
) -> dict[str, tuple[CodeUnit, int, str]]:
    found: dict[str, tuple[CodeUnit, int, str]] = {}
    for unit in units:
        for number, line in unit.find(verb, raw=True):
            if verb is READ_RE and WRITE_RE.search(line):
                continue
            for literal in unit.path_literals(line):
                path = normpath(glob_root(literal) if strip_globs else literal)
                if path:
                    found.setdefault(path, (unit, number, line))
    return found


@check(
    "glue-code",
    risk="Glue code and pipeline jungles: scripts hand files to each other with no pipeline",
    severity="medium",
    blocks_level=2,
    fix="Make each script a pipeline stage whose deps and outs name the files it reads and "
    "writes (dvc.yaml), instead of a chain of scripts run by hand.",
    source="Hidden Technical Debt in ML Systems (glue code, pipeline jungles); Google MLOps "
    "level 1 (orchestrated experiment)",
)
def glue_code(f: Facts) -> list[Evidence]:
    """File hand-offs between scripts that no pipeline declares; shell script chains."""
    units = [u for u in f.source_units if not u.is_serving]
    writes = _paths_by_verb(units, WRITE_RE)
    reads = _paths_by_verb(units, READ_RE)
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


@check(
    "hidden-feedback-loop",
    risk="Hidden feedback loop: serving output is written where training reads",
    severity="high",
    blocks_level=2,
    fix="Write predictions to a log outside the training data; feed them back only through a "
    "labelled, versioned dataset (a reviewed `dvc add` step).",
    source="Hidden Technical Debt in ML Systems (hidden feedback loops); course module 1 (Q3)",
)
def hidden_feedback_loop(f: Facts) -> list[Evidence]:
    """A path (or table) serving writes that training reads."""
    serving = [u for u in f.serving_units if not u.is_training]
    writes = _paths_by_verb(serving, WRITE_RE, strip_globs=True)
    reads = _paths_by_verb(f.training_units, READ_RE, strip_globs=True)
    for stage in f.training_stages:
        for dep in stage.deps:
            reads.setdefault(dep, (CodeUnit(stage.file, "yaml", ""), 0, f"stage {stage.name}"))
    ev: list[Evidence] = []
    for wpath, (wunit, wline, line) in sorted(writes.items()):
        for rpath, (runit, rline, _) in reads.items():
            if not rpath or not wpath:
                continue
            if wpath == rpath or wpath.startswith(rpath + "/") or rpath.startswith(wpath + "/"):
                where = f"{runit.path}:{rline}" if rline else runit.path
                ev.append(
                    wunit.evidence(
                        wline, f"writes {wpath}, which training reads ({where}): {snippet(line)}"
                    )
                )
                break
    tables: dict[str, tuple[CodeUnit, int]] = {}
    for unit in serving:
        for number, m in line_numbers(unit.text, SQL_INSERT_RE):
            tables.setdefault(m.group(1).lower(), (unit, number))
    for unit in f.training_units:
        for _number, m in line_numbers(unit.text, SQL_FROM_RE):
            hit = tables.pop(m.group(1).lower(), None)
            if hit:
                ev.append(
                    hit[0].evidence(
                        hit[1], f"inserts into table {m.group(1)}, which {unit.path} trains on"
                    )
                )
    return ev


@check(
    "dead-experimental-code",
    risk="Dead experimental code: leftover experiments and commented-out code paths",
    severity="low",
    blocks_level=2,
    fix="Delete dead experiments and commented-out code (git keeps the history); keep live "
    "experiments as DVC experiments or params.",
    source="Hidden Technical Debt in ML Systems (dead experimental codepaths)",
)
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


@check(
    "no-baseline",
    risk="Complexity without a baseline: deep learning with no dummy or linear model to beat",
    severity="medium",
    blocks_level=2,
    fix="Train a dummy baseline (DummyClassifier) and a linear model first, record their "
    "metrics, and keep deep learning only if it beats them.",
    source="Course module 1 (Q2: dummy baseline, then linear, deep learning last); Hidden "
    "Technical Debt (complexity); ML Test Score Model 5 (a simpler model is not better)",
)
def no_baseline(f: Facts) -> list[Evidence]:
    """Deep-learning imports with no baseline anywhere in code or params."""
    deep = [u for u in f.source_units if u.top_imports & DL_MODULES]
    if not deep:
        return []
    if any(BASELINE_RE.search(u.text, u.lower) for u in f.source_units):
        return []
    for info in f.config_texts:
        if info.name.lower().startswith(("params", "dvc", "config")) and BASELINE_RE.search(
            info.text or ""
        ):
            return []
    ev: list[Evidence] = []
    for unit in deep[:5]:
        modules = ", ".join(sorted(unit.top_imports & DL_MODULES))
        ev.append(unit.evidence(1, f"deep learning ({modules}) with no baseline to compare"))
    return ev
