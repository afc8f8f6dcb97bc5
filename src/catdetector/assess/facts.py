"""Facts about a repository, derived once from the scan index and shared by all checks.

Everything is computed lazily from text already read by ``scan``; nothing here
touches the disk, imports the code it reads, or runs anything. YAML is parsed
with the safe loader, TOML with ``tomllib``, notebooks with ``json``.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from catdetector.assess import gitmeta
from catdetector.assess.model import Evidence
from catdetector.assess.scan import FileInfo, RepoIndex

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Rx:
    """A compiled regex with literal needles: the regex runs only if one of them occurs.

    Most files contain none of a check's needles, and ``str.__contains__`` is far
    cheaper than a regex scan, so this keeps one pass over 10,000 files fast.
    ``lower`` needles are looked up in the lower-cased text.
    """

    __slots__ = ("lower", "needles", "regex")

    def __init__(
        self, pattern: str, flags: int = 0, needles: tuple[str, ...] = (), *, lower: bool = False
    ) -> None:
        self.regex = re.compile(pattern, flags)
        self.needles = needles
        self.lower = lower

    def possible(self, text: str, lowered: str | None = None) -> bool:
        """Whether the regex can match (some needle occurs, or there are none)."""
        if not self.needles:
            return True
        hay = (lowered if lowered is not None else text.lower()) if self.lower else text
        for needle in self.needles:  # noqa: SIM110 (a loop is faster than any() here)
            if needle in hay:
                return True
        return False

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """``re.search`` behind the needle filter."""
        return self.regex.search(text) if self.possible(text, lowered) else None

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """``re.finditer`` behind the needle filter."""
        return self.regex.finditer(text) if self.possible(text, lowered) else iter(())


MODEL_SUFFIXES = frozenset(
    {
        ".h5",
        ".hdf5",
        ".keras",
        ".pkl",
        ".pickle",
        ".joblib",
        ".pt",
        ".pth",
        ".ckpt",
        ".onnx",
        ".pb",
        ".tflite",
        ".safetensors",
        ".skops",
        ".mlmodel",
        ".sav",
        ".cbm",
    }
)
DATA_SUFFIXES = frozenset(
    {
        ".csv",
        ".tsv",
        ".parquet",
        ".feather",
        ".arrow",
        ".tfrecord",
        ".tfrecords",
        ".npy",
        ".npz",
        ".jsonl",
        ".ndjson",
        ".avro",
        ".orc",
        ".xlsx",
        ".xls",
        ".jpg",
        ".jpeg",
        ".png",
        ".bmp",
        ".gif",
        ".tif",
        ".tiff",
        ".webp",
        ".wav",
        ".mp3",
        ".flac",
        ".zip",
        ".tar",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".7z",
        ".db",
        ".sqlite",
        ".sqlite3",
    }
)
DATA_DIR_NAMES = frozenset({"data", "dataset", "datasets", "raw_data", "training_data"})
NON_DATA_DIRS = frozenset(
    {
        "docs",
        "doc",
        "static",
        "assets",
        "templates",
        "public",
        "site",
        ".github",
        "images_docs",
        "img",
        "tests",
        "test",
        "examples",
        "fixtures",
        ".dvc",
    }
)
LOCK_NAMES = frozenset(
    {
        "poetry.lock",
        "uv.lock",
        "pipfile.lock",
        "pdm.lock",
        "conda-lock.yml",
        "conda-lock.yaml",
        "pixi.lock",
        "requirements.lock",
        "requirements-lock.txt",
        "requirements.lock.txt",
    }
)
WEB_MODULES = frozenset(
    {
        "flask",
        "fastapi",
        "starlette",
        "bottle",
        "tornado",
        "sanic",
        "aiohttp",
        "django",
        "falcon",
        "gradio",
        "streamlit",
        "bentoml",
        "litserve",
        "cherrypy",
        "quart",
        "connexion",
    }
)
DL_MODULES = frozenset(
    {
        "tensorflow",
        "keras",
        "torch",
        "jax",
        "flax",
        "pytorch_lightning",
        "lightning",
        "transformers",
        "mxnet",
        "paddle",
        "tf_keras",
        "torchvision",
        "timm",
    }
)
ML_MODULES = DL_MODULES | frozenset(
    {"sklearn", "xgboost", "lightgbm", "catboost", "statsmodels", "catdetector", "skops"}
)
MONITOR_MODULES = frozenset(
    {
        "prometheus_client",
        "prometheus_fastapi_instrumentator",
        "starlette_exporter",
        "evidently",
        "whylogs",
        "nannyml",
        "alibi_detect",
        "deepchecks",
        "opentelemetry",
        "statsd",
        "datadog",
        "ddtrace",
        "arize",
        "fiddler",
        "prometheus_flask_exporter",
    }
)
VALIDATION_MODULES = frozenset(
    {
        "pydantic",
        "marshmallow",
        "jsonschema",
        "cerberus",
        "voluptuous",
        "pandera",
        "great_expectations",
        "schema",
        "attrs",
        "msgspec",
    }
)

ROLE_MODULES = (
    WEB_MODULES
    | DL_MODULES
    | MONITOR_MODULES
    | VALIDATION_MODULES
    | frozenset({"airflow", "kfp", "zenml", "metaflow", "prefect", "dagster", "flytekit", "luigi"})
)

IMPORT_RE = Rx(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|"
    r"import[ \t]+([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*))",
    re.M,
    ("import",),
)
TRAIN_RE = Rx(
    r"\.fit(?:_generator)?\(|\btrainer\.train\(|optimizer\.step\(|\b(?:xgb|lgb|xgboost|lightgbm)"
    r"\.train\(|\.partial_fit\(|\btrain_model\(|\bfit_model\(",
    0,
    (".fit", "train", ".step(", "fit_model"),
)
SERVE_RE = Rx(
    r"@\w+\.(?:route|get|post|put|api_route|websocket)\(|\bFlask\(|\bFastAPI\(|uvicorn\.run\(|"
    r"\bgr\.Interface\(",
    0,
    ("@", "Flask(", "FastAPI(", "uvicorn.run", "gr.Interface"),
)
PREP_DEF_RE = Rx(
    r"^[ \t]*def[ \t]+(\w*(?:preprocess|pre_process|transform|featuri[sz]|normali[sz]|resize|"
    r"prepare_(?:image|input|features?)|load_image|clean|encode)\w*)[ \t]*\(",
    re.M | re.I,
    ("def ",),
)
PREP_STMT_RE = Rx(
    r"resize\(|/\s*255|\bnormali[sz]e\(|img_to_array\(|\.astype\(|preprocess_input\(|"
    r"StandardScaler\(|\bmean\s*=|\bstd\s*=|tokeni[sz]e|\.convert\(\s*['\"]",
    0,
    (
        "resize(",
        "255",
        "ormali",
        "img_to_array",
        ".astype(",
        "preprocess_input",
        "StandardScaler",
        "mean",
        "std",
        "tokeni",
        ".convert(",
    ),
)
SEED_RE = Rx(
    r"random_state\s*=\s*\w|\bseed\s*\(|manual_seed\(|set_seed\(|set_random_seed\(|"
    r"PYTHONHASHSEED|default_rng\(\s*\w|random\.Random\(\s*\w|\bseeds?\s*=\s*\w",
    re.I,
    ("seed", "random_state", "default_rng", "random.random("),
    lower=True,
)
PARAM_SEED_RE = re.compile(r"^\s*(?:random_)?(?:seeds?|random_state)\s*:", re.M | re.I)
LAPTOP_RE = Rx(
    r"['\"](?:/Users/|/home/|~/|[A-Za-z]:[\\/]+Users[\\/])[^'\"\n]*['\"]",
    0,
    ("/Users/", "/home/", "~/", "Users"),
)
STRING_RE = re.compile(r"['\"]([^'\"\n]{1,200})['\"]")
CONST_RE = re.compile(
    r"^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=[ \t]*(?:Path\(|os\.path\.join\(|pathlib\.Path\()?"
    r"[ \t]*[rfb]?['\"]([^'\"\n]+)['\"]",
    re.M,
)
WRITE_RE = Rx(
    r"\.(?:to_csv|to_parquet|to_pickle|to_json|to_feather|to_hdf|to_excel|save|savez|"
    r"savez_compressed|dump|write_text|write_bytes|save_model|save_weights|savefig|imwrite|"
    r"write|writerow|writerows)\(|\bopen\([^)\n]*,\s*(?:mode\s*=\s*)?['\"][wax]b?\+?['\"]|"
    r"\b(?:save|dump|imwrite|copyfile|copy2?|move)\(|FileHandler\(|INSERT\s+INTO",
    re.I,
    ("to_", "save", "dump", "write", "open(", "copy", "move(", "filehandler", "insert"),
    lower=True,
)
READ_RE = Rx(
    r"read_(?:csv|parquet|pickle|json|feather|hdf|excel|table|sql)\(|\.load(?:_model|_weights)?\(|"
    r"\bload(?:_model|_img)?\(|\bopen\(|\bimread\(|\bglob\(|listdir\(|\.iterdir\(|\.rglob\(|"
    r"flow_from_directory\(|image_dataset_from_directory\(|ImageFolder\(|\bFROM\s+\w+|"
    r"InferenceSession\(|\bconnect\(",
    0,
    (
        "read_",
        "load",
        "open(",
        "imread",
        "glob(",
        "listdir(",
        "iterdir(",
        "flow_from_directory",
        "image_dataset_from_directory",
        "ImageFolder(",
        "FROM",
        "InferenceSession(",
        "connect(",
    ),
)
SQL_INSERT_RE = Rx(
    r"INSERT\s+INTO\s+[`'\"]?(\w+)",
    re.I,
    ("insert",),
    lower=True,
)
SQL_FROM_RE = re.compile(r"\bFROM\s+[`'\"]?(\w+)", re.I)
TEST_PATH_RE = re.compile(
    r"(?:^|/)(?:tests?|testing)/|(?:^|/)(?:test_[^/]*|[^/]*_test|conftest)\.py$"
)
TEST_BODY_RE = Rx(
    r"^\s*(?:async\s+)?def\s+test|^\s*class\s+Test|unittest",
    re.M,
    ("def test", "class Test", "unittest"),
)
ROUTE_RE = Rx(
    r"@\w+\.(?:route|get|post|put|patch|delete|api_route|websocket)\(|\.add_url_rule\(|"
    r"\.add_api_route\(|\bgr\.Interface\(|\bst\.(?:file_uploader|text_input|number_input)\(",
    0,
    ("@", "add_url_rule", "add_api_route", "gr.Interface", "st."),
)
PIPELINE_CODE_RE = {
    "airflow": re.compile(r"\bDAG\("),
    "kfp": re.compile(r"dsl\.pipeline|@pipeline|\bdsl\.component"),
    "zenml": re.compile(r"@pipeline"),
    "metaflow": re.compile(r"FlowSpec"),
    "prefect": re.compile(r"@flow"),
    "dagster": re.compile(r"@(?:job|asset|op)\b"),
    "flytekit": re.compile(r"@workflow"),
    "luigi": re.compile(r"luigi\.Task"),
}
TRAIN_WORD_RE = re.compile(r"train|fit\b", re.I)
CI_PATTERNS = (
    re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"),
    re.compile(r"^\.gitlab-ci\.ya?ml$"),
    re.compile(r"^(?:.*/)?Jenkinsfile$"),
    re.compile(r"^\.circleci/config\.ya?ml$"),
    re.compile(r"^azure-pipelines\.ya?ml$"),
    re.compile(r"^bitbucket-pipelines\.ya?ml$"),
    re.compile(r"^\.travis\.ya?ml$"),
    re.compile(r"^\.drone\.ya?ml$"),
    re.compile(r"^\.buildkite/[^/]+\.ya?ml$"),
    re.compile(r"^cloudbuild\.ya?ml$"),
    re.compile(r"^\.woodpecker(?:\.ya?ml|/[^/]+\.ya?ml)$"),
    re.compile(r"^\.ci/run$"),
)
CI_TEST_RE = re.compile(
    r"\b(?:pytest|py\.test|unittest|tox|nox|make\s+(?:test|check)\w*|hatch\s+(?:run\s+)?test|"
    r"npm\s+test|go\s+test|cargo\s+test)\b"
)
CI_TRAIN_RE = re.compile(
    r"\bdvc\s+(?:repro|exp\s+run)\b|\bcatdetector\s+(?:train|repro|pipeline)\b|\bmlflow\s+run\b|"
    r"\bkedro\s+run\b|\bsnakemake\b|\bpapermill\b|\bmake\s+train\w*|"
    r"\bpython3?\s+(?:-m\s+)?[\w./-]*train[\w-]*(?:\.py)?\b|\bzenml\s+pipeline\s+run\b|"
    r"\bdagster\s+job\b"
)
K8S_KIND_RE = Rx(
    r"^kind:\s*(?:Deployment|StatefulSet|DaemonSet|Service|Pod|InferenceService|"
    r"SeldonDeployment|ServingRuntime|Rollout|Ingress|KnativeService)\b",
    re.M,
    ("kind:",),
)
MONITOR_KIND_RE = Rx(
    r"^kind:\s*(?:ServiceMonitor|PodMonitor|PrometheusRule)\b",
    re.M,
    ("kind:",),
)
MONITOR_CMD_RE = Rx(
    r"\bcatdetector\s+(?:serve|monitor)\b",
    0,
    ("catdetector",),
)
PRED_LOG_RE = Rx(
    r"(?:log(?:ger|ging)?\.\w+|\.write|\.execute|\.insert\w*|\.add|\.append|\.info|\.log)\([^\n]*pred",
    re.I,
    ("pred",),
    lower=True,
)
VALIDATION_RE = Rx(
    r"\bBaseModel\b|\bvalidat\w*\(|HTTPException\(\s*(?:status_code\s*=\s*)?4\d\d|"
    r"abort\(\s*4\d\d|,\s*4\d\d\s*\)?\s*$|status(?:_code)?\s*=\s*4\d\d|MAX_CONTENT_LENGTH|"
    r"\.verify\(\)|content_type|mimetype|raise\s+(?:ValueError|TypeError|HTTPException)|"
    r"HTTPStatus\.(?:BAD_REQUEST|UNPROCESSABLE)",
    re.M,
)
REQUEST_READ_RE = Rx(
    r"request\.(?:files|get_json|json|form|data|args|body|stream)|\bUploadFile\b|"
    r"await\s+\w+\.read\(\)"
)
EVAL_RE = Rx(
    r"accuracy_score\(|classification_report\(|\.evaluate\(|f1_score\(|roc_auc_score\(|"
    r"confusion_matrix\(|mean_squared_error\(|\bevaluate\(",
    0,
    ("_score(", "classification_report(", "evaluate(", "confusion_matrix(", "mean_squared_error("),
)
GATE_WORD_RE = Rx(
    r"\b(?:gate|min_(?:accuracy|acc|f1|auc|precision|recall|score)|max_(?:loss|error|rmse|mae)|"
    r"fail[_-]?under|promotion_threshold|accuracy_threshold)\b|dvc\s+metrics\s+diff|"
    r"\bcatdetector\s+promote\b",
    re.I,
    ("gate", "min_", "max_", "fail", "threshold", "metrics", "promote"),
    lower=True,
)
GATE_CODE_RE = Rx(
    r"^\s*(?:assert|if|elif)\b[^\n]*\b\w*(?:accuracy|acc|f1|auc|score|rmse|mae|loss)\w*\b"
    r"\s*[<>]=?",
    re.M | re.I,
    ("acc", "f1", "auc", "score", "rmse", "mae", "loss"),
    lower=True,
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
REGISTRY_CODE_RE = Rx(
    r"register_model\(|registered_model_name\s*=|['\"]models:/",
    0,
    ("register_model(", "registered_model_name", "models:/"),
)
REGISTRY_CMD_RE = Rx(
    r"\b(?:catdetector\s+register|gto\s+(?:register|assign))\b",
    0,
    ("catdetector", "gto"),
)
GTO_TAG_RE = re.compile(r"^[A-Za-z0-9][\w.\-/]*(?:@v?\d+\.\d+\.\d+\S*|#[\w\-]+#\d+)$")
REQ_LINE_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
PY_VERSION_RE = re.compile(r"(\d+\.\d+)")
LOCK_INSTALL_RE = re.compile(
    r"\b(?:uv\s+sync|poetry\s+install|pipenv\s+(?:install|sync)|pdm\s+sync)"
)

TRAIN_TOKENS = frozenset({"train", "training", "trainer", "notebook", "notebooks", "research"})
SERVE_TOKENS = frozenset(
    {
        "serve",
        "serving",
        "server",
        "api",
        "app",
        "deploy",
        "deployment",
        "inference",
        "prod",
        "production",
        "web",
        "service",
        "backend",
        "predict",
        "docker",
        "dockerfile",
    }
)


_BLANK_RE = re.compile(
    r"(?P<s>[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:\\.|[^\"\\\n])*\"|"
    r"'(?:\\.|[^'\\\n])*'))|(?P<c>#[^\n]*)"
)


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    if m.group("c") is not None:
        return ""
    quote = text.lstrip("rRbBuUfF")[:1]
    start = text.index(quote)
    width = 3 if text[start : start + 3] == quote * 3 else 1
    head, body, tail = text[: start + width], text[start + width : -width], text[-width:]
    return head + re.sub(r"[^\n]", " ", body) + tail


def blank_strings(text: str) -> str:
    """The code with string contents blanked and comments removed; line numbers are kept."""
    return _BLANK_RE.sub(_blank, text)


def snippet(line: str, limit: int = 90) -> str:
    """One source line, trimmed for a report."""
    text = " ".join(line.strip().split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normpath(path: str, base: str = "") -> str | None:
    """A root-relative posix path, or None when it leaves the tree or is absolute."""
    path = path.strip().replace("\\", "/")
    if not path or path.startswith("/") or re.match(r"^[A-Za-z]:/", path) or "://" in path:
        return None
    if path.startswith("~"):
        return None
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    if joined == ".":
        return ""
    if joined.startswith("../") or joined == "..":
        return None
    return joined


def glob_root(path: str) -> str:
    """The directory part of a path before any glob character."""
    for i, ch in enumerate(path):
        if ch in "*?[":
            return path[:i].rstrip("/").rsplit("/", 1)[0] if "/" in path[:i] else ""
    return path.rstrip("/")


def line_numbers(text: str, regex: re.Pattern[str] | Rx) -> Iterator[tuple[int, re.Match[str]]]:
    """Yield (1-based line number, match) for each match, counting newlines once."""
    line = 1
    last = 0
    for m in regex.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        yield line, m


def _imports(text: str) -> set[str]:
    names: set[str] = set()
    for m in IMPORT_RE.finditer(text):
        if m.group(1):
            names.add(m.group(1))
        else:
            names.update(n.strip() for n in m.group(2).split(","))
    return names


@dataclass
class CodeUnit:
    """A Python file or the code cells of a notebook."""

    path: str
    kind: str
    text: str
    cells: list[int] | None = None
    found: dict[tuple[int, bool], list[tuple[int, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def lines(self) -> list[str]:
        """The lines of code."""
        return self.text.splitlines()

    @cached_property
    def code(self) -> str:
        """The text with strings blanked and comments removed (for matching code only)."""
        return blank_strings(self.text)

    @cached_property
    def lower(self) -> str:
        """The text, lower-cased (for needle look-ups)."""
        return self.text.lower()

    def matches(self, regex: Rx) -> bool:
        """Whether ``regex`` matches the code (not inside strings or comments)."""
        if regex.search(self.text, self.lower) is None:
            return False
        return regex.regex.search(self.code) is not None

    def iter_code(self, regex: Rx) -> Iterator[tuple[int, re.Match[str]]]:
        """(line number, match) of each match in the code."""
        if regex.search(self.text, self.lower) is None:
            return iter(())
        return line_numbers(self.code, regex.regex)

    @cached_property
    def imports(self) -> set[str]:
        """Dotted module names imported (not those quoted inside triple-quoted strings)."""
        names = _imports(self.text)
        top = {n.split(".", 1)[0] for n in names}
        if top & ROLE_MODULES and ('"""' in self.text or "'''" in self.text):
            names = _imports(self.code)
        return names

    @cached_property
    def top_imports(self) -> set[str]:
        """Top-level package names imported."""
        return {n.split(".", 1)[0] for n in self.imports}

    @cached_property
    def is_test(self) -> bool:
        """Whether the unit is test code."""
        return bool(TEST_PATH_RE.search(self.path))

    @cached_property
    def is_training(self) -> bool:
        """Whether the unit trains a model."""
        if self.is_test:
            return False
        if self.matches(TRAIN_RE):
            return True
        name = self.path.rsplit("/", 1)[-1].lower()
        return "train" in name and bool(self.top_imports & ML_MODULES)

    @cached_property
    def is_serving(self) -> bool:
        """Whether the unit serves predictions over the network."""
        if self.is_test:
            return False
        return bool(self.top_imports & WEB_MODULES) or self.matches(SERVE_RE)

    @cached_property
    def handles_requests(self) -> bool:
        """Whether the unit defines request handlers (routes) or reads requests."""
        return self.is_serving and (self.matches(ROUTE_RE) or self.matches(REQUEST_READ_RE))

    @cached_property
    def constants(self) -> dict[str, str]:
        """Module-level string constants (name -> literal), for path resolution."""
        return {m.group(1): m.group(2) for m in CONST_RE.finditer(self.text)}

    def evidence(self, line: int, detail: str) -> Evidence:
        """Evidence at a 1-based line of this unit (a cell number for notebooks)."""
        if self.cells is None:
            return Evidence(self.path, line, detail)
        cell = self.cells[line - 1] if 0 < line <= len(self.cells) else None
        prefix = f"cell {cell}: " if cell is not None else ""
        return Evidence(self.path, None, prefix + detail)

    def find(self, regex: Rx, *, raw: bool = False) -> list[tuple[int, str]]:
        """(line number, line) of each line where ``regex`` matches the code (or raw text)."""
        key = (id(regex), raw)
        cached = self.found.get(key)
        if cached is None:
            cached = self.found[key] = self._find(regex, raw)
        return cached

    def _find(self, regex: Rx, raw: bool) -> list[tuple[int, str]]:
        if regex.search(self.text, self.lower) is None:
            return []
        seen: set[int] = set()
        found: list[tuple[int, str]] = []
        lines = self.lines
        for number, _ in line_numbers(self.text if raw else self.code, regex.regex):
            if number not in seen and number <= len(lines):
                seen.add(number)
                found.append((number, lines[number - 1]))
        return found

    def path_literals(self, line: str) -> list[str]:
        """String literals on a line that look like paths, plus constants the line uses."""
        found = [s for s in STRING_RE.findall(line) if _looks_like_path(s)]
        consts = self.constants
        if consts:
            for word in re.findall(r"[A-Za-z_]\w*", line):
                value = consts.get(word)
                if value is not None and _looks_like_path(value):
                    found.append(value)
        return found


