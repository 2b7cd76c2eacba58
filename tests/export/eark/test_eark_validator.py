"""The SIPs as the E-ARK Python validator (eark-validator 1.1.3, CSIP/SIP 2.1 rules) sees them, offline.

eark-validator pins lxml==5.1.0, which this package's environment cannot take (lxml>=5.2), so it runs in
an environment of its own, as a separate process: PRESERVATION_EARK_VALIDATOR_PYTHON names its
interpreter (.ci/run makes one). It downloads the CSIP vocabularies when imported; `eark_validator_offline`
gives it the copies in shared/reference/e-ark instead, and refuses any socket.

Its 2.1 rules contradict the SIP 2.1 profile in three places, each listed in KNOWN with the reason; every
other error fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.export.eark.conftest import EARK_REFERENCE

PYTHON = os.environ.get("PRESERVATION_EARK_VALIDATOR_PYTHON")
RUNNER = Path(__file__).with_name("eark_validator_offline.py")

pytestmark = [
    pytest.mark.skipif(not PYTHON, reason="PRESERVATION_EARK_VALIDATOR_PYTHON is not set"),
    pytest.mark.skipif(not EARK_REFERENCE.is_dir(), reason=f"no {EARK_REFERENCE}"),
]

KNOWN = {
    # Its CSIP rule takes every agent with ROLE="CREATOR" for the software agent (CSIP10-16), but SIP15-17
    # require a submitting agent with ROLE="CREATOR" and TYPE="ORGANIZATION", as the SIP 2.1 profile's own
    # example has: the third agent.
    ("CSIP12", "metsHdr/agent[3]"),
    ("CSIP13", "metsHdr/agent[3]"),
    ("CSIP15", "metsHdr/agent[3]"),
    ("CSIP16", "metsHdr/agent[3]"),
    # Its SIP14 asks every CREATOR agent's note for an unqualified @NOTETYPE="IDENTIFICATIONCODE" (the
    # profile: csip:NOTETYPE, on the archival creator's note); the software agent's note must be
    # csip:NOTETYPE="SOFTWARE VERSION" (CSIP16), and METS allows no unqualified attribute there.
    ("SIP14", "metsHdr/agent[1]/note"),
    # Its CSIP63 test cannot be met by a file group without @csip:CONTENTINFORMATIONTYPE (its second
    # branch asks for the attribute to differ from OTHER and be absent); CSIP62 asks for the attribute only
    # on representation groups, which have it. fileGrp 1 and 2 are Documentation and Schemas.
    ("CSIP63", "fileSec/fileGrp[1]"),
    ("CSIP63", "fileSec/fileGrp[2]"),
}
_STEP = re.compile(r"\*\[local-name\(\)='(\w+)' and namespace-uri\(\)='[^']*'\](\[\d+\])?")


def _element(location: str) -> str:
    """'metsHdr/agent[3]' from the validator's XPath of an element."""
    tail = location[location.find("/*[") :]
    return "/".join(name + index for name, index in _STEP.findall(tail)).removeprefix("mets/")


def _validate(packages: list[Path]) -> list[dict]:  # type: ignore[type-arg]
    vocabularies = EARK_REFERENCE / "csip" / "schema"
    done = subprocess.run(
        [str(PYTHON), str(RUNNER), str(vocabularies), *map(str, packages)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _errors(report: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    metadata = report["metadata"]
    messages = metadata["schema_results"]["messages"] + metadata["schematron_results"]["messages"]
    messages += report["structure"]["messages"]
    return {(m["rule_id"], _element(m["location"] or "")) for m in messages if m["severity"] == "Error"}


def test_every_sip_passes_but_for_the_validators_known_contradictions(sips: list[Path]) -> None:
    reports = _validate(sips)
    assert len(reports) == len(sips)
    for sip, report in zip(sips, reports, strict=True):
        assert report["structure"]["status"] == "WellFormed", sip
        assert report["metadata"]["schema_results"]["status"] == "VALID", sip
        assert report["package"]["details"]["oaispackagetype"] == "SIP"
        assert _errors(report) == KNOWN, sip


def test_the_validator_does_find_a_missing_content_category(tmp_path: Path, sips: list[Path]) -> None:
    """The runner is live: a SIP without mets/@TYPE gets CSIP2."""
    sip = Path(shutil.copytree(sips[0], tmp_path / sips[0].name))
    mets = sip / "METS.xml"
    mets.write_bytes(re.sub(rb' TYPE="[^"]*"', b"", mets.read_bytes(), count=1))
    (report,) = _validate([sip])
    assert any(rule == "CSIP2" for rule, _ in _errors(report))
