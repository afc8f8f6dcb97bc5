"""The bus factor: training that only one person or machine can re-run."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.code import CodeUnit, first_hit
from catdetector.assess.codepatterns import READ_RE, TRAIN_RE, WRITE_RE, joined_to_variable
from catdetector.assess.configpaths import config_machine_paths
from catdetector.assess.missingmods import missing_modules
from catdetector.assess.model import NOT_RECOGNISED, Evidence, Severity, has_proof, proven
from catdetector.assess.notrun import lines_not_run, unit_unreached
from catdetector.assess.registry import hub_models, unpinned_hub_models
from catdetector.assess.servingenv import served_model_names
from catdetector.assess.stacks import LOOKED_FOR, broken_mlprojects
from catdetector.assess.text import Rx, snippet
from catdetector.assess.vocab import DATA_SUFFIXES, DATA_WORD_RE

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

LAPTOP_RE = Rx(
    r"['\"](?:/Users/|/home/|~/|[A-Za-z]:[\\/]|/kaggle/|/content/(?:drive|gdrive)|/Volumes/|"
    r"/mnt/)[^'\"\n]*['\"]",
    0,
    ("/Users/", "/home/", "~/", ":\\", ":/", "/kaggle/", "/content/", "/Volumes/", "/mnt/"),
)


# a tool's own configuration or cache in the user's home is not data on one machine
TOOL_CONFIG_RE = re.compile(
    r"['\"]~/\.(?:kube|aws|ssh|config|cache|docker|azure|gcloud|netrc|pgpass|kaggle|"
    r"huggingface|databrickscfg|mlflow)\b"
)


PIPELINES_LOOKED_FOR = (
    "dvc.yaml stages, Snakemake, Airflow, Prefect, Dagster, ZenML, Flyte, Luigi, job specs, "
    + LOOKED_FOR["pipeline"]
)


def production_training(f: Facts) -> list[CodeUnit]:
    """Training code outside tests, documentation, examples and vendored folders."""
    return [u for u in f.training_units if not AUX_PATH_RE.search(u.path)]


def bus_factor(f: Facts) -> list[Evidence]:
    """No pipeline that trains, or training that depends on one machine's paths."""
    ev: list[Evidence] = []
    training = production_training(f)
    if not f.pipeline_trains and (nothing := _nothing_to_rebuild(f, training)):
        return [nothing]
    if not f.pipeline_trains:
        if f.pipelines:
            ev.append(Evidence(f.pipelines[0].file, None, "the pipeline has no training stage"))
        for unit in training:
            hit = first_hit(unit, TRAIN_RE)
            where = "a notebook" if unit.kind == "ipynb" else "a script"
            at = hit[0] if hit else 1
            what = f": {snippet(hit[1])}" if hit else ""
            ev.append(unit.evidence(at, f"training in {where}, outside any pipeline{what}"))
        if not ev and (hub := unpinned_hub_models(f) or hub_models(f)):
            loaded = hub[0]
            detail = (
                "the served model is trained elsewhere: this repository only loads it "
                f"({loaded.detail.split(': ', 1)[-1]}); no pipeline here can re-create it"
            )
            ev.append(Evidence(loaded.file, loaded.line, detail))
        committed = [m for m in f.model_files if not AUX_PATH_RE.search(m.path)]
        if not ev and committed and f.serving_units:
            ev.append(Evidence(committed[0].path, None, NO_TRAINING_CODE))
        if not ev:
            detail = (
                f"{NOT_RECOGNISED}no training code and no pipeline (looked for fit/train calls "
                f"and {PIPELINES_LOOKED_FOR}); where is the model trained?"
            )
            ev.append(Evidence(None, None, detail))
    pipeline_files = {e.file for e in f.pipelines if e.file}
    defining = [u for u in f.source_units if u.path in pipeline_files and u not in training]
    for unit in [*training, *defining]:  # a pipeline hands its steps the paths it reads
        aside = unit.kind == "ipynb" or (
            unit.path not in pipeline_files and unit_unreached(f, unit)
        )
        if f.pipeline_trains and aside:
            continue  # an experimentation notebook or script beside a pipeline that trains
        unread = lines_not_run(f, unit)
        found = [
            (n, ln)
            for n, ln in unit.find(LAPTOP_RE, raw=True)
            if _absolute(ln, LAPTOP_RE) and not TOOL_CONFIG_RE.search(ln)
            and not _created_here(unit.text, ln) and n not in unread
        ]  # fmt: skip
        for number, line in found[:3]:
            ev.append(unit.evidence(number, f"{ON_ONE_MACHINE}{snippet(line)}"))
        if found:
            continue
        for number, line in unit.find(MACHINE_PATH_RE, raw=True):
            if (
                number not in unread
                and _absolute(line, MACHINE_PATH_RE)
                and any(_machine_path(p) for p in unit.path_literals(line))
            ):
                ev.append(unit.evidence(number, f"{ON_ONE_MACHINE}{snippet(line)}"))
                break
    loaders = [u for u in [*training, *defining] if u.kind == "py"]
    for e in config_machine_paths(f, loaders)[:3]:  # the configs training loads
        ev.append(Evidence(e.file, e.line, f"{ON_ONE_MACHINE}{e.detail}"))
    if f.pipeline_trains:  # the training a pipeline runs needs code the repository lacks
        ev.extend(missing_modules(f, training))
    if (copied := copied_in(f)) is not None:  # a pipeline that trains other files aside
        ev.insert(0, proven(copied, COPIED_PROOF))
    proof = None if copied is not None else bus_proof(f, ev) if ev else None
    if proof is not None:
        ev = [proof, *(e for e in ev if e.detail != NO_TRAINING_CODE or e.file != proof.file)]
    return ev


