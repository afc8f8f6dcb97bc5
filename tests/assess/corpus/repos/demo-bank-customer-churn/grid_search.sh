#!/bin/sh
# corpus copy of iterative/demo-bank-customer-churn@79198bec852c grid_search.sh (MIT)
dvc exp run -S 'train.params.n_estimators=range(50, 200, 30)' \
-S 'train.params.max_depth=range(10, 25, 5)' --queue
dvc exp run --run-all