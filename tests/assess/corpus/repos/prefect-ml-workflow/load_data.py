# corpus copy of tavigingu/Prefect-ML-Workflow@2c11ba561079 load_data.py (no license file; excerpt for tests)
import kagglehub
import os

# folder curent
current_folder = os.getcwd()

# Download dataset in current folder
path = kagglehub.dataset_download("rangalamahesh/bank-churn", path=current_folder)

print("Path to dataset files:", path)
