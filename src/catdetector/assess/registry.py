"""Model versioning and registries: model files, GTO tags, MLflow registry, what versions a path."""

from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING

from catdetector.assess import gitmeta
from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.code import CodeUnit
from catdetector.assess.codepatterns import READ_RE, TEST_PATH_RE, WRITE_RE, joined_to_variable
from catdetector.assess.model import NOT_RECOGNISED, Evidence, Severity, has_proof, proven
from catdetector.assess.pipeline import PipelineFacts
from catdetector.assess.pycalls import Call
from catdetector.assess.runfolders import deleted_stores, store_kind
from catdetector.assess.runnerstores import lasting, lost_with_runner, per_run_kept
from catdetector.assess.scan import FileInfo
from catdetector.assess.servingenv import overwritten_and_served
from catdetector.assess.stacks import LOOKED_FOR
from catdetector.assess.text import Rx, human, line_numbers, normpath, snippet
from catdetector.assess.uncachedouts import unkept_training_outputs
from catdetector.assess.vocab import MODEL_SUFFIXES
from catdetector.assess.waysback import preprocessing_objects, ways_back

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


REGISTRY_CODE_RE = Rx(
    # MLflow registry, aliases, stages, models loaded by run; W&B artifacts and model links;
    # the BentoML model store; ZenML model versions; SageMaker model packages; the HF Hub
    r"register_model\(|registered_model_name\s*=|['\"]models:/|set_registered_model_alias\(|"
    r"transition_model_version_stage\(|['\"]runs:/|\bmlflow\.get_run\(|\.search_runs\(|"
    r"\.use_artifact\(|\.link_model\(|\.use_model\(|\bwandb\.Artifact\(|"
    r"\bbentoml\.\w+\.(?:save_model|get|load_model)\(|\bbentoml\.models\.get\(|"
    r"\bArtifactConfig\(|\.set_stage\(|ModelPackageGroupName|\.push_to_hub\(|"
    r"\b(?:Output|Input)\[Model\]|\baiplatform\.Model\.upload\(",
    0,
    (
        "register_model(",
        "registered_model_name",
        "models:/",
        "_alias(",
        "transition_model_version_stage",
        "runs:/",
        "get_run(",
        "search_runs(",
        "use_artifact(",
        "link_model(",
        "use_model(",
        "Artifact(",
        "bentoml.",
        "ArtifactConfig(",
        "set_stage(",
        "ModelPackageGroupName",
        "push_to_hub(",
        "[Model]",
        "Model.upload(",
    ),
)
REGISTRY_CMD_RE = Rx(
    r"\b(?:catdetector\s+register|gto\s+(?:register|assign)|bentoml\s+models\s+push|"
    r"mlflow\s+models\s+serve\s+-m\s+['\"]?(?:models|runs):/)",
    0,
    ("catdetector", "gto", "bentoml", "mlflow"),
)
GTO_TAG_RE = re.compile(r"^[A-Za-z0-9][\w.\-/]*(?:@v?\d+\.\d+\.\d+\S*|#[\w\-]+#\d+)$")


