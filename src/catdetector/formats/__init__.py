"""The one home of DVC's and GTO's file and tag formats.

``gto``: tag names, messages, version order, the ``.gto`` stage list, annotated tags.
``dvc``: ``dvc.lock`` and ``.dvc`` files, file and directory hashes.
``dvcremote``: the remote configuration and the cache layout of DVC 3 (and DVC 2).
Each function delegates to the library that owns the format (gto, dvc, dvc-data) and is
tested against the real tools' output in tests/formats.
"""
