# corpus copy of alokpadhi/NYC-Trip-Duration@73ac2c2cfb2a orchestration/deploy_prefect.py (no license file; excerpt for tests)
from prefect.deployments import DeploymentSpec
from prefect.orion.schemas.schedules import IntervalSchedule
from prefect.flow_runners import SubprocessFlowRunner
from datetime import timedelta


DeploymentSpec(
    flow_location="./model_training_with_prefect.py",
    name="model_training",
    schedule=IntervalSchedule(interval=timedelta(minutes=5)),
    flow_runner=SubprocessFlowRunner(),
    tags=["ml", "cpu"]
)