class RegistryFacts(PipelineFacts):
    """Model artifacts, registries and what versions a path (reads DVC's outputs and the
    scripts CI runs, so it builds on ``PipelineFacts``)."""

    @cached_property
    def lfs_patterns(self) -> list[str]:
        """git-lfs patterns from the root ``.gitattributes``."""
        return gitmeta.lfs_patterns(self.index.text(".gitattributes") or "")

    def git_tracked(self, path: str) -> bool:
        """Whether the git index lists ``path`` (or files under it)."""
        tracked = self.index.git.tracked
        if not tracked:
            return False
        if path in tracked:
            return True
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in tracked)

    def versioned(self, path: str) -> bool:
        """Whether DVC, git-lfs or git versions ``path``."""
        if self.dvc_covered(path):
            return True
        if any(gitmeta.matches_pattern(path, p) for p in self.lfs_patterns):
            return True
        return bool(self.index.git.tracked) and path in (self.index.git.tracked or {})

    # -- models and registry ---------------------------------------------------------------
    @cached_property
    def model_files(self) -> list[FileInfo]:
        """Model artifacts present in the tree (outside tests)."""
        return [
            f
            for f in self.index.files.values()
            if f.suffix in MODEL_SUFFIXES
            and not TEST_PATH_RE.search(f.path)
            and not f.path.startswith(".dvc/")
        ] + [
            self.index.files[p]
            for p in self.index.files
            if p.endswith("/saved_model.pb") and not TEST_PATH_RE.search(p)
        ]

    @cached_property
    def model_symlinks(self) -> list[str]:
        """Model artifacts present as symlinks (e.g. DVC's symlink cache)."""
        return [
            p for p in self.index.symlinks if posixpath.splitext(p)[1].lower() in MODEL_SUFFIXES
        ]

    @cached_property
    def gto_tags(self) -> list[str]:
        """Git tags shaped like GTO versions or stage assignments (in a subfolder of a
        repository, only those of artifacts the subfolder declares or names as a prefix)."""
        tags = [t for t in self.index.git.tags if GTO_TAG_RE.match(t)]
        prefix = self.index.git.prefix
        if not prefix:
            return tags
        declared = {name for _, name in self.dvc_artifacts}
        return [
            t for t in tags if t.startswith(prefix + "/") or re.split(r"[@#]", t)[0] in declared
        ]

    @cached_property
    def registry(self) -> list[Evidence]:
        """Signs of a model registry: GTO tags, dvc.yaml artifacts, MLflow registry use."""
        found: list[Evidence] = []
        if self.gto_tags:
            shown = ", ".join(self.gto_tags[:3])
            found.append(Evidence(".git/refs/tags", None, f"GTO tags: {shown}"))
        for path, name in self.dvc_artifacts:
            found.append(Evidence(path, None, f"artifact {name} declared for GTO"))
        for info in self.named("artifacts.yaml"):
            found.append(Evidence(info.path, None, "GTO artifacts.yaml"))
        for unit in self.source_units:
            for number, line in unit.find(REGISTRY_CODE_RE, raw=True)[:1]:
                found.append(unit.evidence(number, f"model registry: {snippet(line)}"))
        for info in self.script_texts:
            for number, m in line_numbers(info.text or "", REGISTRY_CMD_RE):
                found.append(Evidence(info.path, number, f"registry command: {m.group(0)}"))
                break
        found.extend(self.stack_hits.get("registry", []))
        return found


def _model_path_candidates(unit: CodeUnit, literal: str) -> list[str | None]:
    """Where a relative model path may point: from the root, and from every folder above the
    code (the working directory a service starts in is any of them)."""
    base = posixpath.dirname(unit.path)
    out: list[str | None] = [normpath(literal), normpath(literal, base) if base else None]
    while base:
        base = posixpath.dirname(base)
        if base and (resolved := normpath(literal, base)) is not None:
            out.append(resolved)
    return out


def no_rollback(f: Facts) -> list[Evidence]:
    """Model files or model paths that nothing versions."""
    ev: list[Evidence] = []
    gone = deleted_stores(f)  # a store the pipeline empties is no way back
    kept = lasting(f, [e for e in f.registry if store_kind(e.detail) not in gone])
    registered = bool(kept) or bool(ways_back(f))  # a registry, or versioned images
    for info in f.model_files:
        if not f.versioned(info.path):
            ev.append(
                Evidence(
                    info.path,
                    None,
                    f"model file ({human(info.size)}) is not versioned: no .dvc file, not a "
                    "pipeline output, not in git",
                )
            )
    reported = {e.file for e in ev}
    fixed: list[tuple[bool, str, int, str]] = []  # (serving reads it, name, evidence at, file)
    for unit, verb_re, what in (
        *((u, READ_RE, "serves the model from a fixed path") for u in f.serving_units),
        *((u, WRITE_RE, "saves the model to a fixed path") for u in f.training_units),
    ):
        for number, line in unit.find(verb_re, raw=True):
            if line.lstrip().startswith("#"):
                continue  # a commented-out line runs nothing
            if verb_re is READ_RE and WRITE_RE.search(line):
                continue  # `open(path, "wb")` writes the model: it is no load
            for literal in unit.path_literals(line):
                if posixpath.splitext(literal)[1].lower() not in MODEL_SUFFIXES:
                    continue
                at = line.find(literal)
                if at > 0 and joined_to_variable(line, at - 1):
                    continue  # `output_dir / "model.pt"`: the folder is chosen at run time
                candidates = _model_path_candidates(unit, literal)
                if any(c is not None and f.versioned(c) for c in candidates) or registered:
                    continue
                if "{" in literal and _committed_name(f, literal):
                    continue  # `f"{folder}/model.pkl"`: that file is versioned where it lives
                if _logged_to_run(unit, literal) or per_run_kept(f, unit, number):
                    continue  # logged to the run, or a per-run folder: kept per run
                if verb_re is WRITE_RE and _unserved_beside_versioned(f, literal):
                    continue  # not what serving loads; the models the project ships are kept
                if any(c in reported for c in candidates if c):
                    detail = f"{what} that nothing versions: {snippet(line)}"
                elif all(c is None for c in candidates):
                    detail = f"{what} outside the repository: {snippet(line)}"
                else:
                    detail = f"{what} with no version to go back to: {snippet(line)}"
                ev.append(unit.evidence(number, detail))
                name = posixpath.basename(literal)
                fixed.append((verb_re is READ_RE, name, len(ev) - 1, unit.path))
                break
    writes = [(name, path) for read, name, _, path in fixed if not read]
    served = overwritten_and_served(f, writes, {name for read, name, _, _ in fixed if read})
    at_files = [(posixpath.basename(e.file or ""), i) for i, e in enumerate(ev[: len(reported)])]
    for name, at in [*((n, i) for _, n, i, _ in fixed), *at_files]:
        if name in served:  # proof 4: served from a fixed path that training overwrites
            ev[at] = proven(ev[at], ROLLBACK_PROOF.format(name=name))
    emptied = not registered and bool(f.registry) and bool(gone)
    if not ev and not registered and not model_versioned(f):
        kept_by_nothing = [] if emptied else unkept_training_outputs(f)
        ev.extend(unpinned_hub_models(f) or kept_by_nothing
                  or ([] if emptied else _unversioned_save(f)))
    ev.extend([] if registered else lost_with_runner(f))  # a registry only a CI runner holds
    if emptied:  # proof 4 too: a store emptied before each save is one fixed, overwritten slot
        ev[:0] = [_emptied_proof(f, kind, e) for kind, e in gone.items()]
    return ev


