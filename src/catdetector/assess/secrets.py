"""Secrets: key-shaped tokens and credential assignments in committed files (redacted)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess import gitmeta
from catdetector.assess.model import Evidence
from catdetector.assess.text import Rx, line_numbers

if TYPE_CHECKING:
    from catdetector.assess.facts import Facts


SECRET_TOKEN_RE = Rx(
    r"(?P<aws>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)|"
    r"(?P<pem>-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)|"
    r"(?P<github>\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,})|"
    r"(?P<slack>\bxox[abprs]-[A-Za-z0-9-]{10,})|"
    r"(?P<google>\bAIza[0-9A-Za-z_\-]{35}\b)|"
    r"(?P<sk>\bsk-(?:proj-|ant-|live_)?[A-Za-z0-9_\-]{20,})|"
    r"(?P<hf>\bhf_[A-Za-z0-9]{30,}\b)",
    0,
    (
        "AKIA",
        "ASIA",
        "-----BEGIN",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "xox",
        "AIza",
        "sk-",
        "hf_",
    ),
)
SECRET_CRED_RE = Rx(
    r"(?:secret|token|passw(?:or)?d|api[_-]?key|access[_-]?key(?:[_-]?id)?|private[_-]?key|"
    r"account[_-]?key|connection[_-]?string)['\"]?\]?[ \t]*[:=][ \t]*"
    r"(?P<q>['\"]?)(?P<val>[^\s'\"#,;]{8,})(?P=q)",
    re.I,
    ("secret", "token", "passw", "key", "connection"),
    lower=True,
)
SECRET_KINDS = {
    "aws": "AWS access key id",
    "pem": "private key",
    "github": "GitHub token",
    "slack": "Slack token",
    "google": "Google API key",
    "sk": "API secret key",
    "hf": "Hugging Face token",
    "cred": "credential",
}
_PLACEHOLDER_RE = re.compile(
    r"(?i)example|changeme|change_me|your[_-]|xxxx|placeholder|dummy|fake|redacted|\*\*\*|"
    r"<|>|\$|\{|\}|\(|\[|%|^none$|^null$|^true$|^false$|environ|getenv|secrets\.|settings\."
)
_FAKE_NAME_RE = re.compile(r"(?i)fake|dummy|example|sample|mock|placeholder")
_CODE_SUFFIXES = frozenset({".py", ".ipynb", ".js", ".ts", ".java", ".go", ".rs", ".scala", ".r"})
_DOC_SUFFIXES = frozenset({".md", ".rst"})


def _would_commit(f: Facts, path: str) -> bool:
    if path == ".dvc/config.local" or path.startswith(".dvc/tmp/"):
        return False
    tracked = f.index.git.tracked
    if tracked is not None and f.index.git.readable:
        return path in tracked
    patterns = [
        line.strip()
        for line in (f.index.text(".gitignore") or "").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    return not any(gitmeta.matches_pattern(path, p) for p in patterns)


def secrets_committed(f: Facts) -> list[Evidence]:
    """Keys and credentials in files that are (or would be) committed; values are redacted."""
    ev: list[Evidence] = []
    notebooks = {u.path: u for u in f.code_units if u.kind == "ipynb"}
    for info in f.index.texts():
        text = info.text or ""
        if not text or not _would_commit(f, info.path):
            continue
        unit = notebooks.get(info.path)
        if unit is not None:
            text = unit.text  # the cells' code, with the JSON's escaped quotes decoded
        found: dict[int, str] = {}
        for number, m in line_numbers(text, SECRET_TOKEN_RE):
            if "EXAMPLE" not in m.group(0):
                found.setdefault(
                    number, f"{SECRET_KINDS[m.lastgroup or 'aws']} ({m.group(0)[:4]}…)"
                )
        if info.suffix not in _DOC_SUFFIXES:
            for number, m in line_numbers(text, SECRET_CRED_RE):
                value = m.group("val")
                line_start = text.rfind("\n", 0, m.start()) + 1
                if _PLACEHOLDER_RE.search(value) or _FAKE_NAME_RE.search(text, line_start, m.end()):
                    continue
                if info.suffix in _CODE_SUFFIXES and not m.group("q"):
                    continue
                if not (re.search(r"[\dA-Z/+=_-]", value) or len(value) >= 16):
                    continue
                found.setdefault(number, f"credential ({value[:3]}…)")
        for number, detail in sorted(found.items()):
            where = unit.evidence(number, detail) if unit else None
            ev.append(where or Evidence(info.path, number, detail))
    return ev
