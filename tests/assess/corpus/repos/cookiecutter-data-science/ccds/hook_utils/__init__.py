# corpus copy of drivendata/cookiecutter-data-science@852fd22622d8 ccds/hook_utils/__init__.py (MIT)