def _emptied_proof(f: Facts, kind: str, deleted: Evidence) -> Evidence:
    """The deletion, marked proof 4 when it empties the whole store (not an image build) and
    serving code loads from that store: it keeps one version, the one serving loads."""
    loads = any(kind in u.text for u in f.serving_units)
    if not (loads and deleted.detail.startswith("the pipeline deletes")):
        return deleted
    return proven(deleted, ROLLBACK_PROOF.format(name=f"the {kind} store's model"))


def _unserved_beside_versioned(f: Facts, literal: str) -> bool:
    """Whether a fixed-path save writes a file no serving code names while some model of the
    repository is versioned (in git, DVC, lfs, a stage output): the served model has a way
    back, and this file is not what is served."""
    name = posixpath.basename(literal)
    if any(name in u.text for u in f.serving_units):
        return False
    return model_versioned(f)


def _committed_name(f: Facts, literal: str) -> bool:
    """Whether a model file of the name a run-time folder is given (``{pth}/model.pkl``) is
    versioned in the repository: each version of it is a way back."""
    name = posixpath.basename(literal)
    return "{" not in name and any(
        posixpath.basename(m.path) == name and f.versioned(m.path) for m in f.model_files
    )


def _logged_to_run(unit: CodeUnit, literal: str) -> bool:
    """Whether the unit logs the file ``literal`` (or its folder) to a tracked run
    (``mlflow.log_artifact(s)``, W&B ``log_artifact``): each run keeps its copy."""
    names = ("log_artifact", "log_artifacts")
    logs = [c for c in unit.py.calls if c.name.rsplit(".", 1)[-1] in names]
    return any(
        s and (literal == s or literal.startswith(s.rstrip("/") + "/"))
        for call in logs
        for s in call.strings
    )


HUB_LOADS = ("from_pretrained", "HuggingFaceModel", "SentenceTransformer", "snapshot_download",
             "hf_hub_download")  # fmt: skip
UNPINNED_HUB = "loads a hub model by name with no revision pinned: "


def hub_models(f: Facts, *, unpinned: bool = False) -> list[Evidence]:
    """Production code that loads a model from a hub by its id (``unpinned``: with no
    revision pinned, so what is served changes when the hub does)."""
    for unit in f.source_units:
        if AUX_PATH_RE.search(unit.path) or unit.kind != "py":
            continue
        if not any(name in unit.text for name in HUB_LOADS):
            continue
        for call in unit.py.calls:
            if not call.named(*HUB_LOADS) or not call.strings:
                continue
            if any(s.startswith((".", "/")) or "{" in s for s in call.strings):
                continue  # a local path, not a hub id
            if unpinned and "revision" in call.keywords:
                continue
            line = unit.lines[call.line - 1] if call.line <= len(unit.lines) else call.name
            what = UNPINNED_HUB if unpinned and "revision" not in call.keywords else "hub model: "
            return [unit.evidence(call.line, f"{what}{snippet(line)}")]
    return []


