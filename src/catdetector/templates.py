"""Text of the files that ``catdetector init`` writes into a new project."""

from __future__ import annotations

from catdetector import layout

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
  evaluate:
    cmd: catdetector stage evaluate
    deps:
      - {layout.MODEL_DIR}
      - {layout.PREPARED}
    outs:
      - {layout.TEST_METRICS}:
          cache: false
      - {layout.CONFUSION_PLOT}:
          cache: false
      - {layout.ROC_PLOT}:
          cache: false

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

Install the same environment everywhere: `pip install -r requirements.lock`.
"""
