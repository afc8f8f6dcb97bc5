"""The one error hierarchy of catdetector; each class carries its CLI exit code."""

from __future__ import annotations


class CatDetectorError(Exception):
    """Base of every error a user can cause or meet; carries an exit code."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
