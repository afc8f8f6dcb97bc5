#!/usr/bin/env bash
# corpus copy of zenml-io/zenml-gitflow@9d832d028671 stacks/setup_local_stack.sh (Apache-2.0)

set -Eeo pipefail

zenml stack register local_gitflow_stack \
    -a default \
    -o default \

zenml stack set local_gitflow_stack