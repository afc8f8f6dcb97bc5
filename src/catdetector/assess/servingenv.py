"""Which environment serves the model, and which packages change what a model predicts.

Proof 1a of ``training-serving-skew`` (see ``skew.skew_severity``) needs the environment of
code that serves the model: an image or a requirements file tied, by what it runs or where
it lives, to code that loads a model and answers requests or scores batches. An image that
runs something else (a data updater, a training job, a notebook) is not the serving side.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import TYPE_CHECKING

from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.code import CodeUnit
from catdetector.assess.codepatterns import STRING_RE
from catdetector.assess.dockerfiles import command
from catdetector.assess.envfiles import EnvSpec
from catdetector.assess.text import Rx
from catdetector.assess.vocab import INFERENCE_NAME_RE, MODEL_SUFFIXES

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts

# packages whose version changes a prediction (ML, numeric and image libraries), by their
# distribution names; a web framework, server, client or linter does not
PREDICTION_PACKAGES = frozenset(
    {"scikit-learn", "sklearn", "xgboost", "lightgbm", "catboost", "statsmodels", "skops",
     "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-keras", "keras",
     "torch", "torchvision", "torchaudio", "jax", "jaxlib", "flax", "pytorch-lightning",
     "lightning", "transformers", "tokenizers", "sentence-transformers", "timm", "mxnet",
     "paddlepaddle", "onnx", "onnxruntime", "onnxruntime-gpu", "tflite-runtime", "catdetector",
     "numpy", "pandas", "scipy", "pillow", "opencv-python", "opencv-python-headless",
     "opencv-contrib-python", "opencv-contrib-python-headless", "scikit-image", "imageio",
     "imbalanced-learn", "category-encoders", "feature-engine", "prophet", "spacy", "nltk",
     "gensim", "sentencepiece", "librosa", "polars", "pyarrow", "h5py", "numba", "fastai"}
)  # fmt: skip

MODEL_LOAD_RE = Rx(
    r"\b(?:joblib|pickle|dill|cloudpickle|torch|skops\.io|sio)\.loads?\(|load_model\(|"
    r"from_pretrained\(|load_learner\(|InferenceSession\(|\.load_weights\(|load_state_dict\(|"
    r"\bBooster\(|\bpyfunc\.load|\bpipeline\(",
    0,
    ("load", "from_pretrained", "InferenceSession", "Booster(", "pipeline("),
)
MODEL_SERVER_RE = re.compile(
    r"^(?:\S*/)?(?:mlflow\s+models\s+serve|bentoml\s+serve|torchserve|tritonserver|"
    r"tensorflow_model_server|seldon-core-microservice|flask\s+run)\b"
)
_WEB_SERVERS = ("uvicorn", "gunicorn", "hypercorn", "daphne", "waitress-serve", "granian")


def predicts(f: Facts, unit: CodeUnit) -> bool:
    """Whether a unit serves or scores with a model: serving or batch-scoring code that loads
    a model itself or through the project modules it imports."""
    if unit.is_test or not (unit.is_serving or INFERENCE_NAME_RE.search(unit.path)):
        return False
    if unit.matches(MODEL_LOAD_RE) or _model_file_names(unit):
        return True
    by_path = {u.path: u for u in f.code_units}
    for name in unit.imports:
        for path in f.modules.module(name, posixpath.dirname(unit.path)):
            other = by_path.get(path)
            if other is not None and other.matches(MODEL_LOAD_RE):
                return True
    return False


def _model_file_names(unit: CodeUnit) -> list[str]:
    """File names with a model suffix among the unit's string literals and module constants."""
    names = (
        posixpath.basename(s.strip())
        for s in [*STRING_RE.findall(unit.text), *unit.constants.values()]
    )
    return [n for n in names if posixpath.splitext(n)[1].lower() in MODEL_SUFFIXES]


def served_model_names(f: Facts) -> set[str]:
    """Names of the model files production serving code names at a fixed path (a literal
    or a module constant ending with a model suffix, with no placeholder in its name)."""
    return set(serving_files_naming(f))


def serving_files_naming(f: Facts) -> dict[str, set[str]]:
    """Model file name -> the production serving files that name it (``served_model_names``
    by file: a file that only writes a name exports it, it does not serve it)."""

    def compute() -> dict[str, set[str]]:
        names: dict[str, set[str]] = {}
        for unit in f.serving_units:
            if AUX_PATH_RE.search(unit.path):
                continue
            for name in _model_file_names(unit):
                if "{" not in name:
                    names.setdefault(name, set()).add(unit.path)
        return names

    return f.memo("serving_files_naming", compute)


def overwritten_and_served(f: Facts, writes: list[tuple[str, str]], loaded: set[str]) -> set[str]:
    """Of the model files training writes at a fixed path (``writes``: name, writing file),
    those serving loads: read at a fixed path by serving code (``loaded``), or named by a
    serving file other than one that writes it (a file that writes a model and never reads it
    back exports it, as an app's download button does; it serves nothing)."""
    named = serving_files_naming(f)
    writers: dict[str, set[str]] = {}
    for name, path in writes:
        writers.setdefault(name, set()).add(path)
    return {n for n, paths in writers.items() if n in loaded or named.get(n, set()) - paths}


def image_serves(f: Facts, spec: EnvSpec) -> bool | None:
    """Whether an image serves the model, by what its command runs: True for a model server
    or a web server of code that predicts, False for a command that runs project code that
    does not predict, None when the command is unknown (none, a shell script)."""
    run = command(f.index.text(spec.path) or "")
    if not run:
        return None
    if any(MODEL_SERVER_RE.match(part.strip()) for part in re.split(r"&&|;", run)):
        return True
    try:
        words = shlex.split(run)
    except ValueError:
        words = run.split()
    base = posixpath.dirname(spec.path)
    files = f.modules.command_files(words, [base, ""])
    for i, word in enumerate(words):
        if posixpath.basename(word) in _WEB_SERVERS or (
            word == "run" and i and "streamlit" in words[i - 1]
        ):
            for target in words[i + 1 :]:
                if ":" in target and not target.startswith("-"):
                    files += f.modules.module(target.split(":", 1)[0], base)
                elif target.endswith(".py"):
                    files += [p for p in [f.modules.file(target, [base, ""])] if p]
    units = {u.path: u for u in f.code_units}
    found = [units[p] for p in files if p in units]
    if not found:
        return None
    return any(predicts(f, u) for u in found)


def serving_files(f: Facts, specs: list[EnvSpec]) -> set[str]:
    """The environment files of ``specs`` tied to code that serves the model (with the files
    they install from): an image whose command serves it, or a requirements file whose folder
    holds code that predicts."""

    def compute() -> set[str]:
        predicting = [u.path for u in f.code_units if predicts(f, u)]
        tied: set[str] = set()
        for spec in specs:
            if spec.kind == "dockerfile":
                ok = image_serves(f, spec) is True
            else:
                folder = posixpath.dirname(spec.path)
                ok = any(not folder or p.startswith(folder + "/") for p in predicting)
            if ok:
                tied.add(spec.path)
                tied.update(r.file for r in f.effective(spec).values() if r.file)
        return tied

    key = "serving_files:" + ",".join(sorted(s.path for s in specs))
    return f.memo(key, compute)
