"""The foundation every layer uses.

Errors, params and settings, the project layout, files, external tools and the
environment fingerprint.
"""
