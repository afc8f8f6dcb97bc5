"""Signs that a repository is about ML, read by structure (issue 22, ninth round).

Two things that looked like ML and are not, by themselves:

* an ML package imported and never used (``import sklearn as sc`` in a notebook that never
  names ``sc``): nothing of the package runs;
* CI running a general workflow engine's flow (``python flows/helloflow.py run``,
  ``prefect deployment run``): a flow is ML only when it trains, holds a model or data, or
  uses an ML package, which the other signs see.
"""

from __future__ import annotations

import re

from catdetector.assess.ci import CI_TRAIN_RE
from catdetector.assess.code import CodeUnit
from catdetector.assess.vocab import ML_MODULES

# the CI_TRAIN_RE alternatives that run any flow of a general engine, ML or not
_ENGINE_RUN_RE = re.compile(
    r"\bmetaflow\b.*\brun\b|\bpython3?\s+\S*flow\S*\.py\s+run\b|\bprefect\s+deployment\s+run\b|"
    r"\bairflow\s+dags\s+(?:trigger|test)\b|\bdagster\s+job\b"
)
_IMPORT_RE = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+?)[ \t]*$", re.M)
_FROM_RE = re.compile(r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+([\w \t,]+?)[ \t]*$", re.M)
_ANY_IMPORT_RE = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.M)


def engine_run_only(command_text: str) -> bool:
    """Whether CI's training command is only a general engine's flow run (nothing else in
    it matches a training command)."""
    return bool(_ENGINE_RUN_RE.search(command_text)) and not CI_TRAIN_RE.search(
        _ENGINE_RUN_RE.sub(" ", command_text)
    )


def _bound_names(code: str) -> tuple[set[str], bool]:
    """Names that imports of an ML package bind, and whether every such import was read
    (a parenthesised or starred import is not, and then the package counts as used)."""
    names: set[str] = set()
    for match in _IMPORT_RE.finditer(code):
        for part in match.group(1).split(","):
            words = part.split()
            if not words or words[0].split(".", 1)[0] not in ML_MODULES:
                continue
            names.add(words[2] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0])
    for match in _FROM_RE.finditer(code):
        if match.group(1).split(".", 1)[0] not in ML_MODULES:
            continue
        for part in match.group(2).split(","):
            words = part.split()
            if words:
                names.add(words[2] if len(words) == 3 and words[1] == "as" else words[0])
    read = {m.start() for m in _IMPORT_RE.finditer(code)} | {
        m.start() for m in _FROM_RE.finditer(code)
    }
    unread = [
        m for m in _ANY_IMPORT_RE.finditer(code)
        if m.start() not in read and _mentions_ml(code, m.start())
    ]  # fmt: skip
    return names, not unread


def _mentions_ml(code: str, start: int) -> bool:
    line = code[start : code.find("\n", start) if "\n" in code[start:] else len(code)]
    return any(re.search(rf"\b{re.escape(m)}\b", line) for m in _top_words(line) & ML_MODULES)


def _top_words(line: str) -> set[str]:
    return {w.split(".", 1)[0] for w in re.findall(r"[\w.]+", line)}


def uses_ml(unit: CodeUnit) -> bool:
    """Whether ``unit`` imports an ML package and uses a name that import binds."""
    if not unit.top_imports & ML_MODULES:
        return False
    code = unit.code
    names, read = _bound_names(code)
    if not read or not names:
        return True  # an import not read here: as before, the import is the evidence
    body = _IMPORT_RE.sub("", _FROM_RE.sub("", code))
    return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", body) for n in names)
