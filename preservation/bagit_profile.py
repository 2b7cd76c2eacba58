"""Export of our YAML profile as a standard BagIt Profile (specification 1.4.0) JSON document."""

from __future__ import annotations

from typing import Any

from preservation.profile import Profile

SPEC_VERSION = "1.4.0"

# Tag files every BagIt bag has; the profile spec's Tag-Files-* lists are about the others.
_MANDATORY_BAGIT_FILES = ("bagit.txt", "bag-info.txt")
# The spec requires it in every bag's bag-info and checks it against BagIt-Profile-Info: not a Bag-Info entry.
_PROFILE_IDENTIFIER_TAG = "BagIt-Profile-Identifier"


def export_bagit_profile(profile: Profile) -> dict[str, Any]:
    """The BagIt Profile 1.4.0 document that states what `profile` demands of a bag."""
    bag_info: dict[str, dict[str, Any]] = {}
    for field in profile.bag_info:
        if field.name == _PROFILE_IDENTIFIER_TAG:
            continue
        entry: dict[str, Any] = {"required": field.required, "repeatable": field.repeatable}
        if field.values:
            entry["values"] = list(field.values)
        if field.description:
            entry["description"] = field.description
        bag_info[field.name] = entry
    document: dict[str, Any] = {
        "BagIt-Profile-Info": {
            "BagIt-Profile-Identifier": profile.identifier,
            "BagIt-Profile-Version": SPEC_VERSION,
            "Source-Organization": profile.organization.name,
            "Contact-Name": profile.contact_name or profile.organization.contact_name,
            "Contact-Email": profile.contact_email or profile.organization.contact_email,
            "External-Description": profile.description,
            "Version": profile.version,
        },
        "Bag-Info": bag_info,
        "Manifests-Required": list(profile.manifest_algorithms),
        "Manifests-Allowed": list(profile.manifest_algorithms),
        "Tag-Manifests-Required": list(profile.tagmanifest_algorithms),
        "Tag-Manifests-Allowed": list(profile.tagmanifest_algorithms),
        "Tag-Files-Required": _globs(profile.tag_files_required),
        "Tag-Files-Allowed": [
            *_MANDATORY_BAGIT_FILES,
            *(f"{kind}-{alg}.txt" for kind in ("manifest", "tagmanifest") for alg in _algorithms(profile)),
            *_globs(profile.tag_files_allowed),
        ],
        "Payload-Files-Required": _globs(profile.payload_files_required),
        "Payload-Files-Allowed": _globs(profile.payload_files_allowed),
        "Allow-Fetch.txt": profile.allow_fetch,
        "Data-Empty": profile.data_empty,
        "Serialization": profile.serialization,
        "Accept-Serialization": list(profile.accept_serialization),
        "Accept-BagIt-Version": list(profile.accept_bagit_versions),
    }
    if profile.allow_fetch:
        # Requiring what is not allowed is a contradiction validators refuse; said only where it can hold.
        document["Fetch.txt-Required"] = profile.fetch_required
    return document


def _globs(patterns: tuple[str, ...]) -> list[str]:
    """Our patterns in glob(7) as the spec reads it: ``**`` is no glob(7) wildcard, and a folder's
    ``/**`` is its ``/*``, which admits everything beneath the folder (the spec's rule, and ours)."""
    return [pattern[:-1] if pattern.endswith("/**") else pattern for pattern in patterns]


def _algorithms(profile: Profile) -> list[str]:
    return sorted(set(profile.manifest_algorithms) | set(profile.tagmanifest_algorithms))