def _looks_like_path(value: str) -> bool:
    if " " in value.strip() or len(value) < 2 or value.startswith(("http:", "https:", "%")):
        return False
    dot = value.rfind(".")
    suffix = value[dot:].lower() if dot > 0 else ""
    return (
        "/" in value
        or suffix in MODEL_SUFFIXES
        or suffix in DATA_SUFFIXES
        or suffix in {".json", ".txt", ".log", ".yaml", ".yml", ".pkl"}
    )


def _notebook_unit(info: FileInfo) -> CodeUnit:
    """The code cells of a notebook, or (when the JSON is truncated) its strings."""
    text = info.text or ""
    try:
        nb = json.loads(text)
        cells = nb.get("cells", []) if isinstance(nb, dict) else []
    except (ValueError, AttributeError, RecursionError):
        strings: list[str] = []
        for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
            try:
                strings.append(json.loads(f'"{m.group(1)}"'))
            except ValueError:
                continue
        return CodeUnit(info.path, "ipynb", "".join(strings), [])
    lines: list[str] = []
    owners: list[int] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        src = "".join(source) if isinstance(source, list) else str(source)
        for line in src.splitlines():
            if line.lstrip().startswith(("%", "!")):
                line = ""
            lines.append(line)
            owners.append(number)
    return CodeUnit(info.path, "ipynb", "\n".join(lines), owners)


