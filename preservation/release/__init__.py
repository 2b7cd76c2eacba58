"""Reading press releases from their sources: text exports, saved HTML pages and release folders."""

from preservation.release.model import ReadFailure, Release
from preservation.release.read import read_release, read_sources

__all__ = ["ReadFailure", "Release", "read_release", "read_sources"]
