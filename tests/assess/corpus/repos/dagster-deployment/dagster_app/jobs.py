# corpus copy of robertmcleod2/dagster-deployment@29b480b4892c dagster_app/jobs.py (no license file; excerpt for tests)
from dagster import (
    define_asset_job,
)

model_train_predict_job = define_asset_job(
    name="model_train_predict_job",
    selection=["y_train", "x_train", "x_pred", "model_train", "model_predict"]
)