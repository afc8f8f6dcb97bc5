"""One check of a real `catdetector monitor watch` against a registry clone, for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.serve.serving import Registry, clean_env
from tests.support import cli


def watch_once(
    reg: Registry,
    db: str | Path,
    tmp: Path,
    *flags: str,
    min_requests: int = 30,
    min_samples: int = 30,
    drift: bool = True,
) -> tuple[int, dict[str, Any], str]:
    """``monitor watch --max-checks 1 --json`` on ``reg``'s clone: exit status, last JSON
    line (empty when none) and stderr. ``drift=False`` sets thresholds no sample reaches."""
    params = tmp / "params.yaml"
    never = "  psi: 1000000\n  ks_p: 1.0e-300\n" if not drift else ""
    params.write_text(f"monitor:\n  min_samples: {min_samples}\n{never}")
    proc = cli(
        *("monitor", "watch", "--stage", "prod", "--max-checks", "1", "--every", "1s"),
        *("--log-db", str(db), "--params", str(params), "--registry", str(reg.proj)),
        *("--min-requests", str(min_requests), "--json", *flags),
        cwd=tmp,
        check=False,
        env=clean_env(),
    )
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    return proc.returncode, dict(lines[-1]) if lines else {}, proc.stderr
