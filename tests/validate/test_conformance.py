"""The standard's own suites, case by case (as ocfl-py runs the OCFL fixtures): case → verdict and codes.

The suites are vendored under `conformance/` (provenance and licences there). Expected verdicts come from
the suites' own folders and READMEs, never from our output: ``valid`` passes with no warning asked of it,
``warning`` passes with at least the named warnings, ``invalid`` fails with exactly the named error codes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.fixity.check import check_bag
from preservation.fixity.model import CheckTask
from preservation.validate.api import validate_bag
from preservation.validate.profile_rules import load_bagit_profile

HERE = Path(__file__).parent / "conformance"
LOC = HERE / "bagit-conformance-suite"
BTR = HERE / "btr"

VALID, WARNING, INVALID = "valid", "warning", "invalid"

LOC_CASES: dict[str, tuple[str, frozenset[str]]] = {
    "v0.97/invalid/baginfo-missing-encoding": (
        INVALID,
        frozenset({"bagit.malformed", "tagmanifest.checksum-mismatch"}),
    ),
    "v0.97/invalid/bom-in-bagit.txt": (INVALID, frozenset({"bagit.bom"})),
    "v0.97/invalid/corrupt-data-file": (INVALID, frozenset({"manifest.checksum-mismatch", "oxum.mismatch"})),
    "v0.97/invalid/corrupt-tag-file": (INVALID, frozenset({"tagmanifest.checksum-mismatch"})),
    "v0.97/invalid/extra-file-in-bag": (INVALID, frozenset({"payload.extra", "oxum.mismatch"})),
    "v0.97/invalid/invalid-version-number": (
        INVALID,
        frozenset({"bagit.malformed", "tagmanifest.checksum-mismatch"}),
    ),
    "v0.97/invalid/missing-baginfo": (INVALID, frozenset({"tagfile.missing"})),
    "v0.97/invalid/missing-bagit.txt": (INVALID, frozenset({"bagit.missing", "tagfile.missing"})),
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation": (INVALID, frozenset({"path.unsafe"})),
    "v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch": (
        INVALID,
        frozenset({"path.unsafe"}),
    ),
    "v0.97/invalid/same-filename-listed-twice-with-different-hashes": (
        INVALID,
        frozenset({"manifest.duplicate"}),
    ),
    "v0.97/warning/duplicate-file-with-different-case": (WARNING, frozenset({"name.case-duplicate"})),
    "v0.97/warning/made-with-md5sum-tools": (WARNING, frozenset({"manifest.md5sum-star"})),
    "v0.97/warning/relative-path": (WARNING, frozenset({"path.leading-dot"})),
    "v0.97/warning/same-filename-listed-twice-with-different-normalization": (
        WARNING,
        frozenset({"name.normalization-duplicate"}),
    ),
    "v0.97/warning/same-filename-listed-twice-with-the-same-hash": (
        WARNING,
        frozenset({"manifest.duplicate-legacy"}),
    ),
    # git cannot carry its data/.DS_Store (see conformance/PROVENANCE.md): listed but missing here.
    "v0.97/warning/special-system-files": (INVALID, frozenset({"payload.missing", "oxum.mismatch"})),
    "v1.0/invalid/bagit-with-invalid-whitespace": (INVALID, frozenset({"bagit.malformed"})),
    "v1.0/invalid/notAllManifestsListAllFiles": (INVALID, frozenset({"payload.extra"})),
    "v1.0/invalid/same-filename-listed-twice-with-different-hashes": (
        INVALID,
        frozenset({"manifest.duplicate", "tagmanifest.checksum-mismatch"}),
    ),
    "v1.0/invalid/same-filename-listed-twice-with-the-same-hash": (
        INVALID,
        frozenset({"manifest.duplicate", "tagmanifest.checksum-mismatch"}),
    ),
}
"""Cases whose verdict is not simply their folder's, or whose codes we name; every other case of a
`valid` folder must pass and of `linux-only` fail with path.unsafe."""


def _loc_cases() -> list[str]:
    cases = sorted(
        str(p.relative_to(LOC)) for p in LOC.glob("v*/*/*") if p.is_dir() and "windows-only" not in p.parts
    )
    return cases


def _expected(case: str) -> tuple[str, frozenset[str]]:
    if case in LOC_CASES:
        return LOC_CASES[case]
    folder = case.split("/")[1]
    if folder == "valid":
        return VALID, frozenset()
    assert folder == "linux-only", f"{case}: name its expected verdict in LOC_CASES"
    return INVALID, frozenset({"path.unsafe"})


@pytest.mark.parametrize("case", _loc_cases())
def test_loc_suite(case: str) -> None:
    verdict, codes = _expected(case)
    report = validate_bag(LOC / case)
    errors = {f.code for f in report.findings if f.severity == "error"}
    warnings = {f.code for f in report.findings if f.severity == "warning"}
    if verdict == INVALID:
        assert not report.valid and errors == codes, report.findings
    else:
        assert report.valid, report.findings
        assert codes <= warnings, report.findings


def test_loc_suite_is_whole() -> None:
    """Every case named above exists (a renamed case would otherwise pass unseen), and the suite has them
    all: 5 versions before 0.97, 0.97's five folders and 1.0."""
    assert set(LOC_CASES) <= set(_loc_cases())
    assert len(_loc_cases()) == 54


