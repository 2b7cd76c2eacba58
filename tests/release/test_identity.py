"""Whether a bag's payload holds a release's document and attachments (`holds`), and fingerprints."""

from __future__ import annotations

import itertools

from preservation.release import Release, read_sources
from preservation.release.identity import Content, Duplicate, distinguish, holds

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


def test_identities_do_not_depend_on_order_or_on_unrelated_company(tmp_path, profile):
    """Two releases sharing date and title, a copy of one, and an unrelated release: every order gives
    every release the same identifier (the copy goes by the identifier of the release it repeats)."""
    text = "Pressemitteilung vom 05.12.2024\n\n{}\n\n{}\n\nKaiserslautern, 05.12.2024\n"
    parts = {
        "a": ("Baustelle", "Mainzer Straße."),
        "b": ("Baustelle", "Bahnhof."),
        "c": ("Baustelle", "Mainzer Straße."),
    }
    parts["d"] = ("Sommerfest", "Volkspark.")
    for name, (title, body) in parts.items():
        (tmp_path / f"{name}.txt").write_text(text.format(title, body), encoding="utf-8")
    releases = {r.source.stem: r for r in read_sources([tmp_path], profile) if isinstance(r, Release)}
    seen = set()
    for order in itertools.permutations("abcd"):
        told = distinguish([releases[name] for name in order])
        ids = {}
        for item in told:
            release = item.release if isinstance(item, Duplicate) else item
            assert isinstance(release, Release)
            ids[release.source.stem] = release.identifier
        seen.add(tuple(sorted(ids.items())))
        kinds = {
            (item.release if isinstance(item, Duplicate) else item).source.stem: type(item) for item in told
        }
        assert kinds[order[0]] is Release and sum(k is Duplicate for k in kinds.values()) == 1
    ((a, id_a), (b, id_b), (c, id_c), (d, id_d)) = seen.pop()
    assert not seen
    assert (
        id_a == id_c != id_b and id_a.startswith("2024-12-05-baustelle-") and id_d == "2024-12-05-sommerfest"
    )
    # Without the other release of that title, neither the unrelated one nor the pair's copies matter.
    assert [r.identifier for r in distinguish([releases["d"], releases["a"]])] == [
        "2024-12-05-sommerfest",
        "2024-12-05-baustelle",
    ]
