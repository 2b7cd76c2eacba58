"""Profiles: the only configuration. Loaded once from YAML, validated by the shipped JSON Schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from preservation.errors import ProfileError
from preservation.serialization import accepts

DEFAULT_PROFILE = Path(str(resources.files("preservation").joinpath("profiles", "state-archive.yaml")))
"""The default profile, shipped inside the package so that any install finds it; `profiles/state-archive.yaml`
in the source tree links to it, for users to read and copy."""


@dataclass(frozen=True)
class Organization:
    name: str
    address: str
    contact_name: str
    contact_email: str
    contact_phone: str | None = None


@dataclass(frozen=True)
class XdomeaProfile:
    """`xdomea:` in a profile: the head of every 0503 message (`export --format xdomea`). Every key has a
    default (profiles/README.md), so a profile without the section still exports."""

    version: str = "3.0.0"
    sender_unit: str | None = None
    """Absender/Organisationseinheit; the institution is `organization.name`."""
    recipient: str = "Landesarchiv Speyer"
    recipient_unit: str | None = None
    receipt_confirmation: bool = False
    archive_id_feedback: bool = False
    nachrichtentyp_list_version: str = "2.0"
    dateiformat_list_version: str = "2.0"
    vertraulichkeitsstufe_list_version: str = "1.0"
    medium_list_version: str = "1.0"


@dataclass(frozen=True)
class BagInfoField:
    name: str
    required: bool = False
    repeatable: bool = False
    values: tuple[str, ...] | None = None
    default: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Profile:
    source: Path
    identifier: str
    version: str
    description: str
    contact_name: str | None
    contact_email: str | None
    organization: Organization
    collection: str
    """Bag-Group-Identifier: the press archive every release belongs to."""
    place: str
    language: str
    notice: str
    """The canonical text of the archival notice, paragraphs separated by blank lines."""
    manifest_algorithms: tuple[str, ...]
    tagmanifest_algorithms: tuple[str, ...]
    bag_info: tuple[BagInfoField, ...]
    tag_files_required: tuple[str, ...]
    tag_files_allowed: tuple[str, ...]
    payload_files_required: tuple[str, ...]
    payload_files_allowed: tuple[str, ...]
    accept_bagit_versions: tuple[str, ...]
    allow_fetch: bool
    fetch_required: bool
    data_empty: bool
    serialization: Literal["forbidden", "required", "optional"]
    accept_serialization: tuple[str, ...]
    default_serialization: str
    xdomea: XdomeaProfile = XdomeaProfile()

    @property
    def notice_first_sentence(self) -> str:
        """The notice's heading line, as it goes into bag-info.txt."""
        return self.notice.strip().splitlines()[0].strip()

    def bag_info_field(self, name: str) -> BagInfoField | None:
        lowered = name.lower()
        return next((f for f in self.bag_info if f.name.lower() == lowered), None)


