#!/bin/sh
# corpus copy of robertmcleod2/dagster-deployment@29b480b4892c local_single_container_deployment/entrypoint.sh (no license file; excerpt for tests)

# Start the dagster-webserver
dagster-webserver -h 0.0.0.0 -p 3000 &

# Start the dagster-daemon
dagster-daemon run