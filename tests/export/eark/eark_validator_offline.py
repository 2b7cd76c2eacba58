"""Run eark-validator on package folders, offline; print each report as JSON.

Run with an interpreter that has eark-validator (it pins lxml==5.1.0, which the package's own environment
cannot take): `python eark_validator_offline.py VOCABULARIES PACKAGE...`; one JSON report per line.
eark-validator fetches the CSIP vocabularies with urlopen when its schematron module is imported; here
urlopen is given the files under VOCABULARIES (the copies in shared/reference/e-ark/csip/schema), and any
socket is refused.
"""

import json
import socket
import sys
import urllib.request
from pathlib import Path

vocabularies = Path(sys.argv[1])
PREFIX = "https://earkcsip.dilcis.eu/schema/"


def _offline_urlopen(url, *args, **kwargs):
    if not url.startswith(PREFIX):
        raise OSError(f"offline: {url}")
    return open(vocabularies / url[len(PREFIX) :], "rb")


def _no_socket(*args, **kwargs):
    raise OSError("offline: no network")


urllib.request.urlopen = _offline_urlopen
socket.socket.connect = _no_socket  # type: ignore[method-assign]

from eark_validator.packages import PackageValidator  # noqa: E402
from eark_validator.specifications.specification import SpecificationVersion  # noqa: E402

for package in sys.argv[2:]:
    report = PackageValidator(Path(package), SpecificationVersion.V2_1_0).validation_report
    print(json.dumps(json.loads(report.model_dump_json())))
