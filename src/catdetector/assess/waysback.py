"""Ways back to a previous model that are not a registry: images and packages CI versions.

* **An image tagged per commit or version that carries the model.** A CI definition builds
  an image with a tag that changes with each commit or release (``${{ github.sha }}``,
  ``$CI_COMMIT_SHA``, ``$(Build.SourceVersion)``, a ``VERSION``/``TAG`` variable),
  and the model is in it: the Dockerfile copies the whole context, a model file or the folder
  training saves models to, or the same CI definition puts a model into the build context
  before building (a downloaded artifact, ``dvc pull``, a copy). Going back is deploying the
  previous tag.
* **A model published as a versioned package.** Training saves the model inside a package
  (a folder with ``setup.py``/``pyproject.toml`` and a version), CI builds or publishes that
  package, and a requirements file pins it (``regression-model==2.0.20``). Going back is
  pinning the previous version.
* **A model each CI run keeps as a job artifact and a deploy job ships** (``ciartifacts``).

And what a save is: an object built from an encoder, scaler, vectoriser... class (read with
``ast``: ``enc = pp.TargetEncoder()``, whatever the variable is called) is preprocessing,
not "the trained model".
"""

from __future__ import annotations

import ast
import posixpath
import re
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from catdetector.assess.ci import CI_TRAIN_RE
from catdetector.assess.ciartifacts import ci_artifact_deploys
from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.codepatterns import TEST_PATH_RE
from catdetector.assess.model import Evidence
from catdetector.assess.vocab import MODEL_SUFFIXES

if TYPE_CHECKING:
    from catdetector.assess.code import CodeUnit
    from catdetector.assess.facts import Facts

BUILD_RE = re.compile(
    r"\bdocker(?:\s+buildx)?\s+(?:build|push)\b|docker/build-push-action|\bkaniko\b|"
    r"\bgcloud\s+builds\s+submit\b|\baz\s+acr\s+build\b|\bpodman\s+(?:build|push)\b"
)
PER_COMMIT_TAG_RE = re.compile(
    r":\s*\$\{\{\s*(?:github\.(?:sha|ref_name)|env\.\w*(?:SHA|VERSION|TAG)\w*|"
    r"steps\.[\w.-]*(?:sha|version|tag)\w*)\s*\}\}|"
    r":\$\{?(?:GITHUB_SHA|CI_COMMIT_SHA|CI_COMMIT_SHORT_SHA|CI_COMMIT_TAG|CIRCLE_SHA1|"
    r"BUILD_SOURCEVERSION|BITBUCKET_COMMIT|SHORT_SHA|COMMIT_SHA|GIT_COMMIT|\w*VERSION|"
    r"\w*TAG)\b|:\$\(Build\.SourceVersion\)|:\$\(git\s+rev-parse",
    re.I,
)
MODEL_INTO_CONTEXT_RE = re.compile(
    r"download-artifact|\bdvc\s+pull\b|\bdvc\s+get\b|\bmlflow\s+artifacts\s+download\b|"
    r"\b(?:aws\s+s3|gsutil|azcopy)\s+cp\b[^\n]*\bmodels?\b"
)
COPY_RE = re.compile(r"^\s*(?:COPY|ADD)\s+(?:--\S+\s+)*(.+?)\s+\S+\s*$", re.M | re.I)
PUBLISH_RE = re.compile(
    r"\btwine\s+upload\b|\b(?:poetry|uv|flit|hatch|pdm)\s+publish\b|\bbdist_wheel\b|\bsdist\b|"
    r"\bpython3?\s+-m\s+build\b"
)
PREPROCESSING_CLASS_RE = re.compile(
    r"(?:Encoder|Scaler|Vectori[sz]er|Imputer|Binarizer|Normali[sz]er|Discretizer|Tokenizer|"
    r"ColumnTransformer|PCA|Featuri[sz]er)$"
)


def model_dirs(f: Facts) -> set[str]:
    """Folders that hold model files, or that training writes model files to."""
    dirs = {posixpath.dirname(m.path) for m in f.model_files}
    for unit in f.training_units:
        for literal in re.findall(r"['\"]([\w./-]+)['\"]", unit.text):
            if posixpath.splitext(literal)[1].lower() in MODEL_SUFFIXES:
                dirs.add(posixpath.dirname(literal.lstrip("./")))
    return {d for d in dirs if d}


