"""Committed credentials that are not production secrets: values in example and template
files, API-client collections, well-known default and test credentials (all LOW, still
listed), and matches that are no value at all (a reference, a sentence)."""

from __future__ import annotations

import math
import re
from collections import Counter

EXAMPLE_FILE = " in an example or template file: not a production secret"
API_CLIENT = " in an API-client collection (requests for testing): not a production secret"
DEFAULT_CREDENTIAL = (
    " a well-known default or development credential (user = password, service default): "
    "change it before deploying, not a leaked secret"
)
TEST_VALUE = " a value that says it is for tests or development: not a production secret"
NAME_VALUE = (
    " an identifier (a key's or a variable's name, or where the secret comes from), "
    "not a credential's value"
)
UI_TEXT = " in a localisation file (labels shown to users): not a credential"
_UI_TEXT_RE = re.compile(r"(?i)(?:^|/)(?:i18n|l10n|locales?|translations)/|\.pot?$")
COMMENTED = " on a commented-out line, not random (documentation): not a leaked secret"
LOW_REASONS = (
    EXAMPLE_FILE,
    API_CLIENT,
    DEFAULT_CREDENTIAL,
    TEST_VALUE,
    NAME_VALUE,
    UI_TEXT,
    COMMENTED,
)

_EXAMPLE_NAME_RE = re.compile(
    r"(?i)(?:^|[._-])(?:example|sample|template|dist|tmpl|tpl)(?:[._-]|$)"
)
_API_CLIENT_RE = re.compile(
    r"(?i)(?:^|/)[^/]*(?:bruno|postman|insomnia|thunder[-_]?client)[^/]*/|"
    r"\.(?:bru|http|rest)$|\.postman_(?:collection|environment)\.json$|"
    r"(?:^|/)insomnia[^/]*\.(?:json|ya?ml)$"
)
DEFAULT_VALUES = frozenset(
    {
        "postgres",
        "postgresql",
        "airflow",
        "mlflow",
        "mysql",
        "mariadb",
        "mongo",
        "redis",
        "rabbitmq",
        "guest",
        "admin",
        "administrator",
        "root",
        "toor",
        "user",
        "pass",
        "passwd",
        "password",
        "password1",
        "password123",
        "admin123",
        "secret",
        "changeme",
        "minio123",
        "minioadmin",
        "minio",
        "default",
        "test",
        "testing",
        "example",
        "letmein",
        "qwerty",
        "123456",
        "12345678",
        "superset",
        "grafana",
        "prefect",
        "jupyter",
        "kafka",
    }
)  # fmt: skip: default credentials of common services and images, and the words themselves
_TEST_WORDS = frozenset(
    {"test", "testing", "tests", "dev", "development", "ci", "demo", "local", "insecure"}
)
_WORDS_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_NAME_RE = re.compile(  # a value that is a name: one rule, two kinds
    r"^(?:(?P<variable>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"  # SECRET_KEY: an environment variable
    r"|(?P<identifier>[a-z]+(?:_[a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+))$"  # snake_case, camelCase
)
_REFERENCE_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+;?$")
_COMMENT_RE = re.compile(r"^\s*(?:#|//|--|;|REM\b)")
_USER_RE = re.compile(
    r"(?i)user(?:name)?['\"]?\]?[ \t]*[:=][ \t]*['\"]?([\w.@-]{2,})['\"]?[ \t]*(?:#.*)?$", re.M
)
_BASIC_USER_RE = re.compile(r"://([^\s/:@'\"]+):([^\s/@'\"]+)@")


_EXTERNAL_SECRET_RE = re.compile(r"(?m)^kind:[ \t]*['\"]?(?:Cluster)?ExternalSecret\b")
_SECRET_KEY_LINE_RE = re.compile(r"^[ \t]*-?[ \t]*secretKey[ \t]*:")


def names_a_key(text: str, line: str) -> bool:
    """In an External Secrets manifest, ``secretKey: x`` names the key a fetched secret is
    written to (its value comes from ``remoteRef``), not a credential."""
    return bool(_SECRET_KEY_LINE_RE.match(line)) and bool(_EXTERNAL_SECRET_RE.search(text))


