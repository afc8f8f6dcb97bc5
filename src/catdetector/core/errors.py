"""The one error hierarchy of catdetector; each class carries its CLI exit code.

The exit-code table (``catdetector`` exits with these):

====  ==========================  =============================================
code  class                       meaning
====  ==========================  =============================================
1     CatDetectorError            any other error of ours
2     UsageError                  bad arguments or options
3     ConfigError                 params.yaml, settings or a lock file invalid
4     ProjectError                not (or cannot become) a project
5     DataError, ImageError       input data invalid
6     BundleError                 bundle missing, corrupt or untrusted
6     IntegrityError              bundle differs from the registered dvc.lock
7     SkewError                   environment or golden outputs differ
8     RegistryError               a GTO registry operation failed
9     GateError                   the promotion gate refused a candidate
10    RemoteError                 a git or DVC remote failed
11    ExternalToolError           git, dvc or gto failed unexpectedly
12    AssessError                 assess could not read the target
13    DeckError                   a learn deck is malformed
14    StoreError                  the prediction log failed
15    FeedbackError               a feedback label was refused
20    PermissionDeniedError       the OS refused access to a path
21    PathNotFoundError           a path does not exist (or is not a folder)
22    DiskFullError               no space left (or quota exceeded)
23    OSFailure                   any other OS error
70    InternalError               a bug: anything unexpected (EX_SOFTWARE)
130   (interrupted)               Ctrl-C
====  ==========================  =============================================

Every message and hint is redacted (:mod:`catdetector.core.redact`) when the error
is made, so no credential reaches a CLI line, an HTTP body or a log through one.
"""

from __future__ import annotations

import errno

from catdetector.core.redact import redact


class CatDetectorError(Exception):
    """Base of every error a user can cause or meet; carries an exit code."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint else hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(CatDetectorError):
    """Bad arguments or options."""

    exit_code = 2


class ConfigError(CatDetectorError):
    """params.yaml, settings or a lock file is invalid."""

    exit_code = 3


class ProjectError(CatDetectorError):
    """The folder is not (or cannot become) a catdetector project."""

    exit_code = 4


class DataError(CatDetectorError):
    """Input data is invalid: bad images, empty classes, unreadable files."""

    exit_code = 5


class ImageError(DataError):
    """One image could not be decoded or failed a limit."""

    def __init__(self, message: str, *, status: int = 422, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class BundleError(CatDetectorError):
    """A model bundle is missing, corrupt, tampered with or untrusted."""

    exit_code = 6


class IntegrityError(BundleError):
    """A bundle's files are not the ones the registered commit's dvc.lock records."""


class SkewError(BundleError):
    """The environment or golden outputs differ from training time."""

    exit_code = 7


class RegistryError(CatDetectorError):
    """A GTO registry operation was refused or failed."""

    exit_code = 8


class GateError(RegistryError):
    """The promotion gate refused a candidate."""

    exit_code = 9


class RemoteError(CatDetectorError):
    """A git or DVC remote could not be reached or refused an operation."""

    exit_code = 10


class ExternalToolError(CatDetectorError):
    """git, dvc or gto failed in a way we did not expect."""

    exit_code = 11


class AssessError(CatDetectorError):
    """assess could not read the target."""

    exit_code = 12


class DeckError(CatDetectorError):
    """A learn deck is malformed."""

    exit_code = 13


class StoreError(CatDetectorError):
    """The prediction log's database could not be opened, migrated or written."""

    exit_code = 14


class FeedbackError(CatDetectorError):
    """A feedback label was refused; ``status`` is the HTTP status the API answers with."""

    exit_code = 15

    def __init__(self, message: str, *, status: int = 422, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class OSFailure(CatDetectorError):
    """The operating system refused an operation (base of the OS error classes)."""

    exit_code = 23


class PermissionDeniedError(OSFailure):
    """The OS refused access to a path."""

    exit_code = 20


class PathNotFoundError(OSFailure):
    """A path does not exist, or a folder was expected."""

    exit_code = 21


class DiskFullError(OSFailure):
    """No space left on the device, or a quota exceeded."""

    exit_code = 22


class InternalError(CatDetectorError):
    """Something we did not expect: a bug (shown in one line; the traceback on request)."""

    exit_code = 70


_OS_CLASSES: dict[int, tuple[type[OSFailure], str]] = {
    errno.EACCES: (PermissionDeniedError, "permission denied"),
    errno.EPERM: (PermissionDeniedError, "operation not permitted"),
    errno.EROFS: (PermissionDeniedError, "read-only file system"),
    errno.ENOENT: (PathNotFoundError, "no such file or folder"),
    errno.ENOTDIR: (PathNotFoundError, "not a folder"),
    errno.ENOSPC: (DiskFullError, "no space left on the device"),
    errno.EDQUOT: (DiskFullError, "disk quota exceeded"),
}
_OS_HINTS: dict[type[OSFailure], str] = {
    PermissionDeniedError: "check the path and its permissions, or choose another path",
    PathNotFoundError: "check the path",
    DiskFullError: "free some space, or choose another disk",
}


def from_os_error(exc: OSError) -> OSFailure:
    """The catdetector error (one line, an exit code of the table) for an OS error."""
    cls, text = _OS_CLASSES.get(exc.errno or -1, (OSFailure, exc.strerror or str(exc)))
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(str(p) for p in paths)
    message = f"{text}: {where}" if where else f"{text} ({type(exc).__name__})"
    return cls(message, hint=_OS_HINTS.get(cls))
