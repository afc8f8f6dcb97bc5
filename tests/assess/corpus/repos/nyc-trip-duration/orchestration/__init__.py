# corpus copy of alokpadhi/NYC-Trip-Duration@73ac2c2cfb2a orchestration/__init__.py (no license file; excerpt for tests)