def users_of(text: str) -> set[str]:
    """User names a file assigns (``POSTGRES_USER: airflow``, ``username = "x"``)."""
    return {m.group(1).lower() for m in _USER_RE.finditer(text)}


def value_name(value: str) -> str | None:
    """Whether a credential's value is a name rather than a value, and which kind:
    ``"variable"`` for an environment variable's name (``SECRET_KEY``, ``"DEX_PASSWORD"``:
    no value at all, dropped), ``"identifier"`` for a key's or a secret's name
    (``database_password``, ``accessKeyId``: listed LOW with ``NAME_VALUE``); None for a
    value, and for anything random-looking (a generated key stays a secret)."""
    m = _NAME_RE.match(value)
    if m is None or looks_random(value):
        return None
    return "variable" if m.group("variable") else "identifier"


_STORE_REF_RE = re.compile(
    r"arn:aws[\w-]*:(?:secretsmanager|ssm):[^\s'\"]+|projects/[^/\s'\"]+/secrets/[^\s'\"]+|"
    r"@Microsoft\.KeyVault\([^)]*\)|\bvault:[\w/.#-]+"
)  # AWS Secrets Manager/SSM ARNs, GCP Secret Manager names, Azure Key Vault and Vault refs


def store_reference(value: str, line: str) -> bool:
    """Whether the value is (part of) a reference into a secret store, which says where the
    secret comes from and holds none (``"valueFrom": "arn:aws:secretsmanager:...:secret:x"``,
    ``projects/p/secrets/api-key/versions/latest``)."""
    return any(value in m.group(0) for m in _STORE_REF_RE.finditer(line))


def not_a_value(value: str, line: str, end: int, quoted: bool) -> bool:
    """Whether a credential-shaped match is no value at all: an unquoted dotted reference
    (``data.accessToken``, ``var.db_password``) or the first word of a sentence or command
    (``token: openssl rand -hex 32``), or the name of an environment variable
    (``DEX_PASSWORD = "DEX_PASSWORD"``, ``ENV API_KEY = SECRET_KEY``), or a reference into a
    secret store (an AWS Secrets Manager ARN, a GCP Secret Manager name)."""
    if value_name(value) == "variable" or store_reference(value, line):
        return True
    if quoted:
        return False
    if _REFERENCE_RE.match(value):
        return True
    rest = line[end:].strip()
    return bool(rest) and not rest.startswith(("#", "//")) and value.isalpha()


def looks_random(value: str) -> bool:
    """A high-entropy value of mixed character classes (a generated key, not a word)."""
    if len(value) < 16:
        return False
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    counts = Counter(value)
    entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return classes >= 2 and entropy >= 3.5


def credential_pair(value: str) -> tuple[str, str] | None:
    """(user, password) of a ``scheme://user:password@`` value, or None."""
    m = _BASIC_USER_RE.search(value)
    return (m.group(1), m.group(2)) if m else None


def low_reason(path: str, kind: str, value: str, users: set[str], line: str = "") -> str | None:
    """Why a committed credential is not a production secret (the LOW detail), or None.
    Real tokens (AWS, hub, GitHub...) and random-looking values stay production secrets
    wherever they are."""
    pair = credential_pair(value)
    raw = (pair[1] if pair else value).strip("'\"").rstrip(")]}>")  # `(password: admin)`
    if kind != "cred" or looks_random(raw):
        return None
    if _API_CLIENT_RE.search(path):
        return API_CLIENT
    if _UI_TEXT_RE.search(path):
        return UI_TEXT
    if _EXAMPLE_NAME_RE.search(path.rsplit("/", 1)[-1]):
        return EXAMPLE_FILE
    secret = raw.lower()
    if secret in DEFAULT_VALUES or (pair and pair[0].lower() == secret) or secret in users:
        return DEFAULT_CREDENTIAL
    if _WORDS_RE.match(secret) and _TEST_WORDS & set(re.split(r"[-_]", secret)):
        return TEST_VALUE
    if value_name(raw):  # `secretKey: database_password`, `accessKey: accessKeyId`
        return NAME_VALUE
    if _COMMENT_RE.match(line):
        return COMMENTED  # `#   AWS_SECRET_ACCESS_KEY: 132456`: an e.g. in a comment
    return None
