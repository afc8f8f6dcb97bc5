"""What a project ships with: init, its files, the environment lock and its check."""
