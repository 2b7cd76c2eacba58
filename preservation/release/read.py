"""The public way in: read one release, or every release under a list of sources without stopping."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from preservation.errors import PreservationError, ReleaseError
from preservation.profile import Profile
from preservation.release.decode import decode, for_xml
from preservation.release.discover import Found, Unreadable, discover, is_html, skip_folders
from preservation.release.html import html_to_text
from preservation.release.identify import identifier, number_from_path
from preservation.release.model import ReadFailure, Release, Skipped
from preservation.release.patterns import MOJIBAKE
from preservation.release.text import parse_text
from preservation.sourcefile import open_regular, refused
from preservation.validate.findings import Finding, finding

MAX_DOCUMENT_BYTES = 8 << 20
"""A press release is a few KB to a few MB (the samples: 0.5–2.2 KB), a saved page with inlined pictures
rarely more. Reading one costs memory many times its size (at this limit, inspect peaks at 70 MB for
text and 230 MB for HTML, whose parse tree is the cost), so a larger document is refused unread."""


def read_release(path: Path | str, profile: Profile) -> Release:
    """Read the release at `path`: a document or a folder holding exactly one. Raise ReleaseError."""
    items = [item for item in discover(Path(path)) if not isinstance(item, Skipped)]
    for item in items:
        if isinstance(item, Unreadable):
            raise ReleaseError(item.path, item.message, code=item.code)
    if len(items) != 1:
        raise ReleaseError(path, f"a collection of {len(items)} releases, not one release")
    found = items[0]
    assert isinstance(found, Found)
    return read_found(found, profile)


def read_sources(
    paths: Iterable[Path | str], profile: Profile, skip: Iterable[Path] = ()
) -> Iterator[Release | ReadFailure | Skipped]:
    """Every release under `paths`, in order, and every entry not read; a bad source gives one ReadFailure
    and the batch goes on. Folders in `skip` (the build's output) and bags are not searched."""
    skipped = skip_folders(skip)
    for path in paths:
        for item in discover(Path(path), skipped):
            if isinstance(item, Skipped):
                yield item
            elif isinstance(item, Unreadable):
                yield ReadFailure(item.path, item.message, item.code)
            else:
                try:
                    yield read_found(item, profile)
                except PreservationError as exc:
                    yield ReadFailure(Path(exc.source or item.document), exc.message, exc.code)


def read_found(found: Found, profile: Profile) -> Release:
    """Read one discovered release document and give it its identity, files and warnings."""
    document = found.document
    data = _read_bytes(document, found.top)
    text, encoding, decoding = decode(data, document)
    html = is_html(document)
    title_hint = None
    replaced: tuple[str, ...] = ()
    if html:
        content = html_to_text(text, profile.notice)
        text, title_hint, replaced = content.text, content.title, content.replaced
    parsed = parse_text(text, document, profile.notice, title_hint)
    path_number = number_from_path(document.resolve())
    number = path_number or parsed.number
    origins = parsed.origins
    if path_number is not None:
        origins = tuple(o for o in origins if o[0] != "number") + (("number", "the archive's folder name"),)
    # The fields that go into bag-info and the XML metadata; the document itself is kept as it is.
    warnings = list(found.warnings + decoding + parsed.warnings)
    if replaced:
        warnings.append(finding("release.xml-characters", field="markup", characters=", ".join(replaced)))
    title = _for_xml("title", parsed.title, warnings)
    if not title:
        raise ReleaseError(document, "the title holds only characters that XML cannot carry")
    author = parsed.author and _for_xml("author", parsed.author, warnings)
    place = parsed.place and _for_xml("place", parsed.place, warnings)
    for name, value in (("title", title), ("author", author), ("place", place)):
        mojibake = MOJIBAKE.search(value or "")
        if mojibake:
            warnings.append(finding("release.mojibake", field=name, sample=mojibake[0]))
    return Release(
        source=document,
        identifier=identifier(number, parsed.issued, title),
        title=title,
        issued=parsed.issued,
        author=author or None,
        place=place or None,
        number=number,
        notice_in_source=parsed.notice_in_source,
        body=parsed.body,
        source_format="html" if html else "text",
        encoding=encoding,
        attachments=found.attachments,
        root=found.root,
        top=found.top,
        warnings=tuple(warnings),
        origins=origins,
    )


def _for_xml(name: str, value: str, warnings: list[Finding]) -> str:
    clean, removed = for_xml(value)
    if not removed:
        return value
    warnings.append(finding("release.xml-characters", field=name, characters=", ".join(removed)))
    return " ".join(clean.split())


def _read_bytes(document: Path, top: Path | None) -> bytes:
    """The document's bytes, read through no link and from no special file, and at most MAX_DOCUMENT_BYTES."""
    try:
        with open_regular(document, top) as stream:
            size = os.fstat(stream.fileno()).st_size
            data = stream.read(MAX_DOCUMENT_BYTES + 1) if size <= MAX_DOCUMENT_BYTES else b""
    except FileNotFoundError:
        raise ReleaseError(document, "no such file") from None
    except OSError as exc:
        raise ReleaseError(document, f"cannot read file: {exc.strerror or exc}") from None
    if size > MAX_DOCUMENT_BYTES or len(data) > MAX_DOCUMENT_BYTES:  # or it grew while being read
        raise refused(document, "source.oversize", size=max(size, len(data)), limit=MAX_DOCUMENT_BYTES)
    return data
