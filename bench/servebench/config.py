"""Where the serve bench reads and writes, and the interpreter of its subprocesses.

Other benches set ``PYTHON`` (a serving-only venv) and ``REAL`` (another photos folder)
as attributes of bench/serve.py, which forwards them here; the modules of this package
read them from here at call time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "serve.py"  # the subprocesses run its internal modes
# The photos beside the checkout (../shared), or where BENCH_PHOTOS says (e.g. from a worktree).
REAL = Path(os.environ.get("BENCH_PHOTOS") or REPO.parent / "shared" / "data" / "dogscats-sample")
OUT = REPO / "bench" / "out"
BIN = Path(sys.executable).parent
# The interpreter of the measuring subprocesses (load generator, in-process loops, passes);
# another bench may point it at a serving-only venv.
PYTHON = sys.executable
