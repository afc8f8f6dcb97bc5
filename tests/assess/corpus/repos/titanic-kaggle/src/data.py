# corpus copy of jobayer-mojumder/titanic-kaggle@7cc3367a85c3 src/data.py (no license file; excerpt for tests), trimmed
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import os

#  exp1: Baseline data for all models
baseline_evaluation = [
    {"Model": "Decision Tree", "Kaggle": 0.73205, "Local": 0.75754},
    {"Model": "XGBoost", "Kaggle": 0.7512, "Local": 0.78547},
    {"Model": "Random Forests", "Kaggle": 0.76555, "Local": 0.79106},
    {"Model": "LightGBM", "Kaggle": 0.76555, "Local": 0.78994},
    {"Model": "CatBoost", "Kaggle": 0.77751, "Local": 0.80671},
]

#  exp2: Single feature data for all models
single_feature_data_untuned = [
    {
        "Feature": 1,
        "Model": "Decision Tree",
        "Kaggle": 0.78708,
        "Kaggle_Improvement": 0.05503,
        "Local": 0.80559,
        "Local_Improvement": 0.04805,
    },
    {
        "Feature": 1,
        "Model": "XGBoost",
        "Kaggle": 0.78708,
        "Kaggle_Improvement": 0.03588,
        "Local": 0.80894,
        "Local_Improvement": 0.02347,
    },
    {
        "Feature": 1,
        "Model": "Random Forests",
        "Kaggle": 0.78708,
        "Kaggle_Improvement": 0.02153,
        "Local": 0.80447,
        "Local_Improvement": 0.01341,
    },
    {
        "Feature": 1,
        "Model": "LightGBM",
        "Kaggle": 0.78708,
        "Kaggle_Improvement": 0.02153,
        "Local": 0.8,
        "Local_Improvement": 0.01006,
    },
    {
        "Feature": 1,
        "Model": "CatBoost",
        "Kaggle": 0.78708,
        "Kaggle_Improvement": 0.00956,
        "Local": 0.80782,
        "Local_Improvement": -0.00224,
    },
    {
        "Feature": 2,
        "Model": "Decision Tree",
        "Kaggle": 0.76555,
        "Kaggle_Improvement": 0.03349,
        "Local": 0.77654,
        "Local_Improvement": 0.019,
    },
    {
        "Feature": 2,
        "Model": "XGBoost",
        "Kaggle": 0.76555,
        "Kaggle_Improvement": 0.01435,
        "Local": 0.76313,
        "Local_Improvement": -0.02234,
    },
    {
        "Feature": 2,
        "Model": "Random Forests",
        "Kaggle": 0.75358,
        "Kaggle_Improvement": -0.01196,
        "Local": 0.76425,
        "Local_Improvement": -0.02681,
    },