@dataclass
class Stage:
    """One DVC stage."""

    name: str
    file: str
    cmd: str
    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)


@dataclass
class Requirement:
    """One requirement line of an environment file."""

    name: str
    spec: str
    line: int | None

    @property
    def pinned(self) -> bool:
        """True for an exact pin (==, ===, a conda single '=', or a URL/hash pin)."""
        spec = self.spec.replace(" ", "")
        if spec.startswith(("===", "==")) and "*" not in spec:
            return True
        if re.match(r"^=\d", spec) and "*" not in spec:
            return True
        return spec.startswith("@") or "--hash" in spec


@dataclass
class EnvSpec:
    """An environment file (or a Dockerfile's installs)."""

    path: str
    kind: str
    reqs: dict[str, Requirement] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)
    python: tuple[str, int | None] | None = None
    uses_lock: bool = False

    @property
    def side(self) -> str:
        """'train', 'serve' or 'shared', from the path (Dockerfiles serve)."""
        tokens = set(re.split(r"[/._\-]+", self.path.lower()))
        if tokens & TRAIN_TOKENS:
            return "train"
        if self.kind == "dockerfile" or tokens & SERVE_TOKENS:
            return "serve"
        return "shared"


def _parse_requirement(text: str) -> tuple[str, str] | None:
    text = text.split(" #", 1)[0].strip().strip("'\"")
    if not text or text.startswith(("-", "#", ".", "/", "git+", "http")):
        return None
    text = text.split(";", 1)[0].strip()
    m = REQ_LINE_RE.match(text)
    if not m:
        return None
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(3).strip()


