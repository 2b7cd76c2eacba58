"""The PREMIS record of a package: what it refuses to describe."""

from __future__ import annotations

import dataclasses

import pytest

from preservation.metadata import build_mets, premis_record
from preservation.package.model import Package


def test_a_package_without_its_release_document_is_refused_naming_the_release(package: Package) -> None:
    attachments = dataclasses.replace(
        package, payload=tuple(f for f in package.payload if f.role == "attachment")
    )
    for build in (premis_record, build_mets):
        with pytest.raises(ValueError, match="^package of 04161 has no source file$"):
            build(attachments)
    # Not a StopIteration, with which a map over packages would end quietly, as if every one were described.
    with pytest.raises(ValueError):
        list(map(premis_record, [package, attachments, package]))
