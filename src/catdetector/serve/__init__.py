"""The serving side: a FastAPI app that follows the registry and hot-swaps verified models."""
