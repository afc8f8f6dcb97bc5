# corpus copy of robertmcleod2/dagster-deployment@29b480b4892c dagster_app/schedules.py (no license file; excerpt for tests)
from dagster import ScheduleDefinition

from dagster_app.jobs import model_train_predict_job

model_train_predict_schedule = ScheduleDefinition(
    job=model_train_predict_job,
    cron_schedule="0 8 * * *",  # Run every day at 8:00 UTC
)
