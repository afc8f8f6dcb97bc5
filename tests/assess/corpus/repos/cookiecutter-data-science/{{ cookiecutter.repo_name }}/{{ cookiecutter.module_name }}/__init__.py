# corpus copy of drivendata/cookiecutter-data-science@852fd22622d8 {{ cookiecutter.repo_name }}/{{ cookiecutter.module_name }}/__init__.py (MIT)
from {{ cookiecutter.module_name }} import config  # noqa: F401
