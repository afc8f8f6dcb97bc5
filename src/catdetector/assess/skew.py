"""Training-serving skew: environments that differ or float, preprocessing written twice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess.code import CodeUnit
from catdetector.assess.environment import env_skew
from catdetector.assess.model import Evidence
from catdetector.assess.text import Rx, snippet

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


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


def training_serving_skew(f: Facts) -> list[Evidence]:
    """Environments that differ or float, or preprocessing written twice."""
    if not (f.training_units or f.serving_units or f.model_files or f.stages):
        return []
    return env_skew(f) + _preprocessing_skew(f)
