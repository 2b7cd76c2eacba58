"""Path patterns of BagIt Profiles (`Tag-Files-*`, `Payload-Files-*`): glob(7) on bag-relative paths.

``*`` and ``?`` stay within one path segment, ``[...]`` is a character class, ``**`` crosses segments. A
pattern that names a folder (``data/src/*`` matching ``data/src/sub``) admits everything beneath it.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", index + 2)) != -1:
            body = pattern[index + 1 : end]
            negated = body.startswith("!")
            body = body[1:] if negated else body
            out.append(f"[{'^' if negated else ''}{re.escape(body).replace(chr(92) + '-', '-')}]")
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def matches(pattern: str, path: str) -> bool:
    """Whether `path`, or a folder it lies in, matches `pattern`."""
    compiled = _compile(pattern.rstrip("/") if pattern != "/" else pattern)
    candidate = path
    while True:
        if compiled.fullmatch(candidate):
            return True
        candidate, slash, _ = candidate.rpartition("/")
        if not slash:
            return False


def any_match(patterns: tuple[str, ...], path: str) -> bool:
    return any(matches(pattern, path) for pattern in patterns)
