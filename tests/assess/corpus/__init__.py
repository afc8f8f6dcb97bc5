"""The calibration corpus: trimmed copies of public repositories and the level judged for each."""