def unpinned_hub_models(f: Facts) -> list[Evidence]:
    """Hub models loaded with no revision pinned: there is no version to go back to."""
    return hub_models(f, unpinned=True)


ROLLBACK_PROOF = (
    "proof 4: serving loads {name} from a fixed path that training overwrites, and nothing "
    "versions it (no DVC output, registry, git history, run or per-commit image)"
)


def no_rollback_severity(f: Facts, evidence: list[Evidence]) -> Severity:
    """Critical only on proof 4: serving loads the model from a fixed path that training
    overwrites and nothing versions that file. Anything else (a model file nothing versions
    but nothing here overwrites, a save nothing serves, an unpinned hub model, a model store
    the pipeline empties; any finding where nothing serves a model) is high."""
    return "critical" if f.serving_units and has_proof(evidence) else "high"


SAVE_CALLS = frozenset(
    {"save_model", "save_weights", "save_pretrained", "save_checkpoint", "ModelCheckpoint",
     "log_model"}
)  # fmt: skip
SERIALIZERS = frozenset(
    {"torch.save", "joblib.dump", "pickle.dump", "dill.dump", "cloudpickle.dump"}
)


PATH_KEYWORDS = frozenset({"f", "file", "filename", "filepath", "path", "dirpath",
                           "save_directory", "output_dir", "export_dir", "model_path"})  # fmt: skip


def path_from_caller(call: Call) -> bool:
    """Whether the save's destination is a parameter of the function that saves (or an
    attribute such as ``self.checkpoint_path``): library code saving where its caller says."""
    index = "1" if call.name in SERIALIZERS else "0"
    return index in call.from_params or bool(PATH_KEYWORDS & call.from_params)


def _saves_model(call: Call, preprocessing: set[str]) -> bool:
    last = call.name.rsplit(".", 1)[-1]
    if path_from_caller(call):
        return False
    saved = call.args[0] if call.name in SERIALIZERS and call.args else call.name.rsplit(".", 1)[0]
    if saved in preprocessing:
        return False  # `joblib.dump(enc, ...)` where `enc = TargetEncoder()`: not the model
    if last in SAVE_CALLS or call.name in SERIALIZERS:
        return True
    suffixes = {posixpath.splitext(s)[1].lower() for s in call.strings}
    return last in ("save", "dump") and bool(suffixes & MODEL_SUFFIXES)


def _unversioned_save(f: Facts) -> list[Evidence]:
    """Where production training saves a model that nothing versions; "not recognised"
    when training exists but no save of a model is found (read with ``ast``)."""
    training = [u for u in f.training_units if not AUX_PATH_RE.search(u.path)]
    logged = False
    for unit in training:
        if not any(word in unit.text for word in ("save", "dump", "log_model", "Checkpoint")):
            continue
        preprocessing = preprocessing_objects(unit)
        for call in unit.py.calls:
            if _saves_model(call, preprocessing):
                if lost := lost_with_runner(f, unit, call.line):
                    return lost  # a per-run folder only the CI runner holds
                logged_here = any(_logged_to_run(unit, s) for s in call.strings)
                if logged_here or per_run_kept(f, unit, call.line):
                    logged = True
                    continue  # logged to the run, or saved into a per-run folder: kept per run
                line = unit.lines[call.line - 1] if call.line <= len(unit.lines) else call.name
                detail = (
                    "saves the trained model with no version to go back to (no registry, alias "
                    f"or versioned pipeline output): {snippet(line)}"
                )
                return [unit.evidence(call.line, detail)]
    if not training or logged:
        return []
    detail = (
        f"{NOT_RECOGNISED}no model registry or versioned model output (looked for GTO tags, "
        f"dvc.yaml artifacts, pipeline outputs, {LOOKED_FOR['registry']}) and no save of a "
        "model; where does the trained model go?"
    )
    return [Evidence(None, None, detail)]


def model_versioned(f: Facts) -> bool:
    """Whether some model is versioned: a training stage's outputs, a DVC-tracked or git-lfs
    model path, a versioned model file."""
    if any(stage.kept for stage in f.training_stages):
        return True
    for path in f.dvc_tracked:
        parts = set(path.lower().replace(".", "/").split("/"))
        if posixpath.splitext(path)[1].lower() in MODEL_SUFFIXES or parts & {"model", "models"}:
            return True
    lfs = " ".join(f.lfs_patterns)
    return any(s in lfs for s in MODEL_SUFFIXES) or any(f.versioned(m.path) for m in f.model_files)
