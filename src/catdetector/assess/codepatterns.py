"""The patterns that identify what code does (trains, serves, reads, writes, tests) and the
path literals it names; ``code`` builds code units and facts on them."""

from __future__ import annotations

import re

from catdetector.assess.text import Rx
from catdetector.assess.vocab import DATA_SUFFIXES, MODEL_SUFFIXES

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

STRING_RE = re.compile(r"['\"]([^'\"\n]{1,200})['\"]")
CONST_RE = re.compile(
    r"^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=[ \t]*(?:Path\(|os\.path\.join\(|pathlib\.Path\()?"
    r"[ \t]*[rfb]?['\"]([^'\"\n]+)['\"]",
    re.M,
)
WRITE_RE = Rx(
    r"\.(?:to_csv|to_parquet|to_pickle|to_json|to_feather|to_hdf|to_excel|save|savez|"
    r"savez_compressed|dump|write_text|write_bytes|save_model|save_weights|savefig|imwrite|"
    r"write|writerow|writerows)\(|\bopen\([^)\n]*,\s*(?:mode\s*=\s*)?['\"][wax][bt+]*(?::\w*)?['\"]|"
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


REQUEST_READ_RE = Rx(
    r"request\.(?:files|get_json|json|form|data|args|body|stream)|\bUploadFile\b|"
    r"await\s+\w+\.read\(\)"
)


def looks_like_path(value: str) -> bool:
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


_READ_CALL_RE = re.compile(r"read_\w+\(|\.load\w*\(|\bload\w*\(|imread\(|glob\(|listdir\(")


def only_writes(line: str) -> bool:
    """Whether a line writes (``open(p, "w")``, ``tarfile.open(p, "w:gz")``, ``to_csv``,
    ``np.save``...) and reads nothing: its ``open(`` is not a read of data."""
    return WRITE_RE.search(line) is not None and _READ_CALL_RE.search(line) is None


JOINED_RE = re.compile(r"(?:\+|\bjoin\([^'\"]*,|/)\s*[rbuf]{0,2}$", re.I)


def joined_to_variable(line: str, start: int) -> bool:
    """Whether the literal starting at ``start`` of ``line`` is added or joined to something
    before it (``prefix + '/train/x.csv'``, ``os.path.join(train_dir, 'x.npy')``,
    ``root / 'x.csv'``): the suffix of a path whose root comes from elsewhere."""
    return JOINED_RE.search(line[:start]) is not None
