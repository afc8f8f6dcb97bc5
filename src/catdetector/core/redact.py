"""The one redaction layer: credentials never reach an error, a log line or an HTTP body.

:func:`redact` masks, in any text: the userinfo of URLs (``https://user:token@host``),
the values of credential-like settings (names ending in ``_key`` or holding ``key``,
``secret``, ``token``, ``password``, ``passwd``, ``credential``; as ``name=value``,
``name: value`` or JSON), ``Authorization`` header values, and every value given
to :func:`register` (the secrets this process was started with) wherever it appears.
``CatDetectorError`` redacts its message at construction, :class:`RedactingFilter`
every log record, so route handlers that show an error or a setting show it clean.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Shorter values are not registered: masking "a" or "1" everywhere would garble text.
MIN_SECRET_LENGTH = 4
_SECRETS: set[str] = set()
_LOCK = threading.Lock()

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s'\"]+)@")
_NAME = r"[A-Za-z0-9_.-]*(?:_key|key|secret|token|password|passwd|credential)[A-Za-z0-9_.-]*"
_PAIR = re.compile(
    rf"(?i)(?P<name>\b{_NAME})"
    r"(?P<sep>\s*=\s*|\s*:\s*|[\"']\s*:\s*[\"']?)"
    r"(?P<value>(?!\*\*\*)[^\s,;&'\"|)}\]]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)(?P<head>authorization\s*[:=]\s*(?:[a-z]+\s+)?)(?P<value>[^\s,'\"]+)"
)
# Keys whose value is not secret although their name says "key" (booleans, file paths).
_HARMLESS_VALUES = frozenset({"true", "false", "none", "null", "0", "1", MASK})


def register(*values: str | None) -> None:
    """Mask these values (and their URL-decoded forms) in everything redacted from now on."""
    with _LOCK:
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH:
                _SECRETS.add(value)
                _SECRETS.add(unquote(value))


def registered() -> frozenset[str]:
    """The values registered so far (for tests and the start-up checks)."""
    with _LOCK:
        return frozenset(_SECRETS)


def _pair(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.lower() in _HARMLESS_VALUES:
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{MASK}"


def redact(text: str) -> str:
    """``text`` with every credential masked (idempotent)."""
    if not text:
        return text
    out = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    out = _AUTH_HEADER.sub(lambda m: f"{m.group('head')}{MASK}", out)
    out = _PAIR.sub(_pair, out)
    for secret in sorted(registered(), key=len, reverse=True):
        out = out.replace(secret, MASK)
    return out


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, user, password), both percent-decoded; the url as is if none."""
    if "://" not in url or "@" not in url:
        return url, None, None
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return clean, user, password


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, its arguments and any traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what we have, redacted
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        record.__dict__.pop("color_message", None)  # uvicorn's coloured copy, unformatted
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(
                "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_filter(*loggers: logging.Logger | str) -> None:
    """Add one :class:`RedactingFilter` to each handler of these loggers (root when none).

    Handler filters see records propagated from child loggers too (logger filters do not).
    """
    targets = [logging.getLogger(lg) if isinstance(lg, str) else lg for lg in loggers] or [
        logging.getLogger()
    ]
    for logger in targets:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