COPIED_PROOF = (
    "proof 3: the model the project loads is made by nothing in the repository (committed, "
    "and named only by the code loading it), whatever a pipeline here trains"
)
_NOT_A_MAKER_RE = re.compile(
    r"\.(?:md|rst|txt|html?)$|(?:^|/)\.(?:git|docker|dvc)(?:ignore|attributes)$|"
    r"(?:^|/)(?:[\w.-]+\.)?Dockerfile(?:\.[\w.-]+)?$|^\.github/(?!workflows/|actions/)",
    re.I,
)  # documentation, ignore lists, image recipes (which copy a model) and repository metadata


def copied_in(f: Facts) -> Evidence | None:
    """A committed model file that production code uses (serves or scores with) and that no
    other file here names: no training code, notebook, script, pipeline, CI or configuration
    (tests, docs, Dockerfiles and repository metadata aside), and the code using it does not
    write it. Made elsewhere and copied in, so nothing here can re-create it, whatever else a
    pipeline here trains. Not where the project registers models (it deploys the registered
    one; a committed file beside it, such as a platform's sample, is not shown to be served)."""
    committed = {
        posixpath.basename(m.path): m for m in f.model_files if not AUX_PATH_RE.search(m.path)
    }
    if not committed or f.registry:
        return None
    training = {u.path for u in f.training_units}
    users = {
        u.path: u
        for u in f.code_units
        if u.path not in training and not AUX_PATH_RE.search(u.path)
    }
    named: dict[str, set[str]] = {n: set() for n in committed}  # name -> files naming it
    code = {u.path: u.text for u in f.code_units}  # a notebook's cells, its quotes decoded
    for info in f.index.texts():
        if AUX_PATH_RE.search(info.path) or _NOT_A_MAKER_RE.search(info.path):
            continue
        text = code.get(info.path, info.text or "")
        for name, files in named.items():
            if info.path != committed[name].path and _names_file(text, name):
                files.add(info.path)
    left = {
        n
        for n, files in named.items()
        if files
        and all(p in users and _only_uses(users[p], n) for p in files)
        and not _names_on([users[p] for p in files], WRITE_RE) & {n}
    }
    if not left:
        return None
    served = served_model_names(f)
    name = max(left, key=lambda n: (n in served, committed[n].size))
    detail = (
        f"{name} is committed and used, but no training code, pipeline or configuration "
        "here makes or names it: a model copied in from elsewhere"
    )
    return Evidence(committed[name].path, None, detail)


def _names_file(text: str, name: str) -> bool:
    """Whether ``text`` names the file ``name``, its stem as a whole string
    (``log_model(m, "random_forest_model")``), or a computed name that may be it (a
    template or a concatenation ending with its suffix: ``f"{model_name}.joblib"``)."""
    stem, suffix = posixpath.splitext(name)
    if name in text or f'"{stem}"' in text or f"'{stem}'" in text:
        return True
    if suffix not in text:
        return False
    end = re.escape(suffix) + "['\"]"
    return re.search(rf"\}}[\w.-]*{end}|\+\s*['\"][\w.-]*{end}|%s[\w.-]*{end}", text) is not None