def _requirements_file(info: FileInfo) -> EnvSpec:
    spec = EnvSpec(info.path, "requirements")
    base = posixpath.dirname(info.path)
    for number, raw in enumerate(info.lines, start=1):
        line = raw.strip()
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            parts = line.split(None, 1) if " " in line else [line[:2], line[2:]]
            if len(parts) == 2:
                target = normpath(parts[1].strip(), base)
                if target is not None:
                    spec.includes.append(target)
            continue
        parsed = _parse_requirement(line)
        if parsed:
            spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], number)
    return spec


def _pyproject(info: FileInfo) -> EnvSpec | None:
    try:
        data = tomllib.loads(info.text or "")
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return None
    spec = EnvSpec(info.path, "pyproject")
    project = data.get("project", {})
    deps: list[Any] = list(project.get("dependencies", []) or [])
    poetry = data.get("tool", {}).get("poetry", {})
    for name, value in (poetry.get("dependencies", {}) or {}).items():
        if name.lower() == "python":
            continue
        deps.append(f"{name}{value if isinstance(value, str) and value[:1] in '=<>~!^' else ''}")
    for dep in deps:
        if isinstance(dep, str) and (parsed := _parse_requirement(dep)):
            spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], _line_of(info, dep))
    requires = project.get("requires-python")
    if isinstance(requires, str) and requires.startswith("=="):
        spec.python = (requires[2:].strip(), _line_of(info, "requires-python"))
    if not spec.reqs and not project and not poetry:
        return None
    return spec


