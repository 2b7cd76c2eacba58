"""Our metadata, when a bag has it: METS and DC schema-valid (offline), METS files equal to the manifests,
DC equal to bag-info (`records`, loaded only for a bag holding one of them), and with a profile that states
one, the archival notice equal to the profile's.
"""

from __future__ import annotations

from collections.abc import Iterator

from preservation.validate.context import DC, METS, NOTICE, BagContext
from preservation.validate.findings import Finding, finding


def check(bag: BagContext) -> Iterator[Finding]:
    if METS in bag.scan.tags or DC in bag.scan.tags:
        from preservation.validate import records

        yield from records.check(bag)
    yield from _notice(bag)


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _notice(bag: BagContext) -> Iterator[Finding]:
    expected = bag.profile.notice if bag.profile is not None else None
    if expected is None:
        return
    tag = bag.scan.tags.get(NOTICE)
    if tag is None:
        yield finding("metadata.notice-missing", NOTICE)
    elif tag.data is not None:
        text = tag.data.decode(bag.encoding, errors="replace")
        if _normalized(text) != _normalized(expected):
            yield finding("metadata.notice-mismatch", NOTICE)
    heading = bag.info.get("Archival-Notice") if bag.info else None
    if heading is not None and heading != expected.strip().splitlines()[0].strip():
        yield finding("metadata.notice-mismatch", bag.info_file)
