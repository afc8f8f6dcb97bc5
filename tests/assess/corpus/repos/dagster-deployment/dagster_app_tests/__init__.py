# corpus copy of robertmcleod2/dagster-deployment@29b480b4892c dagster_app_tests/__init__.py (no license file; excerpt for tests)
