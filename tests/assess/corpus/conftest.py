"""The folders here are copies of other projects (their own tests included): never collect them."""

from pathlib import Path

collect_ignore = [p.name for p in Path(__file__).parent.iterdir() if p.is_dir()]
