"""The model bundle: save, load, verify (fingerprint, golden samples), predict."""
