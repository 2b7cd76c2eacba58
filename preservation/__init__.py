"""Turn archived press releases into BagIt preservation packages."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("preservation")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

SOFTWARE_NAME = "preservation"
