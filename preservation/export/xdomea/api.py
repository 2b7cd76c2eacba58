"""Export validated bags as xdomea 0503 transfers: one container per year of issue (see `mapping`).

Validation is the bagit export's, unchanged: `admit` validates each bag in full but for its payload
checksums, which the `Witness` checks from the bytes as they go into the container (each payload file is
read once). The message is built from the validated METS and bag-info.txt (read through the Witness too),
checked against the shipped xdomea XSD, and only then is the container written — under a temporary name,
made durable, and renamed into place. A bag whose bytes then disagree with its manifests is rejected and its
year's container written again without it.

Output is deterministic (`mapping` for IDs and times; `serialize.zip_entries` for the zip), so an
interrupted export is resumed by running it again: a container already in place is kept when the one
written now is byte-identical, and refused otherwise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from preservation.clock import source_date_epoch
from preservation.durable import exclusive_output, fsync_dir
from preservation.errors import BagError
from preservation.export.admission import Admission, Witness
from preservation.export.api import (
    Exported,
    ExportError,
    ExportResult,
    Outcome,
    Outcomes,
    Rejected,
    admitted,
    check_resumable,
    named_bags,
    write_closing_files,
)
from preservation.export.files import make_durable, place, stage_file
from preservation.export.serialize import Member, ZipEntry, read_member, zip_entries
from preservation.export.transfer import (
    MANIFEST,
    README,
    TRANSFER_LIST,
    TransferItem,
    render_transfer_list,
    render_transfer_manifest,
)
from preservation.export.xdomea.mapping import (
    DC_FILE,
    METS_FILE,
    TEXT_CHECK_LIMIT,
    BagRecord,
    build_messages,
    declared_charset,
    read_record,
    settings_from_profile,
    with_checked_charset,
)
from preservation.export.xdomea.model import Message
from preservation.export.xdomea.render import render_message
from preservation.export.xdomea.transfer import (
    CONTAINER,
    DOCUMENTS,
    DocumentRow,
    render_documents,
    render_readme,
)
from preservation.hashing import Digests, hash_file
from preservation.metadata.xsd import XDOMEA_VERSIONS, validate_xdomea
from preservation.profile import Profile
from preservation.validate.findings import finding
from preservation.validate.profile_rules import rules_from_profile

FIXED = (README, TRANSFER_LIST, DOCUMENTS, MANIFEST)
"""Written in this order after the containers; the manifest last, so that its presence means complete."""
TAGS = (METS_FILE, DC_FILE, "bag-info.txt")
"""The tag files the message is built from (read through the Witness, so checked as validated)."""


@dataclass
class _Written:
    """What a pass over the containers wrote; reported once no bag of the pass failed."""

    items: list[TransferItem] = field(default_factory=list)
    rows: list[DocumentRow] = field(default_factory=list)
    exported: list[Exported] = field(default_factory=list)


@dataclass
class _Bag:
    admission: Admission
    witness: Witness
    record: BagRecord

    def member(self, path: str) -> Member:
        return next(m for m in self.admission.members if m.path == path)


def choose_version(profile: Profile, requested: str | None) -> str:
    version = requested or profile.xdomea.version
    if version not in XDOMEA_VERSIONS:
        raise ExportError(
            None, f"unknown xdomea version {version!r}; use one of {', '.join(XDOMEA_VERSIONS)}"
        )
    return version


def export_xdomea(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    version: str | None = None,
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[Outcome], None] | None = None,
    *,
    jobs: int = 1,
) -> ExportResult:
    """Validate every bag fully and export the valid ones into `out_dir` as xdomea containers; see the
    module's docstring. ExportError (before anything is written) as for the bagit export."""
    settings = settings_from_profile(profile, choose_version(profile, version))
    bags = named_bags(bags)
    epoch = source_date_epoch(environ)
    report = Outcomes(on_progress)
    with exclusive_output(out_dir) as removed:
        check_resumable(out_dir, CONTAINER, FIXED, "xdomea")
        accepted = list(_read(admitted(bags, rules_from_profile(profile), jobs), report))
        written = _Written()
        while accepted:
            messages = build_messages([b.record for b in accepted], settings, profile.collection, epoch)
            written = _Written()
            failed = _write_all(messages, accepted, out_dir, report, written)
            if not failed:
                break
            accepted = [b for b in accepted if b not in failed]  # the containers again, without them
        for outcome in written.exported:
            report(outcome)
        stale = sorted(
            n
            for n in os.listdir(out_dir)
            if CONTAINER.fullmatch(n) and n not in {i.file for i in written.items}
        )
        if stale:  # an interrupted export of other bags: the manifest would not list it
            raise ExportError(
                out_dir, f"holds containers of another export ({', '.join(stale[:3])}); choose a new folder"
            )
        if written.items:
            _finish(out_dir, written.items, written.rows, settings.version)
    return ExportResult(
        out_dir,
        "zip",
        report.exported(),
        report.rejected(),
        removed,
        bool(written.items),
        f"xdomea {settings.version}",
    )


