"""Path rules of RFC 8493: manifest path encoding (§2.1.3) and the safety of paths named inside a bag."""

from __future__ import annotations

import re
import unicodedata

_DECODE = re.compile(r"%(0[DdAa]|25)")


def encode_path(path: str) -> str:
    """Encode a bag-relative POSIX path for a manifest or fetch.txt line: ``%``, CR and LF."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(encoded: str) -> str:
    """Undo `encode_path`; other ``%XX`` sequences are left as they are (RFC 8493 defines only these)."""
    if "%" not in encoded:  # nearly every line: skip the regex
        return encoded
    return _DECODE.sub(lambda m: chr(int(m.group(1), 16)), encoded)


def nfc(path: str) -> str:
    return unicodedata.normalize("NFC", path)


def folded(path: str) -> str:
    """What two names share when a case-insensitive, normalizing filesystem (macOS, Windows) takes them for
    one file: a bag made there may list one file under both (validate and fixity match them by this)."""
    return nfc(path).casefold()


def unsafe_reason(path: str) -> str | None:
    """Why a bag-relative path would lead outside the bag, or None when it stays inside.

    Judged on the text alone, never by resolving it on disk: ``..`` segments anywhere (which also catches
    the sibling-prefix trick ``../bagAB/x`` in ``bagA``), absolute POSIX paths, ``~/…`` and ``~user/…``,
    drive letters, UNC and backslash paths, and NUL bytes.
    """
    # Fast path for the common case (one call per manifest line): none of the characters any rule needs.
    if (
        path
        and path[0] not in "/\\~"
        and ".." not in path
        and "\\" not in path
        and "\x00" not in path
        and (len(path) < 2 or path[1] != ":")
    ):
        return None
    if not path:
        return "empty path"
    if "\x00" in path:
        return "contains a NUL byte"
    if path.startswith(("/", "\\")):
        return "absolute path"
    if path == "~" or (path.startswith("~") and "/" in path):
        # What a shell expands: "~" or "~user" as the first of several segments. A file named "~notes.txt"
        # at the top of the bag is an ordinary tag file.
        return "home-directory path (~)"
    if re.match(r"^[A-Za-z]:", path):
        return "drive-letter path"
    segments = re.split(r"[/\\]", path)
    if ".." in segments:
        return "parent-directory segment (..)"
    return None
