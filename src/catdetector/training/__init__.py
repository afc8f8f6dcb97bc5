"""The data and the pipeline's stages.

Scan, split, the synthetic sample, the ladder of model families,
prepare -> train -> evaluate.
"""