def _read(admissions: Iterator[Admission], report: Callable[[Outcome], None]) -> Iterator[_Bag]:
    """Admitted bags with their records, read from the validated METS and bag-info.txt; the rest
    rejected. A release exported twice (two bags of one identifier) is exported from the first bag only."""
    seen: dict[str, Path] = {}
    for admission in admissions:
        if admission.reasons:
            report(Rejected(admission.bag, admission.reasons))
            continue
        witness = Witness(admission)
        tags = {m.path: b"".join(witness.read(m)) for m in admission.members if m.path in TAGS}
        payload = [m.path for m in admission.members if not m.is_dir and m.path.startswith("data/")]
        try:
            record = _checked(read_record(admission.bag.name, tags, payload), admission)
        except BagError as exc:
            item = finding("xdomea.mets-unreadable", METS_FILE, reason=exc.message)
            report(Rejected(admission.bag, (item,)))
            continue
        if witness.reasons():
            report(Rejected(admission.bag, witness.reasons()))
            continue
        if record.identifier in seen:
            item = finding(
                "xdomea.identifier-repeated", identifier=record.identifier, other=seen[record.identifier]
            )
            report(Rejected(admission.bag, (item,)))
            continue
        seen[record.identifier] = admission.bag
        yield _Bag(admission, witness, record)


def _checked(record: BagRecord, admission: Admission) -> BagRecord:
    """The record with each text file's declared charset checked against its bytes (`with_checked_charset`):
    a small extra read of the few text files, so the Dateiformat code never claims Unicode wrongly. The
    bytes written are read again, through the Witness."""
    files = []
    for file in record.files:
        member = next((m for m in admission.members if m.path == file.path), None)
        if member is not None and declared_charset(file) and member.size <= TEXT_CHECK_LIMIT:
            file = with_checked_charset(file, b"".join(read_member(member)))
        files.append(file)
    return replace(record, files=tuple(files))


def _write_all(
    messages: list[Message],
    bags: list[_Bag],
    out_dir: Path,
    report: Callable[[Outcome], None],
    written: _Written,
) -> list[_Bag]:
    """Write every container; the bags that failed (rejected and reported), [] when none did."""
    by_identifier = {b.record.identifier: b for b in bags}
    for message in messages:
        group = [by_identifier[d.reference or ""] for d in message.vorgang.documents]
        failed = _write_one(message, group, out_dir, report, written)
        if failed:
            return failed
    return []


