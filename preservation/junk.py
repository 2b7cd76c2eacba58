"""The litter operating systems leave in folders, as one vocabulary: release discovery passes it by, and
validation warns of it in a bag (name.os-junk)."""

from __future__ import annotations

OS_JUNK = frozenset(
    {
        ".ds_store",  # macOS Finder
        ".spotlight-v100",
        ".trashes",
        ".fseventsd",
        ".temporaryitems",
        "__macosx",  # the folder macOS's zip puts resource forks in
        "thumbs.db",  # Windows Explorer
        "ehthumbs.db",
        "desktop.ini",
        "$recycle.bin",
    }
)
"""Case-folded names, as the filesystems that make them ignore case."""
APPLEDOUBLE = "._"
"""The prefix of the resource-fork files macOS writes beside a file on a foreign filesystem."""


def is_os_junk(name: str) -> bool:
    """Whether a file or folder of this name (the last segment of a path) is an operating system's
    litter, whatever its case."""
    return name.startswith(APPLEDOUBLE) or name.casefold() in OS_JUNK
