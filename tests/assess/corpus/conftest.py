"""repos/ holds copies of other projects (their own tests included): never collect them."""

collect_ignore = ["repos"]
