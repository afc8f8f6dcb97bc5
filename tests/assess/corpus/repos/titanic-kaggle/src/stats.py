# corpus copy of jobayer-mojumder/titanic-kaggle@7cc3367a85c3 src/stats.py (no license file; excerpt for tests), trimmed
import os
import pandas as pd
import numpy as np
import ast
from tabulate import tabulate
from modules.analysis import (
    get_best_single_feature_combination,
    get_10_best_feature_combinations,
    get_10_balanced_feature_combinations,
)
from modules.constant import BASELINE_SCORE

MODEL_KEYS = {
    "1": ("dt", "Decision Tree", 1),
    "2": ("xgb", "XGBoost", 2),
    "3": ("rf", "Random Forest", 3),
    "4": ("lgbm", "LightGBM", 4),
    "5": ("cb", "CatBoost", 5),
}
MODEL_KEYS_REV = {v[0]: k for k, v in MODEL_KEYS.items()}


def choose_mode():
    os.system("cls" if os.name == "nt" else "clear")
    print("\n📁 Choose result mode:")
    print("  [1] Kaggle (default)")
    print("  [2] Local")
    mode = input("Select mode (default Kaggle): ").strip()
    return "local" if mode == "2" else "kaggle"


def select_model():
    print("\n🔧 Choose a model:")
    for k, (_, name, _) in MODEL_KEYS.items():
        print(f"{k}. {name}")
    choice = input("Enter model number: ").strip()
    return MODEL_KEYS.get(choice, (None, None, None))


def get_baseline_cv_scores(input_path="results/summary_local.csv"):
    if not os.path.exists(input_path) or os.stat(input_path).st_size == 0:
        print("❌ summary_local.csv missing or empty.")
        return pd.DataFrame()
    summary_df = pd.read_csv(input_path)
    summary_df["feature_num"] = summary_df["feature_num"].astype(str)
    summary_df["tuned"] = summary_df["tuned"].astype(int)
    baseline_df = summary_df[summary_df["feature_num"] == "baseline"]
    baseline_df = baseline_df[["model", "tuned", "cv_scores"]].rename(
        columns={"cv_scores": "cv_scores_baseline"}
    )
    return baseline_df


def calculate_partial_eta_squared(df):
    print("\n🔎 Starting ηp² calculation...")

    df = df.copy()
    df["feature_num"] = df["feature_num"].astype(str)
    df["tuned"] = df["tuned"].astype(int)

    baseline_df = get_baseline_cv_scores()
    if baseline_df.empty:
        return pd.DataFrame()

    df = df.merge(baseline_df, on=["model", "tuned"], how="left")

    df["cv_scores"] = df["cv_scores"].apply(
        lambda s: np.array(ast.literal_eval(s)) if isinstance(s, str) else np.array([])
    )
    df["cv_scores_baseline"] = df["cv_scores_baseline"].apply(
        lambda s: np.array(ast.literal_eval(s)) if isinstance(s, str) else np.array([])
    )

    df = df[
        (df["cv_scores"].apply(len) > 1) & (df["cv_scores_baseline"].apply(len) > 1)
    ]

    if df.empty:
        print("❌ No rows with both feature and baseline CV scores.")
        return pd.DataFrame()

    all_scores = np.concatenate(
        df["cv_scores"].tolist() + df["cv_scores_baseline"].tolist()
    )
    grand_mean = np.mean(all_scores)

    results = []
    for _, row in df.iterrows():
        scores = row["cv_scores"]
        group_mean = np.mean(scores)
        ss_effect = len(scores) * (group_mean - grand_mean) ** 2
        ss_error = np.sum((scores - group_mean) ** 2)
        eta_p2 = (
            ss_effect / (ss_effect + ss_error) if (ss_effect + ss_error) != 0 else 0
        )
        results.append(
            {
                "model": row["model"],
                "tuned": row["tuned"],
                "feature_num": row["feature_num"],
                "local_accuracy": round(group_mean, 5),
                "eta_p2": round(eta_p2, 4),
            }
        )

    return pd.DataFrame(results)


def save_performance_data(df):
    print("\n📊 Calculating Partial Eta Squared...")

    input_file = os.path.join("results", "summary_local.csv")
    if not os.path.exists(input_file) or os.stat(input_file).st_size == 0:
        print(f"⚠️ summary_local.csv missing or empty.")
        return pd.DataFrame()

    summary_df = pd.read_csv(input_file)

    model_name_map = {v[1]: v[0] for v in MODEL_KEYS.values()}
    df["feature_num"] = df["feature_num"].astype(str)
