"""Names that identify roles: file suffixes, folder names and Python modules."""

from __future__ import annotations

import re

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
# source code of a programming language (its string values are quoted): code wherever it lies,
# even in a folder named data/ (a website's data/*.ts), never a data file
SOURCE_SUFFIXES = frozenset(
    {".py", ".ipynb", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".go", ".rs",
     ".scala", ".r", ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".swift", ".jl"}
)  # fmt: skip
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
PICTURE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg", ".tif", ".tiff", ".ico"}
)
DATA_DIR_NAMES = frozenset({"data", "dataset", "datasets", "raw_data", "training_data"})
# "data" as a word of a path (``/data``, ``my_data``, ``datasets``, ``datalake``), not the
# start of another word (``/dev-databricks-experiment`` is a Databricks workspace name)
DATA_WORD_RE = re.compile(r"(?i)data(?:sets?|lakes?|stores?|bases?)?(?![a-z])")
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
        "logs",  # what a running service wrote (prediction logs), not data to train on
        "log",
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
    # packages that are a pretrained model behind one call (``Detoxify("original")``,
    # ``DiffusionPipeline.from_pretrained``): ML, though no deep-learning import is written
    | {"detoxify", "diffusers"}
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

# a fitted encoder, scaler or vectorizer is preprocessing, not a model
PREPROCESSING_FIT_RE = re.compile(
    r"(?:Encoder|Scaler|Vectorizer|Imputer|Binarizer|Normalizer|Discretizer|Tokenizer)\w*"
    r"\([^()]*\)\.fit"
)

INFERENCE_NAME_RE = re.compile(
    r"(?:^|/)(?:predict|inference|infer|serve|serving|score|batch)\w*\.py$", re.I
)  # files named for prediction: `predict.py`, Azure ML's `score.py`, `batch_inference.py`
