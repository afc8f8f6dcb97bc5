# corpus copy of tavigingu/Prefect-ML-Workflow@2c11ba561079 deployment.py (no license file; excerpt for tests)
from prefect import flow

if __name__ == "__main__":
    flow.from_source(
        source="https://github.com/tavigingu/Prefect-ML-Workflow.git",
        entrypoint="main.py:ml_workflow",
    ).deploy(
        name="first-prefect-deployment",
        work_pool_name="wf-work-pool",
        tags=["dev"],
        job_variables={"pip_packages": ["pandas", "skops", "scikit-learn"]},
    )