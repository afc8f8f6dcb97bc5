"""The model registry on GTO's git-tag conventions, split as GTO splits it.

``tags`` (read tags), ``state`` (versions and stages by GTO's rules), ``gitops`` (fetch,
tag, push atomically, undo), ``stages`` (the ``.gto`` stage list), ``gate`` (the
promotion gate), ``artifact`` (the model behind a version) and ``api`` (the commands).
"""