def _line_of(info: FileInfo, needle: str) -> int | None:
    for number, line in enumerate(info.lines, start=1):
        if needle in line:
            return number
    return None


def _conda(info: FileInfo) -> EnvSpec | None:
    try:
        data = yaml.load(info.text or "", Loader=_YAML_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        return None
    spec = EnvSpec(info.path, "conda")
    for dep in data["dependencies"]:
        items = dep.get("pip", []) if isinstance(dep, dict) else [dep]
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, str):
                continue
            parsed = _parse_requirement(item)
            if parsed is None:
                continue
            name, version = parsed
            line = _line_of(info, item)
            if name == "python":
                m = PY_VERSION_RE.search(version)
                if m and version.lstrip("=").strip()[:1].isdigit():
                    spec.python = (m.group(1), line)
                continue
            spec.reqs[name] = Requirement(name, version, line)
    return spec


def _dockerfile(info: FileInfo) -> EnvSpec:
    spec = EnvSpec(info.path, "dockerfile")
    base = posixpath.dirname(info.path)
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(info.lines, start=1):
        if not buffer:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append((start, buffer + line))
        buffer = ""
    for number, line in logical:
        stripped = line.strip()
        m = re.match(r"(?i)^FROM\s+(?:--\S+\s+)?(?:\S+/)?python:(\d+\.\d+)", stripped)
        if m:
            spec.python = (m.group(1), number)
        if LOCK_INSTALL_RE.search(line):
            spec.uses_lock = True
        for install in re.finditer(r"\bpip3?\s+install\s+([^&;|]*)", line):
            tokens = install.group(1).split()
            i = 0
            while i < len(tokens):
                token = tokens[i]
                if token in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(tokens):
                    target = normpath(tokens[i + 1])
                    if target is not None:
                        spec.includes.append(target)
                        local = normpath(tokens[i + 1], base)
                        if local is not None and local != target:
                            spec.includes.append(local)
                    i += 2
                    continue
                if not token.startswith("-") and (parsed := _parse_requirement(token)):
                    spec.reqs[parsed[0]] = Requirement(parsed[0], parsed[1], number)
                i += 1
    return spec