_MODEL_SAVE_RE = re.compile(
    r"\b(?:save|dump|save_model|save_weights|save_pretrained|save_checkpoint|log_model)\(|\.save\("
)  # any save of a model, whatever path it is given


def _only_uses(unit: CodeUnit, name: str) -> bool:
    """Whether ``unit`` saves no model at all (a save may take the name through a variable:
    ``path = Path("m.pth")`` ... ``model.save(path)``) and every line of it naming the file
    hands it to a call, itself or through a module constant the same file calls with
    (``MODEL_PATH = "m.joblib"`` ... ``load(MODEL_PATH)``); a name defined for other modules
    (a paths class, a settings module) may be where a writer takes it from."""
    if _MODEL_SAVE_RE.search(unit.text):
        return False
    for line in (ln for ln in unit.lines if name in ln):
        if "(" in line:
            continue
        const = re.match(r"\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=", line)
        word = const.group(1) if const else ""
        if word not in unit.constants or not re.search(rf"\([^)\n]*\b{word}\b", unit.text):
            return False
    return True


def _names_on(units: Iterable[CodeUnit], verb: Rx) -> set[str]:
    """Base names of the fixed paths on the units' lines that match ``verb`` (read, write)."""
    return {
        posixpath.basename(p)
        for u in units
        for n, line in u.find(verb, raw=True)
        if not line.lstrip().startswith("#")
        for p in u.path_literals(line)
    }


def _nothing_to_rebuild(f: Facts, training: list[CodeUnit]) -> Evidence | None:
    """The question to ask when no code here trains and no model is committed or served
    (an inference pipeline running pretrained weights): nothing to rebuild, so no evidence
    of the bus factor; None when some training, committed model or serving exists."""
    committed = [m for m in f.model_files if not AUX_PATH_RE.search(m.path)]
    if training or committed or f.serving_units or broken_mlprojects(f):
        return None  # a declared entry point running a missing script cannot be re-run
    hub = hub_models(f)
    loads = f" (it loads pretrained models: {hub[0].detail.split(': ', 1)[-1]})" if hub else ""
    where = f"; {len(f.pipelines)} pipeline(s) declared" if f.pipelines else ""
    return Evidence(
        hub[0].file if hub else None,
        hub[0].line if hub else None,
        f"{NOT_RECOGNISED}nothing here trains a model and no model is committed or served"
        f"{loads}{where} (looked for fit/train calls, committed model files and serving "
        f"code, and {PIPELINES_LOOKED_FOR}); is a model trained elsewhere that this "
        "repository should be able to rebuild?",
    )


_ASSIGNED_NAME_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=[^=]")


def _created_here(text: str, line: str) -> bool:
    """Whether the path on ``line`` is a folder the code creates (``os.makedirs(p)``,
    ``p.mkdir()``, on that line or for the name it assigns): where it writes, such as an
    MLflow artifact store in ``~``, not data that lies on one machine."""
    if re.search(r"\b(?:makedirs|mkdir)\(", line):
        return True
    m = _ASSIGNED_NAME_RE.match(line)
    name = re.escape(m.group(1)) if m else None
    return bool(name) and re.search(
        rf"\bmakedirs\(\s*{name}\b|\b{name}\.mkdir\(|Path\(\s*{name}\s*\)\.mkdir\(", text
    ) is not None


def _absolute(line: str, regex: Rx) -> bool:
    """Whether some literal ``regex`` finds on ``line`` starts a path: one added to a variable
    (``prefix + '/train/x.csv'``) is the suffix of a path whose root comes from elsewhere."""
    return any(not joined_to_variable(line, m.start()) for m in regex.regex.finditer(line))


ON_ONE_MACHINE = "reads a path on one machine: "
NO_TRAINING_CODE = (
    "a model file served with no training code or pipeline anywhere in the repository: "
    "nobody can re-create it"
)


MACHINE_PATH_RE = Rx(r"['\"]/[A-Za-z]", 0, ("'/", '"/'))
SHARED_ROOTS = frozenset(
    {
        "tmp",
        "app",
        "opt",
        "workspace",
        "srv",
        "code",
        "usr",
        "etc",
        "dev",
        "proc",
        "var",
        "data",
        "models",
        "model",
        "artifacts",
        "output",
        "outputs",
        "input",
        "inputs",
        "ml",
        "src",
        "root",
        "dbfs",  # Databricks: every cluster mounts DBFS and its sample datasets
        "databricks-datasets",
    }
)  # fmt: skip: absolute folders that containers, jobs and clusters commonly provide


