"""assess v3, fifth round (issue 22, branch b3a): general defect classes the third blind
corpus (blind3, now spent) showed in its first half, each as a small synthetic repository.
Every test here failed on the engine before its fix (main at b577334), except the
counter-checks named ``..._still_...``."""

from __future__ import annotations

from pathlib import Path

from catdetector.assess.checks import get_check
from catdetector.assess.facts import Facts
from catdetector.assess.model import Evidence
from catdetector.assess.scan import scan
from tests.assess.builders import TRAIN, Files, severity, write_tree

RANDOM_KEY = "Zq8vN2xR7tLm4" + "Wp9sKd3Hf6Yb"  # mixed case and digits, built at run time


def _secrets(root: Path, files: Files) -> list[Evidence]:
    write_tree(root, {**files, "train.py": TRAIN})
    return get_check("secrets-committed").func(Facts(scan(root)))


# ------------------------------------------------------------- secrets ----------------------
def test_a_value_that_is_the_name_of_a_variable_is_no_secret(tmp_path: Path) -> None:
    files: Files = {
        "pkg/auth.py": 'DEX_USERNAME = "DEX_USERNAME"\nDEX_PASSWORD = "DEX_PASSWORD"\n',
        "Dockerfile.api": "FROM python:3.11\nENV API_KEY_SECRET = SECRET_KEY\n",
    }
    assert _secrets(tmp_path, files) == []


def test_still_a_real_value_beside_a_variable_name_is_critical(tmp_path: Path) -> None:
    files: Files = {
        "pkg/auth.py": f'DEX_PASSWORD = "DEX_PASSWORD"\nDB_PASSWORD = "{RANDOM_KEY}"\n',
        "Dockerfile.api": "FROM python:3.11\nENV API_KEY_SECRET=Hunter2Hunter\n",
    }
    evidence = _secrets(tmp_path, files)
    assert {(e.file, e.line) for e in evidence} == {("pkg/auth.py", 2), ("Dockerfile.api", 2)}
    assert severity(tmp_path, "secrets-committed") == "critical"


def test_a_plain_value_in_a_commented_example_is_documentation(tmp_path: Path) -> None:
    mlflow_yml = (
        "# If you want to set some credentials, e.g. AWS_SECRET_ACCESS_KEY\n"
        "# your_mlflow_credentials:\n"
        "#   AWS_ACCESS_KEY_ID: 132456\n"
        "#   AWS_SECRET_ACCESS_KEY: 132456\n"
        "server:\n  mlflow_tracking_uri: null\n"
    )
    evidence = _secrets(tmp_path, {"conf/base/mlflow.yml": mlflow_yml})
    assert [e.line for e in evidence] == [3, 4]  # listed, never hidden
    assert all("documentation" in (e.detail or "") for e in evidence)
    assert severity(tmp_path, "secrets-committed") == "low"


def test_still_a_random_key_on_a_commented_line_is_critical(tmp_path: Path) -> None:
    app = f"import flask\n# api_key = '{RANDOM_KEY}'\n"
    evidence = _secrets(tmp_path, {"app.py": app})
    assert [e.line for e in evidence] == [2]
    assert severity(tmp_path, "secrets-committed") == "critical"
