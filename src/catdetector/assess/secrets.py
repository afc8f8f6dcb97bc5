"""Secrets: key-shaped tokens and credential assignments in committed files (redacted)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catdetector.assess import secretkinds
from catdetector.assess.cisystems import AUX_PATH_RE
from catdetector.assess.codepatterns import TEST_PATH_RE
from catdetector.assess.composecreds import (
    LOCAL_SERVICE,
    compose_credentials,
    local_service_credential,
)
from catdetector.assess.gitignore import ignored_by
from catdetector.assess.model import Evidence, Severity, has_proof, proven
from catdetector.assess.pycalls import docstring_lines
from catdetector.assess.text import Rx, line_numbers
from catdetector.assess.vocab import SOURCE_SUFFIXES

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
    r"account[_-]?key|connection[_-]?string)(?:[_-]?key)?['\"]?\]?[ \t]*[:=][ \t]*"
    r"(?P<q>['\"]?)(?P<val>[^\s'\"#,;]{6,})(?P=q)",
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
    r"(?i)example|change[-_]?(?:me|this|it)|be[-_]changed|replace[-_]?me|your[_-]|xxxx|placeholder|dummy|fake|"
    r"redacted|\*\*\*|"
    r"<|>|\$|\{|\}|\(|\[|%|^none$|^null$|^true$|^false$|environ|getenv|secrets\.|settings\."
)
_VERSION_SPEC_RE = re.compile(r"^[\^~=<>!]*v?\d+(?:\.[\dxX*]+)+[\w.+-]*$")  # "^4.0.0": a package
_PEM_BODY_RE = re.compile(r"(?:\s|\\n|\\r|[#'\"])*[A-Za-z0-9+/]{16}")
_SAMPLE_TOKEN_RE = re.compile(r"(?i)EXAMPLE|SAMPLE|DUMMY|FAKE|PLACEHOLDER")
"""A key-shaped token that spells one of these words is a vendor's published sample (AWS's
AKIAIOSFODNN7EXAMPLE, lakeFS's AKIAIOSFOLKFSSAMPLES): a generated key spells no such
word by chance (well under one key in a thousand), so the word was put there on purpose."""
_FAKE_NAME_RE = re.compile(r"(?i)fake|dummy|example|sample|mock|placeholder")
_DOC_SUFFIXES = frozenset({".md", ".rst"})


def _would_commit(f: Facts, path: str) -> bool:
    if path == ".dvc/config.local" or path.startswith(".dvc/tmp/"):
        return False
    tracked = f.index.git.tracked
    if tracked is not None and f.index.git.readable:
        return path in tracked
    return not ignored_by(f.index.text(".gitignore") or "", path)  # not in git yet


DS_PLUGINS = (
    "KeywordDetector", "AWSKeyDetector", "PrivateKeyDetector", "GitHubTokenDetector",
    "GitLabTokenDetector", "SlackDetector", "StripeDetector", "OpenAIDetector",
    "JwtTokenDetector", "AzureStorageKeyDetector", "BasicAuthDetector", "TwilioKeyDetector",
    "SendGridDetector", "MailchimpDetector", "NpmDetector", "PypiTokenDetector",
    "DiscordBotTokenDetector", "ArtifactoryDetector", "TelegramBotTokenDetector",
)  # fmt: skip: detect-secrets' plugins, without its noisy high-entropy ones
BASIC_AUTH_RE = Rx(r"\w+://[^\s/:@'\"]+:[^\s/@'\"]{3,}@", 0, ("://",))
_DOCTEST_RE = re.compile(r"^\s*(?:>>>|\.\.\.)\s")
_AUTHOR_SAYS_NOT_SECRET_RE = re.compile(r"#\s*(?:noqa:?[^\n]*\bS10[5-7]\b|nosec\b)")
TEST_FIXTURE = " in a test, an example or documentation: not a production secret"
MARKED = " marked as not secret by its author (noqa/nosec)"


def _confirmed(line: str) -> list[str]:
    """The secret values detect-secrets confirms on ``line`` (its plugins, its placeholder,
    template, indirect-reference and allowlist-pragma filters)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    with transient_settings({"plugins_used": [{"name": name} for name in DS_PLUGINS]}):
        return [s.secret_value or "" for s in scan_line(line[:2000])]


