"""Export validated bags as E-ARK SIPs (CSIP 2.1, SIP 2.1): one SIP per bag, `<OBJID>.zip` (see
`mapping` for its layout and identity).

Validation is the bagit export's, unchanged: `admit` validates each bag in full but for its payload
checksums, which the `Witness` checks from the bytes as they go into the zip (each payload file is read
once). The SIP's METS documents and premis.xml are checked against the shipped schemas before the zip is
written — under a temporary name, made durable in batches (`export.api.BATCH`), and renamed into place.
Output is deterministic, so an interrupted export is resumed by running it again: a SIP already in place
is kept when the one written now is byte-identical, and refused otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path, PurePosixPath

from preservation.clock import source_date_epoch
from preservation.durable import exclusive_output, fsync_dir
from preservation.errors import BagError
from preservation.export.admission import Admission, Witness
from preservation.export.api import (
    BATCH,
    BATCH_BYTES,
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
from preservation.export.eark.mapping import (
    Sip,
    SipSettings,
    SipSource,
    build_sip,
    payload_files,
)
from preservation.export.eark.schema import mets_errors, premis_errors
from preservation.export.eark.transfer import PACKAGE, render_readme
from preservation.export.files import make_durable, place, stage_file
from preservation.export.serialize import Member, ZipEntry, zip_entries
from preservation.export.transfer import (
    MANIFEST,
    README,
    TRANSFER_LIST,
    TransferItem,
    render_transfer_list,
    render_transfer_manifest,
)
from preservation.export.xdomea.mapping import DC_FILE, METS_FILE, read_record
from preservation.hashing import hash_file
from preservation.profile import Profile
from preservation.validate.findings import finding
from preservation.validate.profile_rules import rules_from_profile

FIXED = (README, TRANSFER_LIST, MANIFEST)
"""Written in this order after the SIPs; the manifest last, so that its presence means complete."""
NOTICE_FILE = "archival-notice.txt"
TAGS = (METS_FILE, DC_FILE, "bag-info.txt", NOTICE_FILE)
"""The tag files the SIP is built from (read through the Witness, so checked as validated)."""


def export_eark(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[Outcome], None] | None = None,
    *,
    jobs: int = 1,
) -> ExportResult:
    """Validate every bag fully and export the valid ones into `out_dir` as E-ARK SIPs; see the module's
    docstring. ExportError (before anything is written) as for the bagit export."""
    from preservation import __version__

    settings = SipSettings(profile.organization.name, "preservation", __version__)
    bags = named_bags(bags)
    epoch = source_date_epoch(environ)
    items: list[TransferItem] = []
    report = Outcomes(on_progress)
    with exclusive_output(out_dir) as removed:
        check_resumable(out_dir, PACKAGE, FIXED, "E-ARK SIP")
        batch: list[_Staged] = []
        for admission, witness, sip in _sips(admitted(bags, rules_from_profile(profile), jobs), settings,
                                             epoch, report):  # fmt: skip
            staged = _stage(sip, admission, witness, out_dir, report)
            if staged is not None:
                batch.append(staged)
            if len(batch) >= BATCH or sum(s.item.size for s in batch) >= BATCH_BYTES:
                _publish(batch, out_dir, items, report)
                batch = []
        _publish(batch, out_dir, items, report)
        stale = sorted(
            n for n in os.listdir(out_dir) if PACKAGE.fullmatch(n) and n not in {i.file for i in items}
        )
        if stale:  # an interrupted export of other bags: the manifest would not list it
            raise ExportError(
                out_dir, f"holds SIPs of another export ({', '.join(stale[:3])}); choose a new folder"
            )
        if items:
            _finish(out_dir, items)
    return ExportResult(
        out_dir,
        "zip",
        report.exported(),
        report.rejected(),
        removed,
        bool(items),
        "E-ARK SIP 2.1",
    )


def _sips(
    admissions: Iterator[Admission],
    settings: SipSettings,
    epoch: datetime | None,
    report: Callable[[Outcome], None],
) -> Iterator[tuple[Admission, Witness, Sip]]:
    """Each admitted bag with its SIP, built from the validated tag files; the rest rejected."""
    seen: dict[str, Path] = {}
    for admission in admissions:
        if admission.reasons:
            report(Rejected(admission.bag, admission.reasons))
            continue
        assert admission.expected is not None
        witness = Witness(admission)
        tags = {m.path: b"".join(witness.read(m)) for m in admission.members if m.path in TAGS}
        members = [m for m in admission.members if not m.is_dir and m.path.startswith("data/")]
        try:
            record = read_record(admission.bag.name, tags, [m.path for m in members])
            digests = {path: dict(pairs) for path, pairs in admission.expected.payload.items()}
            source = SipSource(
                record,
                tags[METS_FILE],
                tags.get(DC_FILE, b""),
                tags.get(NOTICE_FILE),
                payload_files(
                    sorted(((m.path, m.size) for m in members), key=lambda p: p[0].encode()), digests
                ),
            )
            sip = build_sip(source, settings, epoch)
        except (BagError, KeyError) as exc:
            message = exc.message if isinstance(exc, BagError) else f"{exc.args[0]} is missing"
            item = finding("eark.bag-unreadable", METS_FILE, reason=message)
            report(Rejected(admission.bag, (item,)))
            continue
        if witness.reasons():
            report(Rejected(admission.bag, witness.reasons()))
            continue
        if sip.objid in seen:  # a copy of a bag: the same SIP, which the transfer holds once
            item = finding("eark.sip-repeated", objid=sip.objid, other=seen[sip.objid])
            report(Rejected(admission.bag, (item,)))
            continue
        seen[sip.objid] = admission.bag
        yield admission, witness, sip


def _xml_problems(sip: Sip) -> list[str]:
    """Schema errors of the SIP's METS documents and premis.xml (dc.xml is the bag's, validated)."""
    checks = {"METS.xml": mets_errors, "premis.xml": premis_errors}
    errors: list[str] = []
    for path, data in sip.files:
        check = checks.get(PurePosixPath(path).name)
        if check is not None:
            errors += (f"{path}: {e}" for e in check(data)[:3])
    return errors


@dataclass(frozen=True)
class _Staged:
    bag: Path
    temp: Path
    item: TransferItem


def _stage(
    sip: Sip, admission: Admission, witness: Witness, out_dir: Path, report: Callable[[Outcome], None]
) -> _Staged | None:
    """The SIP written under a temporary name, not yet durable; None (and the bag rejected) when its XML
    fails the schemas or its bytes differ from the bag's manifests."""
    errors = _xml_problems(sip)
    if errors:  # a bug of ours or a value the schema cannot take: never publish the SIP
        invalid = finding("eark.mets-invalid", f"{sip.objid}.zip", errors="; ".join(errors[:3]))
        report(Rejected(admission.bag, (invalid,)))
        return None
    members = {m.path: m for m in admission.members}
    name = f"{sip.objid}.zip"
    entries = list(_entries(sip, members, witness))
    mtime = int(sip.created.timestamp())
    size = sum(e.size for e in entries)
    temp, digests = stage_file(out_dir, name, zip_entries(entries, mtime), size, fsync=False)
    if witness.reasons():
        temp.unlink()
        report(Rejected(admission.bag, witness.reasons()))
        return None
    item = TransferItem.written(
        name,
        digests,
        identifier=sip.identifier,
        title=sip.label,
        issued=sip.issued,
        payload_files=len(sip.payload),
    )
    return _Staged(admission.bag, temp, item)


