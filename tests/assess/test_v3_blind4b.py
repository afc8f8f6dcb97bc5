"""assess v3, rules from the spent blind4 (half b, branch g5b): general defects behind its
false CRITICALs. Every test fails on the engine before its fix (main at 6cb3979), except the
counter-checks named ``..._still_...``, which pass before and after and guard the rule from
going too far."""

from __future__ import annotations

from pathlib import Path

from tests.assess.builders import severity, write_tree


# ------------------------- 1. a default credential in brackets is still a default ----------
def test_a_default_password_echoed_in_brackets_is_low(tmp_path: Path) -> None:
    script = (
        'airflow users create --username admin --role Admin --password admin\n'
        'Write-Host "Done: Admin user created (username: admin, password: admin)"\n'
    )
    write_tree(tmp_path, {"scripts/setup_airflow.ps1": script})
    assert severity(tmp_path, "secrets-committed") == "low"


def test_a_real_password_in_brackets_is_still_critical(tmp_path: Path) -> None:
    script = 'Write-Host "Connect with (user: ml, password: Tq8vRz2LmX)"\n'
    write_tree(tmp_path, {"scripts/setup_db.ps1": script})
    assert severity(tmp_path, "secrets-committed") == "critical"
