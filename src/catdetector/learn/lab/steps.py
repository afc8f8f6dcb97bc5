"""The lab's steps: the course's minimum viable fix, then the two steps that reach Level 1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from catdetector.learn.lab.actions import Action, Run, Write
from catdetector.learn.lab.checks import (
    CheckResult,
    check_alice_pulls,
    check_commit,
    check_dvc_add_data,
    check_dvc_add_model,
    check_dvc_init,
    check_git_init,
    check_lock,
    check_pipeline,
    check_push,
    check_remotes,
    check_share,
)
from catdetector.learn.lab.sandbox import Sandbox, template


@dataclass(frozen=True)
class Step:
    """One step of the fix: what to do, why, and how the lab checks it."""

    key: str
    title: str
    why: str
    actions: tuple[Action, ...]
    check: Callable[[Sandbox], CheckResult]
    removes: tuple[str, ...] = ()
    part: str = "minimum viable fix"


def steps(sandbox: Sandbox) -> list[Step]:
    """The lab's steps, with the sandbox's absolute remote paths filled in."""
    github, storage = str(sandbox.git_remote), str(sandbox.dvc_remote)
    mvf, level1 = "the course's minimum viable fix", "from the fix to Level 1"
    return [
        Step("git-init", "Put Bob's project under git",
             "Git will hold every version of the code, and the small pointers DVC writes.",
             (Run(("git", "init", "-b", "main")),), check_git_init, part=mvf),
        Step("dvc-init", "Initialise DVC",
             "DVC versions what is too big for git (images, models) and keeps it in a remote.",
             (Run(("dvc", "init")),), check_dvc_init, part=mvf),
        Step("dvc-add-data", "Track the data with DVC",
             "\"There is no versioning of data\": `dvc add` hashes data/ into data.dvc "
             "and tells git to ignore the images themselves.",
             (Run(("dvc", "add", "data")),), check_dvc_add_data,
             removes=("no-data-versioning",), part=mvf),
        Step("dvc-add-model", "Track the model with DVC",
             "No rollback: every model.h5 gets a version (its hash in model.h5.dvc, "
             "committed with the code), so an older one can come back.",
             (Run(("dvc", "add", "model.h5")),), check_dvc_add_model,
             removes=("no-rollback",), part=mvf),
        Step("commit", "Commit the code and the .dvc files",
             "The commit ties this code to this data and this model.",
             (Run(("git", "add", ".")),
              Run(("git", "commit", "-q", "-m", "Track code with git, data and model with DVC"))),
             check_commit, part=mvf),
        Step("remotes", "Add the remotes: GitHub for git, S3 for DVC",
             "In the lab a bare repository stands for GitHub and a folder for the S3 bucket.",
             (Run(("git", "init", "-q", "--bare", "-b", "main", github), where="root"),
              Run(("git", "remote", "add", "origin", github)),
              Run(("dvc", "remote", "add", "-d", "storage", storage)),
              Run(("git", "commit", "-q", "-m", "DVC remote", ".dvc/config"))),
             check_remotes, part=mvf),
        Step("push", "Push the code and the data and model",
             "Bob's laptop is no longer the only copy (the bus factor starts to shrink).",
             (Run(("git", "push", "-q", "-u", "origin", "main")), Run(("dvc", "push"))),
             check_push, part=mvf),
        Step("alice-pulls", "Alice clones and pulls the model",
             "`git pull` -> `dvc pull model.h5`: the server gets exactly the model of a "
             "commit. No more emailing large files!",
             (Run(("git", "clone", "-q", github, "catdetector-ai"), where="server", who="Alice"),
              Run(("dvc", "pull", "model.h5"), where="clone", who="Alice")),
             check_alice_pulls, part=mvf),
        Step("lock", "One pinned environment for training and serving",
             "Training-serving skew: Bob's laptop and Alice's server resolve different "
             "versions. One lock file, installed by both, removes the difference.",
             (Write("requirements.lock", template("requirements.lock")),
              Write("requirements.txt", template("requirements-bob-fixed.txt")),
              Write("server/requirements.txt", template("requirements-alice-fixed.txt")),
              Run(("git", "add", "requirements.lock", "requirements.txt",
                   "server/requirements.txt")),
              Run(("git", "commit", "-q", "-m", "One pinned environment for training and "
                   "serving"))),
             check_lock, removes=("training-serving-skew", "no-lock-file"), part=level1),
        Step("pipeline", "Make training a DVC pipeline",
             "Bus factor: anyone can now rebuild the model with `dvc repro`; the pipeline "
             "(not a laptop) says how. The model becomes the stage's output.",
             (Run(("dvc", "remove", "model.h5.dvc")),
              Run(("dvc", "stage", "add", "-n", "train", "-d", "train.py", "-d", "features.py",
                   "-d", "data", "-d", "requirements.lock", "-o", "model.h5",
                   "python3 train.py")),
              Run(("dvc", "repro")),
              Run(("git", "add", ".")),
              Run(("git", "commit", "-q", "-m", "Training as a DVC pipeline"))),
             check_pipeline, removes=("bus-factor",), part=level1),
        Step("share", "Share it: push, and Alice pulls",
             "The same two commands as before; now they carry the pipeline and the lock too.",
             (Run(("git", "push", "-q")), Run(("dvc", "push")),
              Run(("git", "pull", "-q"), where="clone", who="Alice"),
              Run(("dvc", "pull"), where="clone", who="Alice")),
             check_share, part=level1),
    ]