KEYWORD_PLUGINS = ("KeywordDetector", "BasicAuthDetector")  # a key's name or a URL: no format
FORMAT_KINDS = frozenset(SECRET_KINDS) - {"cred"}  # assess's own token formats (AIza, hf_, sk-)
FORMAT_PROOF = "proof 2: a credential by its format ({what}), in a production file"
ENTROPY_PROOF = (
    "proof 2: a high-entropy value (detect-secrets' entropy limits) assigned to a secret-named "
    "key, in a production file"
)
WORD_PASSWORD = (
    " (a password is committed: change it and read it from the environment; a word, not a "
    "generated key, so HIGH)"
)


def _format_of(line: str) -> str | None:
    """The credential format detect-secrets' provider plugins (AWS, Azure storage, GitHub,
    GitLab, Slack, Stripe, Twilio, SendGrid, private keys, JWTs...) find on ``line``."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    names = [n for n in DS_PLUGINS if n not in KEYWORD_PLUGINS]
    with transient_settings({"plugins_used": [{"name": name} for name in names]}):
        found = list(scan_line(line[:2000]))
    return found[0].type if found else None


def high_entropy(value: str) -> bool:
    """Whether detect-secrets' entropy plugins, at their default limits (base64 4.5, hex
    3.0), call the whole value random."""
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    for plugin in (HexHighEntropyString(), Base64HighEntropyString()):
        with plugin.non_quoted_string_regex(is_exact_match=True):
            if any(plugin.analyze_string(value)):
                return plugin.calculate_shannon_entropy(value) > plugin.entropy_limit
    return False


def credential_proof(kind: str, value: str, line: str) -> str | None:
    """Proof 2 (CRITICAL): the value is a credential by its format (a provider's token, a
    private key, a JWT, or a token shape assess adds: Google, Hugging Face, OpenAI), or a
    high-entropy value assigned to a secret-named key. None for a keyword match alone (a word
    assigned to ``password``, a connection string whose password is a word): HIGH."""
    if kind in FORMAT_KINDS:
        return FORMAT_PROOF.format(what=SECRET_KINDS[kind])
    if (found := _format_of(line)) is not None:
        return FORMAT_PROOF.format(what=found)
    pair = secretkinds.credential_pair(value)
    raw = (pair[1] if pair else value).strip("'\"")
    return ENTROPY_PROOF if high_entropy(raw) else None


def _confirmed_credential(line: str, value: str, suffix: str) -> bool:
    """Code: detect-secrets confirms the line. Config files (unquoted ``KEY=value``, which its
    keyword plugin reads only in code): its value filters decide."""
    if suffix in SOURCE_SUFFIXES:
        return bool(_confirmed(line))
    from detect_secrets.filters import heuristic

    return not (
        heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_indirect_reference(line)
        or heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
    )


_ASSIGNED_RE = re.compile(r"\w+[ \t]*=[^=]")  # `$password = '...'` (PowerShell, PHP) assigns
_TEMPLATE_OPEN_RE = re.compile(r"\$\{|\{\{|\{%")
_TEMPLATE_CLOSE_RE = re.compile(r"\}\}?|%\}")


def _in_template(text: str, line_start: int, start: int) -> bool:
    """Whether ``start`` lies inside a template expression opened on its line (``${VAR:?msg}``,
    ``{{ var }}``, ``{% ... %}``) or right after a ``$`` that does not assign it
    (``$POSTGRES_PASSWORD:-x``): the name of a variable filled in later, not a value."""
    before = text[line_start:start]
    if before.endswith(("${", "$(", "$")) and not _ASSIGNED_RE.match(text, start):
        return True
    opened = [m.end() for m in _TEMPLATE_OPEN_RE.finditer(before)]
    return bool(opened) and _TEMPLATE_CLOSE_RE.search(before, opened[-1]) is None


def _candidates(text: str, suffix: str) -> dict[int, tuple[str, str]]:
    """line -> (kind, value) of key-shaped tokens and credential assignments (cheap regexes;
    credentials are confirmed by detect-secrets afterwards)."""
    found: dict[int, tuple[str, str]] = {}
    for number, m in line_numbers(text, SECRET_TOKEN_RE):
        if m.lastgroup == "pem" and not _PEM_BODY_RE.match(text, m.end()):
            continue  # a header with no key after it (`#   ...`) shows the format, holds no key
        if not _SAMPLE_TOKEN_RE.search(m.group(0)):
            found.setdefault(number, (m.lastgroup or "aws", m.group(0)))
    if suffix in _DOC_SUFFIXES:
        return found
    for regex in (SECRET_CRED_RE, BASIC_AUTH_RE):
        for number, m in line_numbers(text, regex):
            value = m.groupdict().get("val") or m.group(0)
            line_start = text.rfind("\n", 0, m.start()) + 1
            if _PLACEHOLDER_RE.search(value) or _FAKE_NAME_RE.search(text, line_start, m.end()):
                continue
            if _in_template(text, line_start, m.start()) or _VERSION_SPEC_RE.match(value):
                continue
            line_end = text.find("\n", m.end())
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            quoted = bool(m.groupdict().get("q"))
            if secretkinds.not_a_value(value, line, m.end() - line_start, quoted):
                continue
            if suffix in SOURCE_SUFFIXES and regex is SECRET_CRED_RE and not m.group("q"):
                continue
            found.setdefault(number, ("cred", value))
    return found


def secrets_committed(f: Facts) -> list[Evidence]:
    """Keys and credentials in files that are (or would be) committed; values are redacted.
    Credentials are confirmed by detect-secrets; tests, examples and docs are LOW."""
    ev: list[Evidence] = []
    notebooks = {u.path: u for u in f.code_units if u.kind == "ipynb"}
    from detect_secrets.filters.heuristic import is_lock_file

    local = compose_credentials(list(f.index.texts()))
    for info in f.index.texts():
        text = info.text or ""
        if not text or not _would_commit(f, info.path):
            continue
        unit = notebooks.get(info.path)
        if unit is not None:
            text = unit.text  # the cells' code, with the JSON's escaped quotes decoded
        candidates = _candidates(text, info.suffix)
        if not candidates or is_lock_file(info.path):
            continue  # a lock file names packages and hashes, never credentials
        lines = text.splitlines()
        aux = bool(AUX_PATH_RE.search(info.path) or TEST_PATH_RE.search(info.path))
        docs = docstring_lines(text) if info.suffix == ".py" else set()
        users = secretkinds.users_of(text)
        for number, (kind, value) in sorted(candidates.items()):
            line = lines[number - 1] if number <= len(lines) else ""
            if _DOCTEST_RE.match(line):
                continue
            if kind == "cred" and not _confirmed_credential(line, value, info.suffix):
                continue
            if "pragma: allowlist secret" in line:
                continue
            detail = f"{SECRET_KINDS[kind]} ({value[:3]}…)"
            proof = None
            if aux or number in docs:
                detail += TEST_FIXTURE
            elif _AUTHOR_SAYS_NOT_SECRET_RE.search(line):
                detail += MARKED
            elif kind == "cred" and local_service_credential(value, line, info.path, local):
                detail += LOCAL_SERVICE
            elif kind == "cred" and secretkinds.names_a_key(text, line):
                detail += secretkinds.NAME_VALUE
            elif reason := secretkinds.low_reason(info.path, kind, value, users, line):
                detail += reason
            elif (proof := credential_proof(kind, value, line)) is None:
                detail += WORD_PASSWORD
            where = unit.evidence(number, detail) if unit else None
            found = where or Evidence(info.path, number, detail)
            ev.append(proven(found, proof) if proof else found)
    low = (TEST_FIXTURE, MARKED, LOCAL_SERVICE, *secretkinds.LOW_REASONS)
    return sorted(ev, key=lambda e: e.detail.endswith(low))  # production secrets first


def secrets_severity(f: Facts, evidence: list[Evidence]) -> Severity:
    """Critical only on proof 2 (a credential by its format, or a high-entropy value assigned
    to a secret-named key, in a production file); high for a production password that is a
    word; low when every one is in a test, example or documentation file, an example env file
    or API-client collection, a well-known default or test value, or marked by its author as
    not secret."""
    if has_proof(evidence):
        return "critical"
    reasons = (TEST_FIXTURE, MARKED, LOCAL_SERVICE, *secretkinds.LOW_REASONS, "more")
    low = all(e.detail.endswith(reasons) for e in evidence)
    return "low" if low else "high"
