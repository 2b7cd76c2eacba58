"""What a profile demands of a bag, in one shape whichever way the profile came in.

Both inputs become a BagIt Profile 1.4.0 document first — our YAML `Profile` through
`export_bagit_profile`, a `--bagit-profile` file by loading its JSON — and that document becomes
`ProfileRules`, with the specification's defaults applied. The checks read only `ProfileRules`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from preservation.errors import ProfileError

if TYPE_CHECKING:  # the profile modules are imported where a profile is read: a bag without one needs neither
    from preservation.profile import Profile

_STRINGS = {"type": "array", "items": {"type": "string"}}
# The structure the checks rely on; unknown keys stay allowed (profiles carry extensions such as Other-Info).
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["BagIt-Profile-Info", "Accept-BagIt-Version"],
    "properties": {
        "BagIt-Profile-Info": {
            "type": "object",
            "required": ["BagIt-Profile-Identifier"],
            "properties": {"BagIt-Profile-Identifier": {"type": "string", "minLength": 1}},
        },
        "Bag-Info": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "required": {"type": "boolean"},
                    "repeatable": {"type": "boolean"},
                    "values": _STRINGS,
                    "description": {"type": "string"},
                },
            },
        },
        "Manifests-Required": _STRINGS,
        "Manifests-Allowed": _STRINGS,
        "Tag-Manifests-Required": _STRINGS,
        "Tag-Manifests-Allowed": _STRINGS,
        "Tag-Files-Required": _STRINGS,
        "Tag-Files-Allowed": _STRINGS,
        "Payload-Files-Required": _STRINGS,
        "Payload-Files-Allowed": _STRINGS,
        "Allow-Fetch.txt": {"type": "boolean"},
        "Fetch.txt-Required": {"type": "boolean"},
        "Data-Empty": {"type": "boolean"},
        "Serialization": {"enum": ["forbidden", "required", "optional"]},
        "Accept-Serialization": _STRINGS,
        "Accept-BagIt-Version": {**_STRINGS, "minItems": 1},
    },
}


@dataclass(frozen=True)
class BagInfoRule:
    label: str
    required: bool
    repeatable: bool
    values: tuple[str, ...]
    """Empty: any value is accepted."""


@dataclass(frozen=True)
class ProfileRules:
    source: str
    identifier: str
    bag_info: tuple[BagInfoRule, ...]
    accept_bagit_versions: tuple[str, ...]
    manifests_required: tuple[str, ...]
    manifests_allowed: tuple[str, ...] | None
    """None: every algorithm is allowed (the specification's default)."""
    tagmanifests_required: tuple[str, ...]
    tagmanifests_allowed: tuple[str, ...] | None
    tag_files_required: tuple[str, ...]
    tag_files_allowed: tuple[str, ...] | None
    payload_files_required: tuple[str, ...]
    payload_files_allowed: tuple[str, ...] | None
    allow_fetch: bool
    fetch_required: bool
    data_empty: bool
    serialization: Literal["forbidden", "required", "optional"]
    accept_serialization: tuple[str, ...]
    notice: str | None = None
    """The archival notice `archival-notice.txt` must hold; only our YAML profiles state one."""


def rules_from_document(document: Any, source: Path | str) -> ProfileRules:
    """ProfileRules of a BagIt Profile document; ProfileError naming the offending key when malformed."""
    import jsonschema  # here: only a BagIt Profile given as JSON needs it; it costs every start ~40 ms

    errors = list(jsonschema.Draft202012Validator(_SCHEMA).iter_errors(document))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        where = "/".join(str(p) for p in best.absolute_path) or "(top level)"
        raise ProfileError(source, f"not a BagIt Profile: key '{where}': {best.message}")

    def strings(key: str) -> tuple[str, ...]:
        return tuple(document.get(key, ()))

    def optional(key: str) -> tuple[str, ...] | None:
        return tuple(document[key]) if key in document else None

    rules = tuple(
        BagInfoRule(
            label=label,
            required=spec.get("required", False),
            repeatable=spec.get("repeatable", True),
            values=tuple(spec.get("values", ())),
        )
        for label, spec in document.get("Bag-Info", {}).items()
    )
    return ProfileRules(
        source=str(source),
        identifier=document["BagIt-Profile-Info"]["BagIt-Profile-Identifier"],
        bag_info=rules,
        accept_bagit_versions=strings("Accept-BagIt-Version"),
        manifests_required=strings("Manifests-Required"),
        manifests_allowed=optional("Manifests-Allowed"),
        tagmanifests_required=strings("Tag-Manifests-Required"),
        tagmanifests_allowed=optional("Tag-Manifests-Allowed"),
        tag_files_required=strings("Tag-Files-Required"),
        tag_files_allowed=optional("Tag-Files-Allowed"),
        payload_files_required=strings("Payload-Files-Required"),
        payload_files_allowed=optional("Payload-Files-Allowed"),
        allow_fetch=document.get("Allow-Fetch.txt", True),
        fetch_required=document.get("Fetch.txt-Required", False),
        data_empty=document.get("Data-Empty", False),
        serialization=document.get("Serialization", "optional"),
        accept_serialization=strings("Accept-Serialization"),
    )


def rules_from_profile(profile: Profile) -> ProfileRules:
    """Our YAML profile, through its BagIt Profile export, plus the notice the export cannot carry."""
    from preservation.bagit_profile import export_bagit_profile

    rules = rules_from_document(export_bagit_profile(profile), profile.source)
    return replace(rules, notice=profile.notice)


def load_bagit_profile(path: Path | str) -> ProfileRules:
    """Load a BagIt Profile JSON file; ProfileError naming the file for unreadable or malformed input."""
    from preservation.profile import read_profile_text

    source = Path(path)
    text = read_profile_text(source, "BagIt Profile")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(source, f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    return rules_from_document(document, source)
