"""Text of the files that ``catdetector init`` writes into a new project."""

from __future__ import annotations

from catdetector.core import layout

# The stages of the registry, declared once in GTO's own config; nothing else is accepted.
STAGES = ("dev", "staging", "prod", "shadow", "canary")
GTO_CONFIG = (
    "# GTO's config (https://dvc.org/doc/gto): the registry's stages. `catdetector promote`,\n"
    "# `rollback`, `serve --stage` and plain `gto assign` refuse any other stage.\n"
    f"stages: [{', '.join(STAGES)}]\n"
)


def dvc_yaml(
    raw: str = str(layout.RAW),
    models: dict[str, str] | None = None,
    prepared: str = str(layout.PREPARED),
) -> str:
    """dvc.yaml text: the three stages reading ``raw``, plus GTO artifacts for ``models``
    (artifact name -> path of a DVC-tracked model file)."""
    extra = "".join(
        f"  {name}:\n    path: {path}\n    type: model\n"
        "    desc: model file adopted by catdetector\n"
        for name, path in (models or {}).items()
    )
    return PIPELINE.format(raw=raw, prepared=prepared) + extra


PIPELINE = f"""\
# catdetector pipeline: every stage is a `catdetector stage ...` command.
# Works with plain `dvc repro`, `dvc status`, `dvc metrics show`, `dvc plots show`.
stages:
  prepare:
    cmd: catdetector stage prepare
    deps:
      - {{raw}}
    params:
      - image
      - features
      - split
      - data
    outs:
      - {{prepared}}
  train:
    cmd: catdetector stage train
    deps:
      - {{prepared}}
      - {{raw}}
    params:
      - ladder
      - pretrained
      - train
    # every output cached: the run cache can restore train (params tried before)
    outs:
      - {layout.MODEL_DIR}
      - {layout.LADDER_METRICS}
      - {layout.COSTS_REPORT}
  evaluate:
    cmd: catdetector stage evaluate
    deps:
      - {layout.MODEL_DIR}
      - {{prepared}}
      - {{raw}}
    outs:
      - {layout.TEST_METRICS}:
          cache: false
      - {layout.CONFUSION_PLOT}:
          cache: false
      - {layout.ROC_PLOT}:
          cache: false

# metrics hold only values that two clones of one commit agree on (scores);
# costs (fit time, predict latency, sizes) are a plot, so `dvc metrics diff` stays quiet.
metrics:
  - {layout.TEST_METRICS}
  - {layout.LADDER_METRICS}

plots:
  - {layout.CONFUSION_PLOT}:
      template: confusion
      x: predicted
      y: actual
      title: Confusion matrix (test split)
  - {layout.ROC_PLOT}:
      template: simple
      x: fpr
      y: tpr
      title: ROC (test split)
  - {layout.COSTS_REPORT}:
      template: bar_horizontal
      x: predict_ms_per_image
      y: rung
      title: Cost per rung (predict ms per image; see the file for fit time and sizes)

artifacts:
  {layout.ARTIFACT}:
    path: {layout.MODEL_DIR}
    type: model
    desc: cat-or-not image classifier (skops model + model.json)
    labels:
      - catdetector
"""
DVC_YAML = dvc_yaml()

GITIGNORE = """\
# catdetector project
__pycache__/
*.pyc
.venv/
/.venv-ci/
.env
/dvc_plots/
"""

