"""The pieces of bench/serve.py: load generator, in-process reference, c1 client, the
registry and servers, the MLflow reference, rollback timing (bench/serve.py runs them)."""