@cache
def _schema() -> dict[str, Any]:
    text = (resources.files("preservation") / "profile_schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    import jsonschema  # here, not above: its import would cost every command ~40 ms to start

    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _key(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def validate_profile_data(data: Any, source: Path | str) -> None:
    """Raise ProfileError naming the first offending key (the most specific error) and the reason."""
    import jsonschema  # see _schema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        raise ProfileError(source, f"key '{_key(best.absolute_path)}': {best.message}")
    _check_consistency(data, source)


def _check_consistency(data: dict[str, Any], source: Path | str) -> None:
    """Rules the JSON Schema cannot express."""
    seen: set[str] = set()
    for index, entry in enumerate(data["bag_info"]):
        name = entry["name"].lower()
        if name in seen:
            raise ProfileError(source, f"key 'bag_info[{index}].name': '{entry['name']}' is listed twice")
        seen.add(name)
        values, default = entry.get("values"), entry.get("default")
        if values and default is not None and default not in values:
            raise ProfileError(
                source,
                f"key 'bag_info[{index}].default': '{default}' is not one of its values {values}",
            )
    allowed = data["tag_files"]["allowed"]
    for name in data["tag_files"]["required"]:
        if not any(fnmatchcase(name, pattern) for pattern in allowed):
            raise ProfileError(
                source,
                f"key 'tag_files.required': '{name}' is required but not in tag_files.allowed",
            )
    serialization = data["serialization"]
    default = serialization.get("default")
    if default and not accepts(serialization["accept"], default):
        raise ProfileError(source, f"key 'serialization.default': '{default}' is not in serialization.accept")
    if serialization["mode"] != "forbidden" and not serialization["accept"]:
        raise ProfileError(source, "key 'serialization.accept': must list at least one format")


def read_profile_text(source: Path, kind: str) -> str:
    """The text of a profile file (`kind` names it in messages); ProfileError when it cannot be read."""
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(source, f"{kind} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(source, f"cannot read the {kind}: {exc}") from None


def load_profile(path: Path | str | None = None) -> Profile:
    """Load and validate a YAML profile; the default profile when no path is given."""
    source = Path(path) if path is not None else DEFAULT_PROFILE
    text = read_profile_text(source, "profile")
    import yaml  # see _schema

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProfileError(source, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    validate_profile_data(data, source)
    return profile_from_data(data, source)


def profile_from_data(data: dict[str, Any], source: Path | str) -> Profile:
    org = data["organization"]
    meta = data["profile"]
    collection = data["collection"]
    bagit = data["bagit"]
    serialization = data["serialization"]
    payload = data.get("payload_files", {})
    return Profile(
        source=Path(source),
        identifier=meta["identifier"],
        version=meta["version"],
        description=meta["description"],
        contact_name=meta.get("contact_name"),
        contact_email=meta.get("contact_email"),
        organization=Organization(
            name=org["name"],
            address=org["address"],
            contact_name=org["contact_name"],
            contact_email=org["contact_email"],
            contact_phone=org.get("contact_phone"),
        ),
        collection=collection["identifier"],
        place=collection["place"],
        language=collection["language"],
        notice=data["notice"].strip(),
        manifest_algorithms=tuple(data["checksums"]["manifest"]),
        tagmanifest_algorithms=tuple(data["checksums"]["tagmanifest"]),
        bag_info=tuple(
            BagInfoField(
                name=f["name"],
                required=f.get("required", False),
                repeatable=f.get("repeatable", False),
                values=tuple(f["values"]) if "values" in f else None,
                default=f.get("default"),
                description=f.get("description"),
            )
            for f in data["bag_info"]
        ),
        tag_files_required=tuple(data["tag_files"]["required"]),
        tag_files_allowed=tuple(data["tag_files"]["allowed"]),
        payload_files_required=tuple(payload.get("required", ())),
        payload_files_allowed=tuple(payload.get("allowed", ("data/**",))),
        accept_bagit_versions=tuple(bagit["accept_versions"]),
        allow_fetch=bagit.get("allow_fetch", False),
        fetch_required=bagit.get("fetch_required", False),
        data_empty=bagit.get("data_empty", False),
        serialization=serialization["mode"],
        accept_serialization=tuple(serialization["accept"]),
        default_serialization=serialization.get("default", "tar"),
        xdomea=_xdomea(data.get("xdomea", {})),
    )


def _xdomea(data: dict[str, Any]) -> XdomeaProfile:
    sender = data.get("sender", {})
    recipient = data.get("recipient", {})
    lists = data.get("code_lists", {})
    default = XdomeaProfile()
    return XdomeaProfile(
        version=data.get("version", default.version),
        sender_unit=sender.get("unit"),
        recipient=recipient.get("institution", default.recipient),
        recipient_unit=recipient.get("unit"),
        receipt_confirmation=data.get("receipt_confirmation", default.receipt_confirmation),
        archive_id_feedback=data.get("archive_id_feedback", default.archive_id_feedback),
        nachrichtentyp_list_version=lists.get("nachrichtentyp", default.nachrichtentyp_list_version),
        dateiformat_list_version=lists.get("dateiformat", default.dateiformat_list_version),
        vertraulichkeitsstufe_list_version=lists.get(
            "vertraulichkeitsstufe", default.vertraulichkeitsstufe_list_version
        ),
        medium_list_version=lists.get("medium", default.medium_list_version),
    )
