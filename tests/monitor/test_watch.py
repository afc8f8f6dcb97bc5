"""`catdetector monitor watch`: a real server follows a real registry, fed shifted inputs.

With --rollback-on-alarm the watch rolls prod back (a tag with the reason, pushed)
and the running server follows to the previous version; without it, it only alerts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catdetector.monitor import store as store_mod
from tests.monitor.shifted import darken, fresh_sample
from tests.serve.serving import Registry, Server, clean_env, serving
from tests.support import cli, git

N = 40  # inputs per phase; the test thresholds need 30
PARAMS = "monitor:\n  min_samples: 30\n"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    """Fresh inputs from the training generator, and the same much darker."""
    fresh = fresh_sample(tmp_path_factory.mktemp("watch-inputs"), N, seed=31337)
    return {"fresh": fresh, "dark": [darken(b) for b in fresh]}


@pytest.fixture
def setup(registry: Registry, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A private registry copy, a server following its prod and logging to SQLite."""
    reg = registry.private_copy(tmp_path / "reg")
    db = tmp_path / "log.sqlite"
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS)
    args = ["--registry", reg.url, "--stage", "prod", "--log-db", str(db)]
    with serving(args, tmp_path, clean_env()) as server:
        yield {"reg": reg, "db": db, "params": params, "server": server, "tmp": tmp_path}


def _feed(server: Server, inputs: list[bytes], version: str, db: Path) -> None:
    """Send every input; wait until the log holds them all for ``version``."""
    for data in inputs:
        resp = server.predict(data)
        assert resp.status_code == 200 and resp.json()["version"] == version, resp.text
    deadline = time.monotonic() + 30
    while True:
        log = store_mod.open(db)
        try:
            count = log.count_predictions(version)
        finally:
            log.close()
        if count >= len(inputs):
            return
        assert time.monotonic() < deadline, f"{count} of {len(inputs)} records of {version}"
        time.sleep(0.1)


def _watch(
    s: dict[str, Any], *args: str, json_out: bool = True, cwd: Path | None = None
) -> tuple[int, list[dict[str, Any]], str]:
    """Run `monitor watch` on the setup's log and registry: exit code, JSON checks, output."""
    where = [] if cwd else ["--registry", str(s["reg"].proj)]
    proc = cli(
        "monitor",
        "watch",
        "--stage",
        "prod",
        "--every",
        "1s",
        "--log-db",
        str(s["db"]),
        "--params",
        str(s["params"]),
        *where,
        *(["--json"] if json_out else []),
        *args,
        cwd=cwd or s["tmp"],
        check=False,
        env=clean_env(),
    )
    if not json_out:
        return proc.returncode, [], proc.stdout + proc.stderr
    checks = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, checks, proc.stderr


@pytest.mark.slow  # a registry, a server, a rollback (33 s of CPU)
def test_rollback_on_alarm_and_the_server_follows(
    setup: dict[str, Any], images: dict[str, list[bytes]]
) -> None:
    reg: Registry = setup["reg"]
    server: Server = setup["server"]
    assert reg.prod() == reg.v1
    server.wait_version(reg.v1)

    # the training distribution: the check passes
    _feed(server, images["fresh"], reg.v1, setup["db"])
    code, checks, err = _watch(setup, "--checks", "2", "--max-checks", "1", "--rollback-on-alarm")
    assert code == 0, (checks, err)
    assert [(c["version"], c["alarm"]) for c in checks] == [(reg.v1, False)]
    assert checks[0]["requests"] >= N

    # v2 goes to prod and is fed much darker inputs: two alarms in a row roll it back
    reg.promote(reg.v2, "watch test")
    server.wait_version(reg.v2)
    _feed(server, images["dark"], reg.v2, setup["db"])
    code, checks, err = _watch(setup, "--checks", "2", "--max-checks", "3", "--rollback-on-alarm")
    assert [(c["version"], c["alarm"], c["streak"]) for c in checks[:2]] == [
        (reg.v2, True, 1),
        (reg.v2, True, 2),
    ], (checks, err)
    assert any(a.startswith("drift of brightness") for a in checks[0]["alarms"])
    assert checks[0]["rolled_back_to"] is None
    assert checks[1]["rolled_back_to"] == reg.v1 and checks[1]["pushed"] is True
    # after the rollback: v1 again, with nothing served since it came back
    assert checks[2]["version"] == reg.v1 and checks[2]["alarm"] is False
    assert code == 0

    # plain gto on the origin agrees, the tag says why, and the running server follows
    assert reg.prod() == reg.v1
    message = git(
        "for-each-ref",
        "--format=%(contents)",
        f"refs/tags/{checks[1]['rollback_tag']}",
        cwd=reg.origin,
    )
    assert message.startswith("catdetector rollback: prod from " + reg.v2)
    assert "monitor watch: 2 checks in a row" in message and "drift of brightness" in message
    server.wait_version(reg.v1)
    history = json.loads(cli("history", "--json", cwd=reg.proj).stdout)
    assert history[-1]["kind"] == "rollback" and history[-1]["version"] == reg.v1


