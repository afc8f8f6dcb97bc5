"""`catdetector demo` runs the whole story and every check passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli

EXPECTED_CHECKS = [
    "Bob's model beats the dummy baseline",
    "gto show agrees: prod holds v1",
    "Alice serves v1 from the registry and the DVC remote alone",
    "the gate refuses the worse v2",
    "Alice's server swaps to v2 with no restart",
    "gto show agrees: prod holds v2",
    "rollback: the server is back on v1 with no restart",
    "gto show agrees: prod holds v1 again",
    "bus factor: Alice rebuilds v1 with the same metrics",
]


@pytest.mark.slow  # the whole story: three trainings, a server
def test_demo_passes_every_check(tmp_path: Path) -> None:
    proc = cli("demo", "--workdir", str(tmp_path / "demo"), "--json", cwd=tmp_path, check=False)
    result = json.loads(proc.stdout)
    checks = {c["name"]: c for c in result["checks"]}
    assert list(checks) == EXPECTED_CHECKS, result["checks"]
    failed = [c for c in result["checks"] if not c["ok"]]
    assert not failed, failed
    assert proc.returncode == 0
    assert "byte-identical: True" in checks[EXPECTED_CHECKS[-1]]["detail"]
    # the gate's message reaches the narration and the check whole, hint included
    gate = next(s for s in result["steps"] if s["text"].endswith("-> refused"))
    refusal = checks["the gate refuses the worse v2"]["detail"]
    assert gate["detail"] == refusal and refusal.startswith("error: the gate refused v")
    assert refusal.endswith("(fix the model, or override with --force --reason TEXT)"), refusal
    # Alice's server read only the registry and the remote: its cache holds the bundles
    assert list((tmp_path / "demo/alice/cache/bundles").iterdir())


def test_demo_refuses_a_non_empty_workdir(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/file").write_text("x")
    proc = cli("demo", "--workdir", str(tmp_path / "busy"), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "busy/file").read_text() == "x"
