"""Which predictions a monitoring output counts: durations, ``--since``, the window in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from catdetector.core.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

__all__ = ["parse_duration", "parse_since", "window_text"]


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``5m``, ``1h``, ``2d``, ``1w`` (or a bare number of seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not match or float(match.group(1)) <= 0:
        raise UsageError(
            f"not a duration: {text!r}", hint="use a positive number with s, m, h, d or w: 10m"
        )
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A UTC datetime from an ISO time (``2026-12-03T09:00``) or a look-back (``2h``)."""
    now = now or datetime.now(UTC)
    if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*[smhdw]?\s*", text or ""):
        return now - timedelta(seconds=parse_duration(text))
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"--since {text!r} is neither an ISO time nor a duration",
            hint="e.g. 2026-12-03T09:00:00Z or 2h",
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def window_text(since: str | None) -> str:
    """``all logged predictions`` or ``predictions logged since <time>``."""
    return f"predictions logged since {since}" if since else "all logged predictions"
