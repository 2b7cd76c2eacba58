"""Turn archived press releases into BagIt preservation packages."""

SOFTWARE_NAME = "preservation"


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata when first asked for: importlib.metadata costs
    # every command ~30 ms to start, and most never name the version.
    if name != "__version__":
        raise AttributeError(f"module 'preservation' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("preservation")
    except PackageNotFoundError:  # running from a source tree that is not installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