def _publish(
    batch: list[_Staged], out_dir: Path, items: list[TransferItem], report: Callable[[Outcome], None]
) -> None:
    """Staged SIPs durable (one syncfs for the batch), then renamed into place (one fsync of the folder):
    a SIP under its final name is always complete. One a killed run left in place is kept when it is
    byte-identical (the output is deterministic), and refused otherwise."""
    if not batch:
        return
    make_durable(out_dir)
    for staged in batch:
        final = out_dir / staged.item.file
        if final.exists():
            if hash_file(final, ["sha512"]).values["sha512"] != staged.item.sha512:
                for other in batch:
                    other.temp.unlink(missing_ok=True)
                raise ExportError(final, "exists with other content; choose a new transfer folder")
            staged.temp.unlink()
        else:
            place(staged.temp, final)
    fsync_dir(out_dir)
    for staged in batch:
        items.append(staged.item)
        report(Exported(staged.bag, staged.item, resumed=False))


def _entries(sip: Sip, members: dict[str, Member], witness: Witness) -> Iterator[ZipEntry]:
    """The zip's entries under `<OBJID>/`: each folder before its contents, files in path order."""
    files: dict[str, ZipEntry] = {
        path: ZipEntry(f"{sip.objid}/{path}", len(data), partial(lambda d: [d], data))
        for path, data in sip.files
    }
    for path, bag_path in sip.payload:
        member = members[bag_path]
        files[path] = ZipEntry(f"{sip.objid}/{path}", member.size, partial(witness.read, member))
    folders = {""}
    for path in files:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    listed = {(f"{f}/" if f else ""): None for f in folders}
    for key in sorted([*listed, *files], key=lambda p: p.encode()):
        if key in files:
            yield files[key]
        else:
            yield ZipEntry(f"{sip.objid}/{key}", 0, None)


def _finish(out_dir: Path, items: list[TransferItem]) -> None:
    """README, transfer list, then the manifest: its presence marks the folder complete. A file a killed
    earlier run wrote is kept when byte-identical."""
    ordered = sorted(items, key=lambda i: i.file.encode())
    contents = {
        README: render_readme(len(items)),
        TRANSFER_LIST: render_transfer_list(ordered),
        MANIFEST: render_transfer_manifest(ordered),
    }
    write_closing_files(out_dir, {name: contents[name] for name in FIXED})
