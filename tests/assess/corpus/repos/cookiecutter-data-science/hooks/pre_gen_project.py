# corpus copy of drivendata/cookiecutter-data-science@852fd22622d8 hooks/pre_gen_project.py (MIT)
# Functions here run before the project is generated.

# For the use of these hooks, see
# See https://cookiecutter.readthedocs.io/en/1.7.2/advanced/hooks.html
