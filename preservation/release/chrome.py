"""Website chrome around a release (share bars, breadcrumbs, address, copyright) and photo captions."""

from __future__ import annotations

from preservation.release.patterns import CAPTION, CHROME, CHROME_MAX


def is_chrome_line(line: str) -> bool:
    """A short line of the kind the website's frame is made of (patterns.CHROME)."""
    return len(line) <= CHROME_MAX and any(rule.search(line) for rule in CHROME)


def split_caption(line: str) -> tuple[str, str | None]:
    """Return (line without caption, caption) – the caption None when the line carries none."""
    match = CAPTION.search(line)
    if match is None:
        return line, None
    return line[: match.start()].rstrip(), match.group(1).strip()
