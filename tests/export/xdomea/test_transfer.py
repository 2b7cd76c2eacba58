"""primary-documents.csv is a CSV for people like the transfer list: a value a spreadsheet would take for a
formula (an External-Identifier from a bag-info.txt, a bag's folder name) stays text, and verify-transfer
reads back exactly what was written."""

from __future__ import annotations

import pytest

from preservation.export.xdomea.transfer import DocumentRow, parse_documents, render_documents

CONTAINER = "0f6c5f0e-6a43-5c43-9a3e-2a8e5ac1b2c3_Aussonderung.Aussonderung.0503.zip"


def test_a_formula_in_a_bag_value_stays_text_and_reads_back_exactly() -> None:
    row = DocumentRow(
        CONTAINER, "a.txt", '=HYPERLINK("http://evil.example","x")', "-bag", "data/+1.txt", 3, "ab", "cd"
    )
    data = render_documents([row])
    cells = data.decode("utf-8-sig").splitlines()[1].split(";")
    assert not any(cell.lstrip('"').startswith(("=", "-", "+")) for cell in cells)
    parsed = parse_documents(data)[(CONTAINER, "a.txt")]
    assert parsed["identifier"] == row.identifier and parsed["bag"] == "-bag" and parsed["path"] == row.path
    assert parsed["size"] == "3"


@pytest.mark.parametrize(
    "data", [b"container;file\r\n", "\ufeff" + ";".join(["x"] * 8) + "\r\n", b'container;"file\r\n']
)
def test_a_file_that_is_no_list_of_primary_documents_is_a_value_error(data: bytes | str) -> None:
    with pytest.raises(ValueError):
        parse_documents(data.encode() if isinstance(data, str) else data)