@pytest.mark.slow  # a registry and a server (13 s of CPU)
def test_without_the_flag_it_only_alerts(
    setup: dict[str, Any], images: dict[str, list[bytes]]
) -> None:
    reg: Registry = setup["reg"]
    server: Server = setup["server"]
    server.wait_version(reg.v1)
    _feed(server, images["dark"], reg.v1, setup["db"])
    code, checks, err = _watch(setup, "--checks", "1", "--max-checks", "2")
    assert code == 1, (checks, err)
    assert [(c["version"], c["alarm"], c["streak"]) for c in checks] == [
        (reg.v1, True, 1),
        (reg.v1, True, 2),
    ]
    assert all(c["rolled_back_to"] is None for c in checks)
    assert reg.prod() == reg.v1
    # the window is named, and `monitor report --since` that time counts the same requests
    since = checks[-1]["since"]
    assert since and f"predictions logged since {since} of {reg.v1}" in checks[-1]["window"]
    assert f"since prod got {reg.v1}" in checks[-1]["window"]
    reported = json.loads(
        cli(
            "monitor",
            "report",
            "--log-db",
            str(setup["db"]),
            "--since",
            since,
            "--params",
            str(setup["params"]),
            "--json",
            cwd=setup["tmp"],
            check=False,
            env=clean_env(),
        ).stdout
    )
    [mine] = [v for v in reported if v["version"] == reg.v1]
    assert mine["requests"] == checks[-1]["requests"] and mine["window"].endswith(since)
    # the human form, run inside the registry clone: one ALARM line per check
    code, _, out = _watch(setup, "--max-checks", "1", json_out=False, cwd=reg.proj)
    assert code == 1 and f"ALARM prod {reg.v1}" in out
    assert "window: predictions logged since" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--every", "soon"], 2, "not a duration"),
        (["--checks", "0"], 2, "--checks must be at least 1"),
        (["--max-checks", "0"], 2, "--max-checks must be at least 1"),
        (["--registry", "{outside}"], 8, "is not inside a catdetector project"),
    ],
)
def test_watch_bad_input(
    tmp_path: Path, trained_project: Path, args: list[str], code: int, message: str
) -> None:
    db = tmp_path / "log.sqlite"
    store_mod.open(db).close()
    args = [a.format(outside=tmp_path) for a in args]
    if "--registry" not in args:
        args += ["--registry", str(trained_project)]
    proc = cli(
        "monitor",
        "watch",
        "--log-db",
        str(db),
        "--max-checks",
        "1",
        *args,
        cwd=tmp_path,
        check=False,
        env=clean_env(),
    )
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_stage_with_nothing_in_it_is_a_failed_check(
    tmp_path: Path, trained_project: Path
) -> None:
    db = tmp_path / "log.sqlite"
    store_mod.open(db).close()
    proc = cli(
        "monitor",
        "watch",
        "--stage",
        "staging",
        "--log-db",
        str(db),
        "--max-checks",
        "1",
        "--json",
        "--registry",
        str(trained_project),
        cwd=tmp_path,
        check=False,
        env=clean_env(),
    )
    assert proc.returncode == 1
    [check] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert check["error"] == "no version is in staging" and check["version"] is None