def _write_one(
    message: Message,
    group: list[_Bag],
    out_dir: Path,
    report: Callable[[Outcome], None],
    written: _Written,
) -> list[_Bag]:
    """Write the container of `message`, whose documents come from the bags of `group`; the bags that
    failed (rejected and reported), [] when it was written."""
    xml = render_message(message)
    errors = validate_xdomea(xml, message.version)
    if errors:  # a bug of ours or a value the schema cannot take: never publish the container
        invalid = finding(
            "xdomea.message-invalid",
            name=message.file_name,
            version=message.version,
            errors="; ".join(errors[:3]),
        )
        for bag in group:
            report(Rejected(bag.admission.bag, (invalid,)))
        return group
    sources = _sources(message, group)
    entries = [ZipEntry(message.file_name, len(xml), lambda: [xml])]
    entries += (
        ZipEntry(name, member.size, partial(bag.witness.read, member))
        for name, (bag, member) in sources.items()
    )
    mtime = int(message.header.created.timestamp())  # SOURCE_DATE_EPOCH, else from the bags
    size = sum(entry.size for entry in entries)
    temp, digests = stage_file(
        out_dir, message.container_name, zip_entries(entries, mtime), size, fsync=False
    )
    failed = [bag for bag in group if bag.witness.reasons()]
    if failed:
        temp.unlink()
        for bag in failed:
            report(Rejected(bag.admission.bag, bag.witness.reasons()))
        return failed
    _place(temp, out_dir / message.container_name, digests)
    _record(message, group, sources, digests, written)
    return []


def _place(temp: Path, final: Path, digests: Digests) -> None:
    """Make the staged container durable and give it its name; one left by an interrupted run is kept
    when it holds the same bytes (the export is deterministic), else ExportError."""
    make_durable(final.parent)
    if final.exists():
        if hash_file(final, ["sha512"]).values["sha512"] != digests.values["sha512"]:
            temp.unlink()
            raise ExportError(final, "exists with other content; choose a new transfer folder")
        temp.unlink()
    else:
        place(temp, final)
        fsync_dir(final.parent)


def _record(
    message: Message,
    group: list[_Bag],
    sources: dict[str, tuple[_Bag, Member]],
    digests: Digests,
    written: _Written,
) -> None:
    """The written container's row of the transfer list, its primary documents' rows and its bags."""
    vorgang = message.vorgang
    item = TransferItem.written(
        message.container_name,
        digests,
        identifier=message.header.process_id,
        title=vorgang.subject,
        issued="/".join(d.isoformat() for d in (vorgang.begin, vorgang.end) if d is not None),
        payload_files=len(sources),
    )
    written.items.append(item)
    for name, (bag, member) in sources.items():
        digest = dict(bag.admission.expected.payload[member.path]) if bag.admission.expected else {}
        written.rows.append(
            DocumentRow(
                container=message.container_name,
                file=name,
                identifier=bag.record.identifier,
                bag=bag.admission.bag.name,
                path=member.path,
                size=member.size,
                sha256=digest.get("sha256", b"").hex(),
                sha512=digest.get("sha512", b"").hex(),
            )
        )
    written.exported += (Exported(bag.admission.bag, item, resumed=False) for bag in group)


def _sources(message: Message, group: list[_Bag]) -> dict[str, tuple[_Bag, Member]]:
    """Primary document name → the bag and member it is taken from, in message order."""
    found: dict[str, tuple[_Bag, Member]] = {}
    for document, bag in zip(message.vorgang.documents, group, strict=True):
        for item in (document, *document.attachments):
            for fmt in item.formats:
                found[fmt.file_name] = (bag, bag.member(fmt.bag_path))
    return found


def _finish(out_dir: Path, items: list[TransferItem], rows: list[DocumentRow], version: str) -> None:
    """README, transfer list, documents list, then the manifest (containers and documents list): its
    presence marks the folder complete. A file a killed earlier run wrote is kept when byte-identical."""
    documents = render_documents(rows)
    contents = {
        README: render_readme(len(items), len(rows), version),
        TRANSFER_LIST: render_transfer_list(items),
        DOCUMENTS: documents,
    }
    listed = [*items, _documents_item(documents)]
    contents[MANIFEST] = render_transfer_manifest(sorted(listed, key=lambda i: i.file.encode()))
    write_closing_files(out_dir, {name: contents[name] for name in FIXED})


def _documents_item(data: bytes) -> TransferItem:
    return TransferItem(
        DOCUMENTS,
        len(data),
        hashlib.sha256(data).hexdigest(),
        hashlib.sha512(data).hexdigest(),
        "",
        "",
        "",
        0,
    )
