"""The CatDetector.ai scenario as a lab, in a sandbox folder with real git and DVC.

The package's modules, one job each: ``sandbox`` (the broken startup, from the
file templates in ``templates/``, and the lab's state), ``actions`` (commands
and file writes), ``dvcfiles`` (the one place that reads DVC's files),
``checks`` (is a step done?), ``steps`` (the fix, step by step), ``diagnosis``
(the learner's answers, judged) and ``engine`` (:class:`Lab`, through a
:class:`LabIO` front end). Library code: nothing here prints.
"""

from catdetector.learn.lab.actions import Action, ActionResult, Run, Write, run_action
from catdetector.learn.lab.checks import CheckResult
from catdetector.learn.lab.diagnosis import COURSE_RISKS, RISK_NAMES, Diagnosis, score_diagnosis
from catdetector.learn.lab.engine import (
    Choice,
    Lab,
    LabEnded,
    LabIO,
    LabResult,
    StepOutcome,
    assess_sandbox,
    parse_choice,
)
from catdetector.learn.lab.sandbox import (
    MARKER,
    LabState,
    Sandbox,
    create_sandbox,
    load_state,
    save_state,
)
from catdetector.learn.lab.steps import Step, steps

__all__ = [
    "COURSE_RISKS", "MARKER", "RISK_NAMES", "Action", "ActionResult", "CheckResult", "Choice",
    "Diagnosis", "Lab", "LabEnded", "LabIO", "LabResult", "LabState", "Run", "Sandbox", "Step",
    "StepOutcome", "Write", "assess_sandbox", "create_sandbox", "load_state", "parse_choice",
    "run_action", "save_state", "score_diagnosis", "steps",
]
