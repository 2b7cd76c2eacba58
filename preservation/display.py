"""Untrusted text on its way out: file and member names, bag-info values, titles and messages naming them.

For people (`shown`): a character a terminal would act on or hide instead of showing — C0 and C1
controls and DEL (ESC starts CSI and OSC sequences), CR and LF (a forged line), bidi overrides and other
format characters (U+202E turns ``gpj.exe`` around), line and paragraph separators, unassigned code
points and noncharacters — is written as a visible escape: ``\\x1b``, ``\\n``, ``\\u202e``. A byte of a
name that is not UTF-8 (which Python carries as a lone surrogate, U+DC80–U+DCFF) is written as ``\\xNN``;
a character at or above U+0080 never is (C1 controls are ``\\u0080``–``\\u009f``), so the two do not
mix. Backslashes are left alone: the escapes are for reading; the JSON output carries names exactly.
The result is also fit for XML 1.0 (JUnit), which cannot carry controls, surrogates or U+FFFE/U+FFFF.

For programs (`json_dumps`): JSON that is valid UTF-8 whatever the names hold. Characters that `shown`
escapes are written as JSON ``\\uXXXX`` escapes, so a reader gets them back exactly and a terminal shows
``cat``-ed JSON safely; a byte that is not UTF-8 cannot be carried by JSON (a lone surrogate is not
Unicode) and is written as the four characters ``\\xNN``, as in text output.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
"""Controls, format characters (bidi, zero-width), surrogates, line/paragraph separators, unassigned
(noncharacters such as U+FFFE among them)."""

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# Characters that cannot need escaping are passed over in C: ASCII but DEL and C0 (the JSON encoder has
# escaped C0 already), and the Latin letters and signs U+00A0–U+02FF but the soft hyphen.
_JSON_SUSPECT = re.compile("[^\x00-\x7e\u00a0-\u00ac\u00ae-\u02ff]")


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in _HIDDEN


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x80:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(value: object) -> str:
    """`value` as text a terminal shows as it is, with hidden and active characters escaped visibly."""
    text = str(value)
    if text.isprintable():  # the common case; isprintable is False for all that is escaped (and more)
        return text
    return "".join(_escape(char) if _hidden(char) else char for char in text)


def _json_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\\\x{code - 0xDC00:02x}"  # the JSON text of backslash, x, two hex digits
    if not _hidden(char):
        return char
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate of no byte: nothing to carry it, keep it visible
        return f"\\\\u{code:04x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"  # a pair: one character, no lone surrogate


def json_dumps(document: Any) -> str:
    """`document` as indented JSON text: readable (UTF-8, not ASCII-escaped), safe as `shown` is, valid."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return _JSON_SUSPECT.sub(_json_char, text)