def _context_holds_model(f: Facts, ci_text: str, dockerfile: str) -> bool:
    """Whether copying the whole build context copies a model: a model file is in the
    repository (CI builds from a checkout: a git-ignored model is not in it), or the CI
    definition or the Dockerfile trains or fetches one before the copy is used."""
    if any(not TEST_PATH_RE.search(m.path) for m in f.model_files):
        return True
    texts = (ci_text, dockerfile)
    return any(CI_TRAIN_RE.search(t) or MODEL_INTO_CONTEXT_RE.search(t) for t in texts)


def _image_carries_model(f: Facts, ci_text: str) -> bool:
    if MODEL_INTO_CONTEXT_RE.search(ci_text):
        return True
    dirs = model_dirs(f)
    for info in f.index.texts():
        if not info.name.lower().startswith(("dockerfile", "containerfile")):
            continue
        for m in COPY_RE.finditer(info.text or ""):
            for source in m.group(1).split():
                src = source.strip("'\"[],").lstrip("./").rstrip("/")
                if src in ("", "*"):
                    if _context_holds_model(f, ci_text, info.text or ""):
                        return True
                elif src in dirs:
                    return True
                if posixpath.splitext(src)[1].lower() in MODEL_SUFFIXES:
                    return True
    return False


def versioned_images(f: Facts) -> list[Evidence]:
    """CI building an image tagged per commit or version that carries the model."""
    for path in f.ci_paths:
        text = f.index.text(path) or ""
        if not BUILD_RE.search(text):
            continue
        tag = PER_COMMIT_TAG_RE.search(text)
        if tag is None or not _image_carries_model(f, text):
            continue
        line = text.count("\n", 0, tag.start()) + 1
        detail = f"an image tagged per commit or version carries the model ({tag.group(0)})"
        return [Evidence(path, line, detail)]
    return []


_NAME_RE = re.compile(r"""\bname\s*=\s*['"]([\w.-]+)['"]""")
_PIN_RE = re.compile(r"^\s*([A-Za-z0-9][\w.-]*)\s*==\s*[\w.]+", re.M)


def published_packages(f: Facts) -> list[Evidence]:
    """A model saved inside a package that CI builds or publishes and a requirements file
    pins to an exact version."""
    if f.ci_find(PUBLISH_RE) is None:
        return []
    pins = {
        canonicalize_name(m.group(1))
        for info in f.index.texts()
        if info.name.lower().startswith("requirements") and not AUX_PATH_RE.search(info.path)
        for m in _PIN_RE.finditer(info.text or "")
    }
    training = [u.path for u in f.training_units if not TEST_PATH_RE.search(u.path)]
    for info in f.named("setup.py", "pyproject.toml"):
        folder = posixpath.dirname(info.path)
        if AUX_PATH_RE.search(info.path) or not folder:
            continue
        m = _NAME_RE.search(info.text or "")
        names = {canonicalize_name(posixpath.basename(folder))}
        if m:
            names.add(canonicalize_name(m.group(1)))
        if not names & pins or not any(p.startswith(folder + "/") for p in training):
            continue
        pinned = sorted(names & pins)[0]
        detail = f"the model ships in package {pinned}, published by CI and pinned to a version"
        return [Evidence(info.path, None, detail)]
    return []


def ways_back(f: Facts) -> list[Evidence]:
    """Versioned images and packages that carry the model, and models CI keeps per run as job
    artifacts that a deploy job ships (``ciartifacts``)."""
    return f.memo(
        "ways_back",
        lambda: versioned_images(f)
        + published_packages(f)
        + ci_artifact_deploys(f, model_dirs(f)),
    )


_PREPROCESSING_WORDS = ("Encoder", "Scaler", "Vector", "Imputer", "Binarizer", "Normali",
                        "Discretizer", "Tokenizer", "Transformer", "PCA", "Featuri")  # fmt: skip


def preprocessing_objects(unit: CodeUnit) -> set[str]:
    """Names assigned an encoder, scaler, vectoriser... object in ``unit`` (by its class)."""
    if not any(word in unit.text for word in _PREPROCESSING_WORDS):
        return set()
    tree = unit.tree
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        func = node.value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if PREPROCESSING_CLASS_RE.search(name):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found
