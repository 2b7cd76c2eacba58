from __future__ import annotations

from pathlib import Path

from preservation.release import ReadFailure, Release, read_sources
from preservation.release.discover import Found, discover

RELEASE = "Pressemitteilung vom 01.02.2021\n\n{title}\n\nText.\n\nKaiserslautern, 01.02.2021\n"
PAGE = "<html><body><p>Pressemitteilung vom 01.02.2021</p><h1>{title}</h1><p>Text.</p></body></html>"


def write(path: Path, title: str = "Titel") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    template = RELEASE if path.suffix == ".txt" else PAGE
    path.write_text(template.format(title=title), encoding="utf-8")
    return path


def test_folder_with_one_document_is_one_release_with_sorted_attachments_and_junk_skipped(tmp_path):
    folder = tmp_path / "release"
    document = write(folder / "mitteilung.txt")
    for name in ("z.pdf", "a b.jpg", "sub/ä.png", ".DS_Store", "Thumbs.db", "sub/.hidden"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
    (found,) = discover(folder)
    assert isinstance(found, Found)
    assert found.document == document and found.root == folder
    assert [p.relative_to(folder).as_posix() for p in found.attachments] == ["a b.jpg", "sub/ä.png", "z.pdf"]
    assert [(w.code, w.message) for w in found.warnings] == [
        ("release.file-skipped", "skipped operating-system or hidden file: .DS_Store"),
        ("release.file-skipped", "skipped operating-system or hidden file: Thumbs.db"),
        ("release.file-skipped", "skipped operating-system or hidden file: sub/.hidden"),
    ]


def test_folder_with_several_documents_is_a_collection_searched_recursively(tmp_path, profile):
    write(tmp_path / "a.txt", "Erste")
    write(tmp_path / "b.html.de", "Zweite")
    write(tmp_path / "jahr" / "monat" / "c.htm", "Dritte")
    (tmp_path / "liesmich.md").write_text("kein Release", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    titles = [r.title for r in read_sources([tmp_path], profile) if isinstance(r, Release)]
    assert titles == ["Erste", "Zweite", "Dritte"]


def test_folder_with_only_subfolders_is_a_collection(tmp_path):
    write(tmp_path / "eins" / "m.txt")
    (tmp_path / "eins" / "foto.png").write_bytes(b"x")
    write(tmp_path / "zwei" / "m.txt")
    found = list(discover(tmp_path))
    assert [f.document.parent.name for f in found if isinstance(f, Found)] == ["eins", "zwei"]
    assert found[0].attachments == (tmp_path / "eins" / "foto.png",)


def test_empty_folder_is_a_failure(tmp_path, profile):
    assert list(read_sources([tmp_path], profile)) == [
        ReadFailure(tmp_path, "folder holds no release document (.txt, .html, .htm)")
    ]


def test_a_bag_given_as_a_source_is_refused_not_read_as_releases(tmp_path, profile):
    from preservation.build import build_bags

    samples = Path(__file__).resolve().parents[2] / "samples"
    build_bags([samples / "2020-10-05-laubsammlung.txt"], tmp_path / "bags", profile)
    (bag,) = (tmp_path / "bags").iterdir()
    results = list(read_sources([bag], profile))
    assert [(type(r), r.source) for r in results] == [(ReadFailure, bag)]
    assert "is a BagIt bag, not a release source" in results[0].message
    # A folder of bags (an earlier build's output) is searched for nothing, and says why.
    (failure,) = read_sources([tmp_path / "bags"], profile)
    assert isinstance(failure, ReadFailure)
    assert failure.message.endswith("the BagIt bags in it are not release sources")
