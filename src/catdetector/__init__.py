"""catdetector: a Level-1 MLOps workflow on Git + DVC + GTO for image classifiers."""

__version__ = "0.1.0"
