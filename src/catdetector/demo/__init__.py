"""The Bob-and-Alice story, end to end, on real git, dvc, gto and a real server.

Every step runs the same ``catdetector``/``git``/``dvc`` command a person would
type, in its own workspace: Bob's, Alice's server (which reads only the git
registry and the DVC remote), and Alice's rebuild. Library code: it reports
steps through a callback and returns the checks; the CLI narrates.

Modules: ``results`` (steps and checks), ``narrator`` (running a command as a
narrated step), ``server`` (Alice's server process and its client), ``story``
(the acts) and ``run`` (the entry point with its work folder).
"""

from catdetector.demo.results import Check, DemoResult, Step
from catdetector.demo.run import run_demo
from catdetector.demo.story import Demo

__all__ = ["Check", "Demo", "DemoResult", "Step", "run_demo"]
