#!/bin/sh -e
# corpus copy of zenml-io/zenml-gitflow@9d832d028671 scripts/format.sh (Apache-2.0)
set -x

SRC=${1:-"run*.py promote.py steps/ pipeline/"}

export ZENML_DEBUG=1
export ZENML_ANALYTICS_OPT_IN=false
autoflake --remove-all-unused-imports --recursive --remove-unused-variables --in-place $SRC --exclude=__init__.py
isort $SRC
black $SRC