README = """\
# {name}

A catdetector project: Git for code and params, DVC for data and models, GTO tags
for versions and stages.

Bob (trains):

    catdetector sample data/raw --n 200 --seed 0  # SYNTHETIC images, or photos in data/raw/<label>/
    dvc add data/raw && git add -A && git commit -m "data"
    dvc repro && git add -A && git commit -m "train"
    git remote add origin <url> && git push -u origin main && dvc push
    catdetector register                          # tag catdetector@v0.1.0, pushed to origin
    catdetector promote v0.1.0 --stage prod       # tag catdetector#prod#1, after the gate

A registry on this machine for a try: `git init --bare -b main ../registry.git` (with
`-b main`, a clone's HEAD is `main`), then use `../registry.git` as `<url>`.

Alice (serves): `catdetector serve --registry <git url> --stage prod`.
On Kubernetes: `Dockerfile` builds the server's image from the lock, `deploy/kubernetes/`
holds its manifests (Secrets referenced by name only; `catdetector deploy kubernetes --help`
writes them again with your choices).

Install the same environment everywhere, from this folder: `pip install -r requirements.lock`
(every package pinned with its hashes; catdetector itself comes from the source that
`catdetector init --catdetector-source` chose: by default the wheel in `vendor/`; for
an index version or a git commit, also `pip install --no-deps -r requirements-catdetector.txt`).
CI installs `requirements-ci.lock` (pytest) too. After changing `ladder.rungs`, run
`catdetector lock` (the pretrained and custom rungs need onnxruntime); `catdetector env check`
tells when the lock or this machine no longer fits the rungs or the model.
"""

CI_WORKFLOW = f"""\
# Continuous training: on every push, run the tests, reproduce the pipeline and
# apply the promotion gate. Every step calls {layout.CI_SCRIPT}, which you can run
# locally too: `bash {layout.CI_SCRIPT}`.
name: catdetector continuous training
on:
  push:
  workflow_dispatch:
jobs:
  train:
    runs-on: ubuntu-latest
    env:
      AWS_ACCESS_KEY_ID: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}
      AWS_SECRET_ACCESS_KEY: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: install the locked environment
        run: bash {layout.CI_SCRIPT} install
      - name: tests
        run: bash {layout.CI_SCRIPT} test
      - name: reproduce the pipeline
        run: bash {layout.CI_SCRIPT} repro
      - name: promotion gate
        run: bash {layout.CI_SCRIPT} gate
"""

CI_SCRIPT = """\
#!/usr/bin/env bash
# Continuous training steps, shared by CI and by people: STEP... (install test repro gate all)
# Every step runs in this project's own virtual environment ($VENV), made by `install`
# with the Python that requirements.lock was locked for; nothing uses a bare `python`.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${CATDETECTOR_GATE_STAGE:-prod}"
LOCKED_PYTHON="3.11"
PYTHON="${CATDETECTOR_PYTHON:-python$LOCKED_PYTHON}"
VENV="${CATDETECTOR_VENV:-.venv-ci}"

install() {
  local here
  here="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
  if [ "$here" != "$LOCKED_PYTHON" ]; then
    echo "requirements.lock is locked for Python $LOCKED_PYTHON;" \
      "$PYTHON is ${here:-not a Python}: set CATDETECTOR_PYTHON" >&2
    exit 1
  fi
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --require-hashes -r requirements.lock -r requirements-ci.lock
  if [ -f requirements-catdetector.txt ]; then
    "$VENV/bin/python" -m pip install --no-deps -r requirements-catdetector.txt
  fi
  "$VENV/bin/catdetector" env check
}
need_venv() {
  if [ ! -x "$VENV/bin/catdetector" ]; then echo "no $VENV: run '$0 install' first" >&2; exit 1; fi
}
test_step() {
  need_venv
  if [ -d tests ]; then
    "$VENV/bin/python" -m pytest -q tests
  else
    echo "no tests/ folder: nothing to test"
  fi
}
repro() {
  need_venv
  git ls-files -z -- '*.dvc' | xargs -0 -r "$VENV/bin/dvc" pull
  PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/dvc" repro
  "$VENV/bin/dvc" status --json \\
    | "$VENV/bin/python" -c "import json,sys; sys.exit(1 if json.load(sys.stdin) else 0)"
}
gate() { need_venv; "$VENV/bin/catdetector" gate --stage "$STAGE"; }

for step in "${@:-all}"; do
  case "$step" in
    install) install ;;
    test) test_step ;;
    repro) repro ;;
    gate) gate ;;
    all) test_step; repro; gate ;;
    *) echo "usage: $0 [install|test|repro|gate|all]..." >&2; exit 2 ;;
  esac
done
"""
