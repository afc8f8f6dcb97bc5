"""`catdetector upgrade` on a project made from the template before ``pretrained.precision``.

That template's train stage declared ``params: [ladder, train]``, so a change of
``pretrained.*`` never re-ran training (DVC re-runs a stage only for the params it
declares). The fixture is that template's dvc.yaml (rendered from the commit before the
int8 backbone) and a params.yaml without the ``pretrained`` section.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from catdetector.formats import dvc
from catdetector.release import templates
from tests.support import cli, git, make_trained_project, run

FIXTURE = Path(__file__).parent / "fixtures" / "before-int8"
USER_STAGE = """\
  report:
    cmd: echo report
    deps:
      - metrics/test.json
"""


def old_template(root: Path) -> None:
    """The old template's dvc.yaml and params.yaml in ``root``, with a user's edits (a
    comment in the train stage, a stage of their own)."""
    old = (FIXTURE / "dvc.yaml").read_text()
    assert "pretrained" not in old
    old = old.replace("  train:\n", "  train:\n    # our note: keep the ladder short\n", 1)
    old = old.replace("\n# metrics hold", USER_STAGE + "\n# metrics hold", 1)
    (root / "dvc.yaml").write_text(old)
    (root / "params.yaml").write_text((FIXTURE / "params.yaml").read_text())


def old_project(root: Path) -> Path:
    """A project made, its data added and trained, on the old template (see above)."""
    return make_trained_project(root, n=60, edit=old_template)


def set_precision(root: Path, precision: str) -> None:
    params = yaml.safe_load((root / "params.yaml").read_text())
    params.setdefault("pretrained", {})["precision"] = precision
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def changed_stages(root: Path) -> dict[str, str]:
    """`dvc status --json`: stage -> what changed, as text."""
    status = json.loads(run(["dvc", "status", "--json"], root).stdout or "{}")
    return {name: json.dumps(what) for name, what in status.items()}


@pytest.mark.slow
def test_upgrade_makes_a_precision_change_retrain_an_old_project(tmp_path: Path) -> None:
    root = old_project(tmp_path / "old")

    # the defect: DVC does not see the change, and catdetector says so and names the fix
    set_precision(root, "float32")
    assert "train" not in changed_stages(root)
    check = cli("upgrade", "--check", cwd=root, check=False)
    assert check.returncode == 1
    assert "train stage does not declare the params `pretrained`" in check.stderr
    assert "run `catdetector upgrade`" in check.stderr
    prepare = cli("stage", "prepare", cwd=root)
    assert "run `catdetector upgrade`" in prepare.stderr
    git("checkout", "--", "params.yaml", cwd=root)

    done = cli("upgrade", cwd=root)
    assert "train stage now declares the params pretrained" in done.stdout
    assert "params.yaml: added the section pretrained" in done.stdout
    text = (root / "dvc.yaml").read_text()
    assert dvc.stage_params(text, "train") == ["ladder", "pretrained", "train"]
    assert "# our note: keep the ladder short" in text  # the user's edits kept
    assert dvc.stage_params(text, "report") == [] and "echo report" in text
    assert yaml.safe_load((root / "params.yaml").read_text())["pretrained"]["precision"] == "int8"
    assert "train" in changed_stages(root)  # the declaration changed: one re-run
    run(["dvc", "repro", "-q"], root)
    assert changed_stages(root) == {}

    set_precision(root, "float32")
    changed = changed_stages(root)
    assert "train" in changed and '"pretrained": "modified"' in changed["train"]
    assert cli("upgrade", "--check", cwd=root).stdout.startswith("the project is current")


def test_a_new_project_is_current(tmp_path: Path) -> None:
    cli("init", str(tmp_path / "new"), cwd=tmp_path)
    got = cli("upgrade", "--check", cwd=tmp_path / "new")
    assert "nothing to upgrade" in got.stdout


def test_upgrade_outside_a_project_is_one_clear_error(tmp_path: Path) -> None:
    got = cli("upgrade", cwd=tmp_path, check=False)
    assert got.returncode != 0
    assert got.stderr.count("\n") == 1 and "dvc.yaml not found" in got.stderr


def test_with_stage_params_keeps_what_is_there() -> None:
    text = (FIXTURE / "dvc.yaml").read_text()
    text = text.replace("      - ladder\n", "      - ladder  # the rungs\n", 1)
    out = dvc.with_stage_params(text, "train", ["pretrained"])
    assert dvc.stage_params(out, "train") == ["ladder", "pretrained", "train"]
    assert "- ladder  # the rungs" in out
    assert dvc.stage_params(out, "prepare") == dvc.stage_params(text, "prepare")
    assert out == dvc.with_stage_params(out, "train", ["pretrained"])  # idempotent
    assert out == templates.DVC_YAML.replace("- ladder\n", "- ladder  # the rungs\n", 1)


def test_a_key_of_the_section_or_a_params_file_entry_counts_as_declared() -> None:
    assert dvc.covers(["ladder", "pretrained.precision"], "pretrained")
    assert not dvc.covers(["ladder", "pretrainedx"], "pretrained")
    text = "stages:\n  train:\n    cmd: x\n    params:\n      - params.yaml: [pretrained]\n"
    assert dvc.stage_params(text, "train") == ["pretrained"]
    assert dvc.stage_params(text, "nope") is None
