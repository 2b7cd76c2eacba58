"""The plain-text rendition of a release read from HTML: what a reader sees, without the page around it."""

from __future__ import annotations

from preservation.release.model import Release


def render_text(release: Release) -> bytes:
    """UTF-8 with LF line ends: title, date line, body, author and closing line, as in the text exports."""
    parts = [release.title, f"Pressemitteilung vom {release.issued:%d.%m.%Y}", release.body.strip()]
    if release.author:
        parts.append(f"Autor/in: {release.author}")
    if release.place:
        parts.append(f"{release.place}, {release.issued:%d.%m.%Y}")
    return ("\n\n".join(p for p in parts if p) + "\n").encode("utf-8")
