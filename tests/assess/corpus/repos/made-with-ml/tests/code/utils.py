# corpus copy of GokuMohandas/Made-With-ML@66e8e4371150 tests/code/utils.py (MIT)
import uuid

from madewithml.config import mlflow


def generate_experiment_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def delete_experiment(experiment_name: str) -> None:
    client = mlflow.tracking.MlflowClient()
    experiment_id = client.get_experiment_by_name(experiment_name).experiment_id
    client.delete_experiment(experiment_id=experiment_id)
