# corpus copy of zenml-io/zenml-gitflow@9d832d028671 steps/generate_data_analysis_report.py (Apache-2.0)
import datetime
from typing import Annotated, Dict

import pandas as pd
from zenml import log_metadata, step
from zenml.types import HTMLString

from utils.utils import generate_data_report


@step()
def generate_data_analysis_report(
    raw_data: pd.DataFrame, cleaned_data: pd.DataFrame, analysis: Dict
) -> Annotated[HTMLString, "data_analysis_report"]:
    """Generate an HTML report with Plotly visualizations of the data analysis."""

    # Log basic metadata about the report
    log_metadata(
        artifact_name="data_analysis_report",
        infer_artifact=True,
        metadata={
            "generated_at": datetime.datetime.now().isoformat(),
            "report_type": "Data Analysis Report",
            "visualizations": [
                "Price by Category",
                "Manufacturing Cost by Category",
                "Shipping Weight by Category",
                "Profit Margin by Category",
                "Price Distribution",
            ],
        },
    )

    return HTMLString(
        generate_data_report(
            cleaned_data=cleaned_data, raw_data=raw_data, analysis=analysis
        )
    )
