"""Rendering of BagIt tag files (RFC 8493) as bytes: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from preservation.bagit.paths import encode_path

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

PAYLOAD_OXUM = "Payload-Oxum"
BAG_SIZE = "Bag-Size"
COMPUTED_LABELS = (PAYLOAD_OXUM, BAG_SIZE)
"""bag-info labels whose values the writer computes from the payload."""

CONTINUATION_INDENT = "  "

_SIZE_UNITS = ("KB", "MB", "GB", "TB", "PB")


def render_bagit_txt() -> bytes:
    return BAGIT_TXT


def format_payload_oxum(octets: int, count: int) -> str:
    """``<octets>.<count>`` (RFC 8493 §2.2.2)."""
    return f"{octets}.{count}"


def format_bag_size(octets: int) -> str:
    """A human size in decimal units with one decimal, e.g. ``1.2 MB``; plain bytes below 1 KB."""
    if octets < 1000:
        return f"{octets} B"
    value = octets / 1000
    for unit in _SIZE_UNITS[:-1]:
        # Compare the rounded figure so that 999,950 bytes reads "1.0 MB", not "1000.0 KB".
        if round(value, 1) < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} {_SIZE_UNITS[-1]}"


def fold_value(value: str) -> str:
    """A bag-info value as it is written after ``Label: ``: each line break starts a continuation line.

    RFC 8493 §2.2.2: a value continues on the next line when that line is indented; the indentation is
    not part of the value, the line break is. So only the value's own line breaks (CR, LF, CRLF, all
    written as LF) are folded. Long single-line values are not folded at 79 characters (only RECOMMENDED):
    a fold would add a line break to the value, e.g. to a release title.
    """
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ("\n" + CONTINUATION_INDENT).join(lines)


def _check_label(label: str) -> None:
    if not label or label != label.strip() or any(c in label for c in ":\r\n"):
        raise ValueError(f"invalid bag-info label {label!r}")


def render_bag_info(pairs: Sequence[tuple[str, str]]) -> bytes:
    """bag-info.txt from (label, value) pairs in the given order; RFC 8493 says order may matter."""
    lines = []
    for label, value in pairs:
        _check_label(label)
        lines.append(f"{label}: {fold_value(value)}\n")
    return "".join(lines).encode("utf-8")


def fill_bag_info(
    pairs: Sequence[tuple[str, str | None]], computed: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """Put the computed values (Payload-Oxum, Bag-Size) into the caller's ordered bag-info pairs.

    The rule: a computed label given with the value None is filled in place (labels compare
    case-insensitively, the caller's spelling is kept); a computed label the caller left out is appended
    at the end. A computed label given with a value, or any other label given None, is a ValueError:
    the writer owns those values, and a caller's stale copy would make the bag lie about its payload.
    """
    wanted = {label.lower(): value for label, value in computed.items()}
    filled: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label, value in pairs:
        key = label.lower()
        if key in wanted:
            if value is not None:
                raise ValueError(f"bag-info label {label!r} is computed by the writer; give it as None")
            filled.append((label, wanted[key]))
            seen.add(key)
        elif value is None:
            raise ValueError(f"bag-info label {label!r} has no value")
        else:
            filled.append((label, value))
    filled.extend((label, value) for label, value in computed.items() if label.lower() not in seen)
    return tuple(filled)


def render_manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """Manifest lines ``<hexdigest>  <encoded path>`` from (bag path, hexdigest) pairs.

    Paths are encoded per RFC 8493 §2.1.3 and the lines sorted by the encoded path's UTF-8 bytes, so the
    file is the same whatever order the files were written in.
    """
    encoded = sorted((encode_path(path).encode("utf-8"), digest) for path, digest in entries)
    return b"".join(digest.encode("ascii") + b"  " + path + b"\n" for path, digest in encoded)
