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

DVC_YAML = f"""\
# catdetector pipeline: every stage is a `catdetector stage ...` command.
# Works with plain `dvc repro`, `dvc status`, `dvc metrics show`, `dvc plots show`.
stages:
  prepare:
    cmd: catdetector stage prepare
    deps:
      - {layout.RAW}
    params:
      - image
      - features
      - split
      - data
    outs:
      - {layout.PREPARED}
  train:
    cmd: catdetector stage train
    deps:
      - {layout.PREPARED}
      - {layout.RAW}
    params:
      - ladder
      - train
    outs:
      - {layout.MODEL_DIR}
      - {layout.LADDER_METRICS}:
          cache: false
      - {layout.COSTS_REPORT}:
          cache: false
  evaluate:
    cmd: catdetector stage evaluate
    deps:
      - {layout.MODEL_DIR}
      - {layout.PREPARED}
      - {layout.RAW}
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

GITIGNORE = """\
# catdetector project
__pycache__/
*.pyc
.venv/
.env
/dvc_plots/
"""

README = """\
# {name}

A catdetector project: Git for code and params, DVC for data and models, GTO tags
for versions and stages.

Bob (trains):

    catdetector sample data/raw --n 200 --seed 0   # or copy images into data/raw/<label>/
    dvc add data/raw && git add data/raw.dvc data/.gitignore && git commit -m "data"
    dvc repro && git add -A && git commit -m "train"
    dvc push && catdetector register && catdetector promote v0.1.0 --stage prod
    git push --tags

Alice (serves): `catdetector serve --registry <git url> --stage prod`.

Install the same environment everywhere, from this folder: `pip install -r requirements.lock`
(every package pinned with its hashes; catdetector itself comes from the source that
`catdetector init --catdetector-source` chose: by default the wheel in `vendor/`; for
an index version or a git commit, also `pip install --no-deps -r requirements-catdetector.txt`).
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
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE="${CATDETECTOR_GATE_STAGE:-prod}"

install() {
  python -m pip install --require-hashes -r requirements.lock
  if [ -f requirements-catdetector.txt ]; then
    python -m pip install --no-deps -r requirements-catdetector.txt
  fi
  catdetector env check
}
test_step() {
  if [ -d tests ]; then python -m pytest -q tests; else echo "no tests/ folder: nothing to test"; fi
}
repro() {
  dvc pull data/raw.dvc
  dvc repro
  dvc status --json | python -c "import json,sys; d=json.load(sys.stdin); sys.exit(1 if d else 0)"
}
gate() { catdetector gate --stage "$STAGE"; }

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
