#!/usr/bin/env bash
# corpus copy of zenml-io/zenml-gitflow@9d832d028671 scripts/lint.sh (Apache-2.0)
set -e
set -x

SRC=${1:-"run*.py steps/ pipeline/"}

export ZENML_DEBUG=1
export ZENML_ANALYTICS_OPT_IN=false
flake8 $SRC
autoflake --remove-all-unused-imports --recursive --remove-unused-variables --in-place $SRC --exclude=__init__.py --check
isort $SRC scripts --check-only
black $SRC --check
interrogate $SRC -c pyproject.toml
