"""Monitoring of what is served: the prediction log, feedback labels, drift and reports."""
