# corpus copy of jobayer-mojumder/titanic-kaggle@7cc3367a85c3 src/modules/__init__.py (no license file; excerpt for tests)