def _machine_path(literal: str) -> bool:
    """An absolute path under a folder that only one machine has (``/disk/...``)."""
    if not literal.startswith("/") or literal.startswith("//"):
        return False
    first = literal.strip("/").split("/", 1)[0].lower()
    suffix = posixpath.splitext(literal)[1].lower()
    data = bool(DATA_WORD_RE.search(literal)) or suffix in DATA_SUFFIXES
    return bool(first) and data and first not in SHARED_ROOTS and "{" not in literal


HOME_OR_DRIVE_RE = re.compile(
    r"(?:^|[\s'\"=(:,])(?:/Users/|/home/|~/|[A-Za-z]:[\\/]|/content/(?:drive|gdrive)/|"
    r"/Volumes/|/mnt/[a-z]/)"
)  # one person's home or drive (not /kaggle/, a container's /mnt/ or /data mount)
BUS_PROOF = (
    "proof 3: the model the project {how} is made only by {by}, and no declared pipeline "
    "trains"
)


def _served_names(f: Facts) -> dict[str, str]:
    """Model file names the project ships (committed) or serves (named in serving code):
    name -> "ships" or "serves"."""
    names = {
        posixpath.basename(m.path): "ships" for m in f.model_files if not AUX_PATH_RE.search(m.path)
    }
    for name in sorted(served_model_names(f)):
        names.setdefault(name, "serves")
    return names


def _producers(name: str, training: list[CodeUnit]) -> list[CodeUnit]:
    """Training code that writes a model file of this name (a save, dump or open for
    writing of a path ending with it); failing that, training code that names it. A line
    commented out runs nothing, and a line that only reads the file makes nothing."""
    writers = [
        u
        for u in training
        if any(
            posixpath.basename(p) == name
            for _, line in u.find(WRITE_RE, raw=True)
            if not line.lstrip().startswith("#")
            for p in u.path_literals(line)
        )
    ]
    return writers or [u for u in training if _names(u, name)]


def _names(unit: CodeUnit, name: str) -> bool:
    """Whether a line of the unit that runs and does not read names the file as a whole name
    (``path = 'model.pkl'`` before a save through the variable; not ``'best_model.pkl'``)."""
    if f"{name}'" not in unit.text and f'{name}"' not in unit.text:
        return False
    named = re.compile(rf"""(?:^|[\s'"/\\]){re.escape(name)}['"]""")
    return any(
        named.search(line)
        and not line.lstrip().startswith("#")
        and not (READ_RE.search(line) and not WRITE_RE.search(line))
        for line in unit.lines
    )


def bus_proof(f: Facts, evidence: list[Evidence]) -> Evidence | None:
    """Proof 3 (CRITICAL), where no declared pipeline trains: the model the project serves or
    ships is made only by notebooks, or only by code that reads its data from one machine's
    paths; or a served committed model has no training code or pipeline anywhere (nothing
    here can make it again: the limit case of the same proof)."""
    if f.pipeline_trains:
        return None
    training = production_training(f)
    names = _served_names(f)
    if not training:
        nothing = next((e for e in evidence if e.detail == NO_TRAINING_CODE), None)
        by = "nothing in the repository (no training code)"
        return nothing and proven(nothing, BUS_PROOF.format(how="serves", by=by))
    machine = {
        e.file for e in evidence if ON_ONE_MACHINE in e.detail and HOME_OR_DRIVE_RE.search(e.detail)
    }
    for name, how in sorted(names.items()):
        makers = _producers(name, training)
        if makers and all(u.kind == "ipynb" or u.path in machine for u in makers):
            notebooks = all(u.kind == "ipynb" for u in makers)
            by = "notebooks" if notebooks else "code that reads one machine's paths"
            detail = f"{name} is made by {', '.join(u.path for u in makers[:3])}"
            return proven(Evidence(makers[0].path, None, detail), BUS_PROOF.format(how=how, by=by))
    return None


def bus_factor_severity(f: Facts, evidence: list[Evidence]) -> Severity:
    """Critical only on proof 3 (``bus_proof``: the served or shipped model is made only by a
    notebook or by code reading one machine's paths, with no declared pipeline); any other
    bus-factor evidence (scripts outside a pipeline, a notebook whose model nothing serves,
    a one-machine path in a pipeline's code) is high."""
    return "critical" if has_proof(evidence) else "high"
