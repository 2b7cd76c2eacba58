"""Errors that users can cause. Each names the file and the problem; the CLI prints them in one line."""

from pathlib import Path


class PreservationError(Exception):
    """Base of every error caused by input rather than by a bug."""

    def __init__(self, source: Path | str | None, message: str, *, code: str | None = None) -> None:
        self.source = str(source) if source is not None else None
        self.message = message
        self.code = code
        """The finding code (preservation/validate/catalogue.yaml) when the problem has one."""
        super().__init__(f"{self.source}: {message}" if self.source else message)


class ProfileError(PreservationError):
    """A profile file is missing, unreadable or does not follow the profile schema."""


class ReleaseError(PreservationError):
    """A source could not be read as a press release."""


class BagError(PreservationError):
    """A bag could not be written or read."""
