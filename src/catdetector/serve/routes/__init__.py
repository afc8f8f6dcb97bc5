"""The HTTP routes: one ``APIRouter`` per group, over the app's ``Runtime``."""
