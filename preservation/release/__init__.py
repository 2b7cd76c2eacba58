"""Reading press releases from their sources: text exports, saved HTML pages and release folders."""

from typing import Any

from preservation.release.model import ReadFailure, Release

__all__ = ["ReadFailure", "Release", "read_release", "read_sources"]


def __getattr__(name: str) -> Any:
    # The reader (lxml among its imports) is loaded when first used, not by importing the model.
    if name not in ("read_release", "read_sources"):
        raise AttributeError(f"module 'preservation.release' has no attribute {name!r}")
    from preservation.release import read

    return getattr(read, name)