def data_group(path: str, suffix: str) -> str | None:
    """The data group a path belongs to, or None when it is not data."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() in NON_DATA_DIRS:
            return None
        if part.lower() in DATA_DIR_NAMES:
            name = parts[-1].lower()
            if name in (".gitignore", ".gitkeep", ".keep") or name.startswith("readme"):
                return None
            if suffix in (".py", ".dvc", ".md", ".ipynb"):
                return None
            return "/".join(parts[: i + 1]) + "/"
    if suffix in DATA_SUFFIXES:
        return "/".join(parts[:-1]) + "/" if len(parts) > 1 else path
    return None


class Facts:
    """Lazily derived facts about one scanned repository."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.notes: list[str] = []

    # -- files ----------------------------------------------------------------------------
    @cached_property
    def by_name(self) -> dict[str, list[FileInfo]]:
        """Files by lower-case base name."""
        out: dict[str, list[FileInfo]] = {}
        for info in self.index.files.values():
            out.setdefault(info.name.lower(), []).append(info)
        return out

    def named(self, *names: str) -> list[FileInfo]:
        """Files with any of these base names (case-insensitive)."""
        return [f for n in names for f in self.by_name.get(n.lower(), [])]

    @cached_property
    def code_units(self) -> list[CodeUnit]:
        """Python files and notebooks whose text was read."""
        units: list[CodeUnit] = []
        for info in self.index.texts():
            if info.suffix == ".py":
                units.append(CodeUnit(info.path, "py", info.text or ""))
            elif info.suffix == ".ipynb":
                units.append(_notebook_unit(info))
        return units

    @cached_property
    def training_units(self) -> list[CodeUnit]:
        """Code that trains a model."""
        return [u for u in self.code_units if u.is_training]

    @cached_property
    def serving_units(self) -> list[CodeUnit]:
        """Code that serves predictions."""
        return [u for u in self.code_units if u.is_serving]

    @cached_property
    def test_units(self) -> list[CodeUnit]:
        """Test files that contain tests."""
        return [
            u
            for u in self.code_units
            if u.is_test and u.kind == "py" and TEST_BODY_RE.search(u.text, u.lower)
        ]

    @cached_property
    def source_units(self) -> list[CodeUnit]:
        """Code units that are not tests."""
        return [u for u in self.code_units if not u.is_test]

    @cached_property
    def config_texts(self) -> list[FileInfo]:
        """YAML, TOML, INI and CFG files that were read (not CI definitions)."""
        return [
            f
            for f in self.index.texts()
            if f.suffix in (".yaml", ".yml", ".toml", ".cfg", ".ini", ".json")
        ]

    @cached_property
    def data_files(self) -> list[tuple[FileInfo, str]]:
        """(file, group) for each data file: data directories and data suffixes, not models."""
        found: list[tuple[FileInfo, str]] = []
        for info in self.index.files.values():
            if info.suffix in MODEL_SUFFIXES:
                continue
            group = data_group(info.path, info.suffix)
            if group is not None:
                found.append((info, group))
        return found

    @cached_property
    def is_ml(self) -> bool:
        """Whether anything here looks like ML: training, models, data, pipelines, ML imports."""
        return bool(
            self.training_units
            or self.model_files
            or self.data_files
            or self.pipelines
            or any(u.top_imports & ML_MODULES for u in self.code_units)
        )

    # -- DVC ------------------------------------------------------------------------------
    @cached_property
    def dvc_initialized(self) -> bool:
        """Whether ``.dvc/`` exists."""
        return ".dvc" in self.index.dirs

    @cached_property
    def dvc_files(self) -> list[FileInfo]:
        """``*.dvc`` files."""
        return [f for f in self.index.files.values() if f.suffix == ".dvc" and f.name != ".dvc"]

    @cached_property
    def dvcfile_outs(self) -> dict[str, str]:
        """Output path -> the ``.dvc`` file tracking it."""
        outs: dict[str, str] = {}
        for info in self.dvc_files:
            base = posixpath.dirname(info.path)
            section = ""
            found = False
            for line in info.lines:
                top = re.match(r"^(\w+):", line)
                if top:
                    section = top.group(1)
                    continue
                m = re.match(r"^\s*-?\s*path:\s*(.+?)\s*$", line)
                if m and section == "outs":
                    target = normpath(m.group(1).strip("'\""), base)
                    if target is not None:
                        outs[target] = info.path
                        found = True
            if not found:
                target = normpath(info.name[: -len(".dvc")], base)
                if target:
                    outs[target] = info.path
        return outs

    @cached_property
    def dvc_yaml(self) -> list[tuple[FileInfo, dict[str, Any]]]:
        """Parsed ``dvc.yaml`` files."""
        parsed: list[tuple[FileInfo, dict[str, Any]]] = []
        for info in self.named("dvc.yaml", "dvc.yml"):
            if info.text is None:
                continue
            try:
                data = yaml.load(info.text, Loader=_YAML_LOADER)
            except (yaml.YAMLError, RecursionError, ValueError) as exc:
                self.notes.append(f"{info.path} is not valid YAML: {str(exc).splitlines()[0]}")
                continue
            if isinstance(data, dict):
                parsed.append((info, data))
        return parsed

    @cached_property
    def stages(self) -> list[Stage]:
        """Every stage of every ``dvc.yaml``."""
        stages: list[Stage] = []
        for info, data in self.dvc_yaml:
            base = posixpath.dirname(info.path)
            raw = data.get("stages")
            if not isinstance(raw, dict):
                continue
            for name, body in raw.items():
                if not isinstance(body, dict):
                    continue
                if isinstance(body.get("do"), dict):
                    body = body["do"]
                cmd = body.get("cmd", "")
                cmd_text = " && ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)
                if not cmd_text.strip():
                    continue
                wdir = body.get("wdir", ".")
                stage_base = normpath(str(wdir), base) if isinstance(wdir, str) else base
                stage_base = stage_base if stage_base is not None else base
                stages.append(
                    Stage(
                        name=str(name),
                        file=info.path,
                        cmd=cmd_text,
                        deps=_paths(body.get("deps"), stage_base),
                        outs=_paths(body.get("outs"), stage_base),
                        metrics=_paths(body.get("metrics"), stage_base)
                        + _paths(body.get("plots"), stage_base),
                    )
                )
        return stages

    @cached_property
    def dvc_tracked(self) -> set[str]:
        """Paths DVC versions: ``.dvc`` outputs, stage outs, metrics and plots."""
        tracked = set(self.dvcfile_outs)
        for stage in self.stages:
            tracked.update(stage.outs)
            tracked.update(stage.metrics)
        for info, data in self.dvc_yaml:
            base = posixpath.dirname(info.path)
            tracked.update(_paths(data.get("metrics"), base))
            tracked.update(_paths(data.get("plots"), base))
        tracked.discard("")
        return tracked

    @cached_property
    def pipeline_paths(self) -> set[str]:
        """Every path a pipeline declares (deps and outs)."""
        paths = set(self.dvc_tracked)
        for stage in self.stages:
            paths.update(stage.deps)
        return paths

    @cached_property
    def dvc_artifacts(self) -> list[tuple[str, str]]:
        """(dvc.yaml, name) of each ``artifacts:`` entry."""
        found: list[tuple[str, str]] = []
        for info, data in self.dvc_yaml:
            artifacts = data.get("artifacts")
            if isinstance(artifacts, dict):
                found.extend((info.path, str(name)) for name in artifacts)
        return found

    def dvc_covered(self, path: str) -> bool:
        """Whether DVC versions ``path`` (itself or a parent directory)."""
        tracked = self.dvc_tracked
        parts = path.split("/")
        return any("/".join(parts[:i]) in tracked for i in range(1, len(parts) + 1))

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

    # -- pipelines --------------------------------------------------------------------------
    @cached_property
    def pipelines(self) -> list[Evidence]:
        """Pipeline definitions found (dvc.yaml with stages, MLproject, orchestrators...)."""
        found: list[Evidence] = []
        seen: set[str] = set()
        for stage in self.stages:
            if stage.file not in seen:
                seen.add(stage.file)
                found.append(Evidence(stage.file, None, "DVC pipeline"))
        for name, kind in (("MLproject", "MLflow project"), ("Snakefile", "Snakemake workflow")):
            for info in self.named(name):
                found.append(Evidence(info.path, None, kind))
        pyproject = self.index.text("pyproject.toml") or ""
        if ".kedro.yml" in self.by_name or "[tool.kedro]" in pyproject:
            found.append(Evidence("pyproject.toml", None, "Kedro project"))
        for unit in self.source_units:
            for module, regex in PIPELINE_CODE_RE.items():
                if module in unit.top_imports and regex.search(blank_strings(unit.text)):
                    found.append(Evidence(unit.path, None, f"{module} pipeline"))
                    break
        return found

    @cached_property
    def training_stages(self) -> list[Stage]:
        """DVC stages that train (by name, command, or the training code they run)."""
        training_paths = {u.path for u in self.training_units}
        out: list[Stage] = []
        for stage in self.stages:
            by_words = TRAIN_WORD_RE.search(stage.name) or TRAIN_WORD_RE.search(stage.cmd)
            by_code = any(p in stage.cmd for p in training_paths) or any(
                d in training_paths for d in stage.deps
            )
            if by_words or by_code:
                out.append(stage)
        return out

    @cached_property
    def pipeline_trains(self) -> bool:
        """Whether some pipeline definition includes training."""
        if self.training_stages:
            return True
        for ev in self.pipelines:
            if ev.detail == "DVC pipeline" or ev.file is None:
                continue
            text = self.index.text(ev.file) or ""
            if TRAIN_WORD_RE.search(text):
                return True
        return False

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
        """Git tags shaped like GTO versions or stage assignments."""
        return [t for t in self.index.git.tags if GTO_TAG_RE.match(t)]

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
        return found

    @cached_property
    def script_texts(self) -> list[FileInfo]:
        """Shell scripts, Makefiles, CI and YAML files (places commands are written)."""
        names = {"makefile", "gnumakefile", "justfile", "jenkinsfile", "procfile"}
        return [
            f
            for f in self.index.texts()
            if f.suffix in (".sh", ".bash", ".yml", ".yaml", ".mk", ".toml")
            or f.name.lower() in names
            or f.path in self.ci_paths
        ]

    # -- environments ----------------------------------------------------------------------
    @cached_property
    def env_specs(self) -> list[EnvSpec]:
        """Requirement files, pyproject, Pipfile, conda environments, Dockerfiles."""
        specs: list[EnvSpec] = []
        for info in self.index.texts():
            if TEST_PATH_RE.search(info.path) and not info.path.endswith(".txt"):
                continue
            name = info.name.lower()
            requirements = name.startswith(("requirements", "constraints"))
            if requirements and info.suffix in (".txt", ".in", ".lock", ""):
                specs.append(_requirements_file(info))
            elif name == "pyproject.toml":
                if (spec := _pyproject(info)) is not None:
                    specs.append(spec)
            elif name in ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml"):
                if (spec := _conda(info)) is not None:
                    specs.append(spec)
            elif name.startswith(("dockerfile", "containerfile")) or info.suffix == ".dockerfile":
                specs.append(_dockerfile(info))
            elif name == "pipfile":
                spec = EnvSpec(info.path, "pipfile")
                section = ""
                for number, line in enumerate(info.lines, start=1):
                    if line.startswith("["):
                        section = line.strip()
                    elif section in ("[packages]", "[dev-packages]") and "=" in line:
                        key, _, value = line.partition("=")
                        value = value.strip().strip("'\"")
                        req = "" if value == "*" else value
                        name_ = re.sub(r"[-_.]+", "-", key.strip().strip("'\"")).lower()
                        spec.reqs[name_] = Requirement(name_, req, number)
                specs.append(spec)
        return specs

    @cached_property
    def lock_files(self) -> list[str]:
        """Lock files, and requirement files in which every line is an exact pin."""
        locks = [f.path for f in self.index.files.values() if f.name.lower() in LOCK_NAMES]
        for spec in self.env_specs:
            if spec.kind in ("requirements", "conda") and spec.reqs and spec.path not in locks:
                pinned = all(r.pinned for r in spec.reqs.values())
                compiled = "autogenerated by pip-compile" in (self.index.text(spec.path) or "")
                if pinned or compiled:
                    locks.append(spec.path)
        return sorted(locks)

    def effective(self, spec: EnvSpec, _seen: set[str] | None = None) -> dict[str, Requirement]:
        """A spec's requirements with its ``-r`` includes merged in."""
        seen = _seen if _seen is not None else set()
        seen.add(spec.path)
        merged: dict[str, Requirement] = {}
        by_path = {s.path: s for s in self.env_specs}
        for include in spec.includes:
            other = by_path.get(include)
            if other is not None and other.path not in seen and len(seen) < 16:
                merged.update(self.effective(other, seen))
        merged.update(spec.reqs)
        return merged

    def spec_locked(self, spec: EnvSpec) -> bool:
        """Whether installing ``spec`` gives exact versions."""
        locks = set(self.lock_files)
        if spec.path in locks or spec.uses_lock:
            return not [r for r in spec.reqs.values() if not r.pinned] or spec.path in locks
        if spec.kind in ("pyproject", "pipfile") and locks:
            return True
        reqs = self.effective(spec)
        includes_lock = any(i in locks for i in spec.includes)
        inline_unpinned = [r for r in spec.reqs.values() if not r.pinned]
        if includes_lock and not inline_unpinned:
            return True
        return bool(reqs) and all(r.pinned for r in reqs.values())

    # -- CI, deployment, monitoring ---------------------------------------------------------
    @cached_property
    def ci_paths(self) -> list[str]:
        """CI definitions."""
        return sorted(p for p in self.index.files if any(rx.match(p) for rx in CI_PATTERNS))

    @cached_property
    def ci_text(self) -> str:
        """CI definitions plus the scripts and Makefile they call (one level)."""
        parts = [self.index.text(p) or "" for p in self.ci_paths]
        text = "\n".join(parts)
        extra: list[str] = []
        if re.search(r"\bmake\b", text):
            extra.extend(f.text or "" for f in self.named("Makefile", "GNUmakefile"))
        if re.search(r"\b(?:tox|nox)\b", text):
            extra.extend(f.text or "" for f in self.named("tox.ini", "noxfile.py"))
        for token in set(re.findall(r"[\w./-]+\.(?:sh|bash|py)\b", text)):
            path = normpath(token)
            if path and path in self.index.files:
                extra.append(self.index.text(path) or "")
        return "\n".join([text, *extra])

    @cached_property
    def deployment_manifests(self) -> list[Evidence]:
        """Deployment manifests: Dockerfiles, compose, Kubernetes, Helm, PaaS files."""
        found: list[Evidence] = []
        simple = {
            "containerfile": "container image",
            "chart.yaml": "Helm chart",
            "kustomization.yaml": "Kustomize",
            "kustomization.yml": "Kustomize",
            "procfile": "Procfile",
            "fly.toml": "Fly.io app",
            "render.yaml": "Render blueprint",
            "serverless.yml": "Serverless",
            "serverless.yaml": "Serverless",
            "bentofile.yaml": "BentoML",
            "skaffold.yaml": "Skaffold",
        }
        for info in self.index.files.values():
            name = info.name.lower()
            if name.startswith("dockerfile") or info.suffix == ".dockerfile":
                found.append(Evidence(info.path, None, "container image (Dockerfile)"))
            elif name in simple:
                found.append(Evidence(info.path, None, simple[name]))
            elif re.match(r"^(?:docker-)?compose[\w.-]*\.ya?ml$", name):
                found.append(Evidence(info.path, None, "compose file"))
            elif (
                info.suffix in (".yaml", ".yml")
                and info.text
                and info.path not in self.ci_paths
                and K8S_KIND_RE.search(info.text)
                and "apiVersion:" in info.text
            ):
                found.append(Evidence(info.path, None, "Kubernetes manifest"))
        return found

    @cached_property
    def monitoring(self) -> list[Evidence]:
        """Signs of monitoring: metrics exporters, drift tools, prediction logs, alerts."""
        found: list[Evidence] = []
        for unit in self.source_units:
            modules = unit.top_imports & MONITOR_MODULES
            if modules:
                found.append(Evidence(unit.path, None, f"uses {', '.join(sorted(modules))}"))
        for unit in self.serving_units:
            for number, line in unit.find(PRED_LOG_RE, raw=True)[:1]:
                found.append(unit.evidence(number, f"logs predictions: {snippet(line)}"))
        for info in self.index.files.values():
            name = info.name.lower()
            lower = info.path.lower()
            if name in ("prometheus.yml", "prometheus.yaml", "alertmanager.yml") or (
                "grafana" in lower and info.suffix in (".json", ".yaml", ".yml")
            ):
                found.append(Evidence(info.path, None, "monitoring configuration"))
            elif (
                info.text and info.suffix in (".yaml", ".yml") and MONITOR_KIND_RE.search(info.text)
            ):
                found.append(Evidence(info.path, None, "Prometheus monitoring resource"))
        files = self.index.files
        manifests = [files[e.file] for e in self.deployment_manifests if e.file in files]
        for info in self.script_texts + manifests:
            if info.text and (m := MONITOR_CMD_RE.search(info.text)):
                found.append(Evidence(info.path, None, f"runs `{m.group(0)}` (logs and drift)"))
                break
        return found


def _paths(raw: Any, base: str) -> list[str]:
    """Paths from a DVC deps/outs/metrics list (strings or one-key dicts)."""
    out: list[str] = []
    items: Iterable[Any] = raw if isinstance(raw, list) else []
    for item in items:
        if isinstance(item, dict):
            names = [str(k) for k in item]
        elif isinstance(item, str):
            names = [item]
        else:
            continue
        for name in names:
            path = normpath(name, base)
            if path is not None:
                out.append(path)
    return out
