"""What every check reads: a bag's scan (`validate/scan.py`) with its tag files parsed.

The scanner gathers; this module only interprets what it gathered (bag-info, tag manifests, fetch.txt) in
the encoding and BagIt version bagit.txt declares. Checks import from here, never from the scanner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from preservation.bagit.parse import (
    TAG_FILE_LIMIT,
    Declaration,
    Fetch,
    Manifest,
    Problem,
    TagValues,
    manifest_algorithm,
    parse_fetch,
    parse_manifest,
    parse_tag_values,
    rules_1_0,
)
from preservation.validate.listing import PayloadManifest

if TYPE_CHECKING:  # a profile is needed by some bags only
    from preservation.bagit.reader import BagReader
    from preservation.validate.profile_rules import ProfileRules
    from preservation.validate.scan import Mode, Scan

METS = "metadata/mets.xml"
DC = "metadata/dc.xml"
NOTICE = "archival-notice.txt"
INFO_FILES = ("bag-info.txt", "package-info.txt")


class BagContext(NamedTuple):
    """What every check reads: the scan plus the parsed tag files."""

    source: str
    serialization: str
    mode: Mode
    scan: Scan
    reader_problems: tuple[Problem, ...]
    declaration: Declaration | None
    encoding: str
    info_file: str | None
    info: TagValues | None
    manifests: dict[str, PayloadManifest]
    """Payload manifests by file name; their entries are merged in `scan.listing`."""
    tagmanifests: dict[str, Manifest]
    fetch: Fetch | None
    profile: ProfileRules | None = None
    """The profile to check against; None: RFC 8493 checks only."""
    tag_file_limit: int = TAG_FILE_LIMIT
    """Tag files a check reads that are larger were not read (`TagFile.oversize`)."""

    @property
    def version_1_0(self) -> bool:
        return rules_1_0(self.declaration)


def bag_context(
    result: Scan,
    reader: BagReader,
    mode: Mode,
    profile: ProfileRules | None = None,
    tag_file_limit: int = TAG_FILE_LIMIT,
) -> BagContext:
    """The checks' view of `result`, a finished scan of `reader`."""
    tags = result.tags
    declaration = result.declaration
    encoding = (declaration.encoding if declaration else None) or "utf-8"
    version_1_0 = rules_1_0(declaration)
    info_file = next((n for n in INFO_FILES if n in tags), None)
    info = result.infos.get(info_file) if info_file else None
    if info_file and info is None and tags[info_file].data is not None:  # read before bagit.txt (a tar)
        info = parse_tag_values(tags[info_file].data or b"", encoding, version_1_0=version_1_0)
    tagmanifests: dict[str, Manifest] = {}
    for name, tag in sorted(tags.items()):
        found = manifest_algorithm(name)
        if found is not None and found[0] and tag.data is not None:
            tagmanifests[name] = parse_manifest(tag.data, found[1], encoding, version_1_0=version_1_0)
    fetch = None
    if "fetch.txt" in tags and tags["fetch.txt"].data is not None:
        fetch = parse_fetch(tags["fetch.txt"].data or b"", encoding)
    return BagContext(
        source=str(reader.source),
        serialization=reader.serialization,
        mode=mode,
        scan=result,
        reader_problems=tuple(reader.problems),
        declaration=declaration,
        encoding=encoding,
        info_file=info_file,
        info=info,
        manifests=dict(sorted(result.listing.manifests.items())),
        tagmanifests=tagmanifests,
        fetch=fetch,
        profile=profile,
        tag_file_limit=tag_file_limit,
    )