BTR_CASES: dict[str, tuple[str, frozenset[str]]] = {
    "btr_bad_checksums.tar": (
        INVALID,
        frozenset({"manifest.checksum-mismatch", "tagmanifest.checksum-mismatch"}),
    ),
    "btr_bad_extraneous_file.tar": (INVALID, frozenset({"payload.extra", "oxum.mismatch"})),
    "btr_bad_missing_payload_file.tar": (INVALID, frozenset({"payload.missing", "oxum.mismatch"})),
    "btr_bad_missing_required_tags.tar": (INVALID, frozenset({"profile.bag-info.required"})),
    # DART's good bags declare the profile by its old URL: named, not failed (--strict fails them).
    "btr_good_sha256.tar": (WARNING, frozenset({"profile.identifier-differs"})),
    "btr_good_sha512.tar": (WARNING, frozenset({"profile.identifier-differs"})),
    "dspace/COLLECTION@123456789-2.tar": (VALID, frozenset()),
    "dspace/COMMUNITY@123456789-1.tar": (VALID, frozenset()),
    "dspace/ITEM@123456789-3.tar": (VALID, frozenset()),
    "dspace/SITE@123456789-0.tar": (VALID, frozenset()),
    "fedora/fedora-btr-bag.tar": (INVALID, frozenset({"oxum.mismatch"})),
}


@pytest.mark.parametrize("case", sorted(BTR_CASES))
def test_btr_suite(case: str) -> None:
    verdict, codes = BTR_CASES[case]
    report = validate_bag(
        BTR / "sample_bags" / case, profile=load_bagit_profile(BTR / "btr-bagit-profile.json")
    )
    errors = {f.code for f in report.findings if f.severity == "error"}
    warnings = {f.code for f in report.findings if f.severity == "warning"}
    if verdict == INVALID:
        assert not report.valid and errors == codes, report.findings
    else:
        assert report.valid, report.findings
        assert codes <= warnings, report.findings
    if verdict == WARNING:
        assert not report.passes(strict=True)


def test_btr_suite_is_whole() -> None:
    assert {str(p.relative_to(BTR / "sample_bags")) for p in BTR.glob("sample_bags/**/*.tar")} == set(
        BTR_CASES
    )


@pytest.mark.parametrize(
    "case",
    [c for c in _loc_cases() if _expected(c)[0] != INVALID],
)
def test_fixity_passes_every_loc_bag_validate_passes(case: str) -> None:
    """One verdict: what validate accepts (case duplicates, versions before 1.0 and their laxness, tag
    files no tag manifest lists, as RFC 8493 §2.2.1 allows, included), a fixity check passes."""
    result = check_bag(CheckTask(1, str(LOC / case), None))
    assert result.outcome == "pass", result.problems


@pytest.mark.parametrize("case", [c for c in _loc_cases() if _expected(c)[0] == INVALID])
def test_fixity_never_passes_a_loc_bag_validate_calls_invalid(case: str) -> None:
    """One verdict the other way: an invalid bag is a failure or an error, with validate's codes."""
    result = check_bag(CheckTask(1, str(LOC / case), None))
    assert result.outcome != "pass"
    errors = {f.code for f in validate_bag(LOC / case).findings if f.severity == "error"}
    assert {p.code for p in result.problems} == errors
