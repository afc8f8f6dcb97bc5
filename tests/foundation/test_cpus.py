"""How many predicts a server runs at once: the CPUs it may use, not the node's."""

from __future__ import annotations

import os

import pytest

from catdetector.core.config import ServeSettings


def test_lanes_follow_the_cpu_cap_not_the_machines_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    # LOKY_MAX_CPU_COUNT is joblib's documented cap; a pod's CPU quota (cgroup cpu.max)
    # lowers the same count, which os.sched_getaffinity alone never sees
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "1")
    assert ServeSettings(workers=1).predict_lanes() == 1


def test_lanes_without_a_cap_are_the_usable_cores_shared_by_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LOKY_MAX_CPU_COUNT", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert ServeSettings(workers=1).predict_lanes() == cores
    assert ServeSettings(workers=cores + 1).cores_per_worker() == 1
