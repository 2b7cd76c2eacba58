"""Whether a bag's payload holds a release's document and attachments (`holds`), and fingerprints."""

from __future__ import annotations

from preservation.release.identity import Content, holds

DOC, PDF, TXT = "d" * 64, "p" * 64, "t" * 64


def test_a_bag_holds_a_release_under_another_document_name_but_not_with_other_attachments():
    release = Content(DOC, {"data/plan.pdf": PDF})
    assert holds({"data/m.txt": DOC, "data/plan.pdf": PDF}, release, 0) == "data/m.txt"
    assert holds({"data/index.txt": DOC, "data/plan.pdf": PDF}, release, 0) == "data/index.txt"
    assert holds({"data/m.txt": DOC, "data/plan.pdf": "0" * 64}, release, 0) is None
    assert holds({"data/m.txt": DOC, "data/plan.pdf": PDF, "data/extra.jpg": TXT}, release, 0) is None
    assert holds({"data/m.txt": DOC}, release, 0) is None
    assert holds({"data/m.txt": TXT, "data/plan.pdf": PDF}, release, 0) is None


def test_a_rendition_made_by_another_version_of_the_tool_does_not_matter():
    release = Content(DOC, {})
    assert holds({"data/index.html": DOC, "data/index.txt": TXT}, release, 1) == "data/index.html"
    assert holds({"data/index.html": DOC, "data/index.txt": "0" * 64}, release, 1) == "data/index.html"
    assert holds({"data/index.html": DOC}, release, 1) is None


def test_the_fingerprint_leaves_out_the_document_name_but_not_attachment_names():
    one = Content(DOC, {"data/plan.pdf": PDF}).fingerprint
    assert one == Content(DOC, {"data/plan.pdf": PDF}).fingerprint
    assert one != Content(DOC, {"data/karte.pdf": PDF}).fingerprint
    assert one != Content(PDF, {"data/plan.pdf": DOC}).fingerprint
    assert one != Content(DOC, {}).fingerprint
