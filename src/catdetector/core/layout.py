"""Where things live in a catdetector project (paths relative to its root)."""

from __future__ import annotations

from pathlib import Path

ARTIFACT = "catdetector"
# The prediction log's location for the server, `monitor` and `feedback` (else the default file).
LOG_DB_ENV = "CATDETECTOR_LOG_DB"
PARAMS = Path("params.yaml")
DVC_YAML = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")
RAW = Path("data/raw")
RAW_DVC = Path("data/raw.dvc")
PREPARED = Path("data/prepared")
MODEL_DIR = Path("models/catdetector")
LADDER_METRICS = Path("metrics/ladder.json")
TEST_METRICS = Path("metrics/test.json")
COSTS_REPORT = Path("reports/costs.json")
CONFUSION_PLOT = Path("plots/confusion.json")
ROC_PLOT = Path("plots/roc.json")
# Embeddings of the pretrained rung, by image content hash: gitignored (DVC's own tmp), no output.
EMBED_CACHE = Path(".dvc/tmp/catdetector/embeddings")
ENV_LOCK = Path("requirements.lock")
GTO_CONFIG = Path(".gto")  # GTO's config: the declared stages
CI_WORKFLOW = Path(".github/workflows/catdetector.yml")
CI_SCRIPT = Path("ci/continuous-training.sh")


def is_project(root: Path) -> bool:
    """True when ``root`` looks like a project that ``catdetector init`` made."""
    dvc_yaml = root / DVC_YAML
    if not (root / PARAMS).is_file() or not dvc_yaml.is_file() or not (root / ".dvc").is_dir():
        return False
    try:
        return "catdetector stage" in dvc_yaml.read_text(encoding="utf-8")
    except OSError:
        return False


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that is a catdetector project."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if is_project(candidate):
            return candidate
    return None
