"""`inspect --format csv` → edited as a spreadsheet saves it → `build --corrections`: the bag carries the
corrected fields in DC, METS and bag-info, and a PREMIS metadata modification event by the archivist."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from lxml import etree

from preservation.bagit.parse import parse_tag_values
from preservation.cli import main
from preservation.metadata.xsd import validate_mets
from tests.building.helpers import EPOCH, tree_digest
from tests.conftest import ROOT

NS = {
    "mets": "http://www.loc.gov/METS/",
    "premis": "http://www.loc.gov/premis/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}
MARKET = "2018-11-28-weihnachtsmarkt-zufahrtssperren-am-schillerplatz"
"""The identifier the reader derives from the sample's date and title; it has no release number."""
OLD_TITLE = "Weihnachtsmarkt: Zufahrtssperren am Schillerplatz"
NEW_TITLE = "Weihnachtsmarkt 2018: Zufahrtssperren rund um den Schillerplatz"


@pytest.fixture
def src(tmp_path: Path, samples_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two releases: a text without a release number, and the archive's saved HTML page of 04161."""
    folder = tmp_path / "src"
    (folder / "2018").mkdir(parents=True)
    shutil.copy(samples_dir / "2018-11-28-weihnachtsmarkt.txt", folder / "2018")
    shutil.copytree(samples_dir / "pressemitteilungen" / "04161", folder / "pressemitteilungen" / "04161")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    monkeypatch.chdir(tmp_path)  # sources named relatively, as a user at a shell does
    return Path("src")


def inspect_csv(src: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> bytes:
    capsysbinary.readouterr()
    assert main(["inspect", str(src), "--format", "csv"]) == 0
    return capsysbinary.readouterr().out


def edit(data: bytes, target: Path, changes: dict[tuple[str, str], str]) -> Path:
    """The CSV changed cell by cell ((source file name, column) → value) and saved as Excel saves
    "CSV UTF-8 (durch Trennzeichen getrennt)": BOM, ';', CRLF; German Excel writes a date as 29.11.2018."""
    rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines(), delimiter=";"))
    for (name, column), value in changes.items():
        (row,) = [r for r in rows if Path(r["source"]).name == name]
        row[column] = value
    with target.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


def mets(bag: Path) -> etree._Element:
    return etree.parse(str(bag / "metadata" / "mets.xml")).getroot()


def modifications(bag: Path) -> dict[str, tuple[list[str], str]]:
    """field → (outcome notes, name of the linked agent) of each PREMIS metadata modification event."""
    root = mets(bag)
    agents = {
        a.findtext("premis:agentIdentifier/premis:agentIdentifierValue", namespaces=NS): a
        for a in root.iterfind(".//premis:agent", NS)
    }
    found = {}
    for event in root.iterfind(".//premis:event", NS):
        if event.findtext("premis:eventType", namespaces=NS) != "metadata modification":
            continue
        notes = [n.text or "" for n in event.iterfind(".//premis:eventOutcomeDetailNote", NS)]
        (agent_id,) = event.xpath(
            "premis:linkingAgentIdentifier/premis:linkingAgentIdentifierValue/text()", namespaces=NS
        )
        agent = agents[agent_id]
        assert agent.findtext("premis:agentType", namespaces=NS) == "person"
        found[notes[0].split(" was: ")[0]] = (notes, agent.findtext("premis:agentName", namespaces=NS))
    return found


def test_a_corrected_title_and_date_from_the_inspect_csv_reach_dc_mets_and_bag_info(
    src, tmp_path, capsysbinary
):
    data = inspect_csv(src, capsysbinary)
    assert data.startswith(b"\xef\xbb\xbfsource;identifier;title;issued;author;place;notice;warnings\r\n")
    fixes = edit(
        data,
        tmp_path / "fixes.csv",
        {
            ("2018-11-28-weihnachtsmarkt.txt", "title"): NEW_TITLE,
            ("2018-11-28-weihnachtsmarkt.txt", "issued"): "29.11.2018",
        },
    )
    argv = [
        "build",
        str(src),
        "--out",
        "bags",
        "--corrections",
        str(fixes),
        "--corrected-by",
        "Erika Mustermann",
    ]
    assert main(argv) == 0

    # The identifier stays the one derived from the date and title as read: it names the bag.
    bag = tmp_path / "bags" / MARKET
    dc = etree.parse(str(bag / "metadata" / "dc.xml")).getroot()
    assert dc.findtext("dc:title", namespaces=NS) == NEW_TITLE
    assert dc.findtext("dcterms:issued", namespaces=NS) == "2018-11-29"
    assert dc.findtext("dc:identifier", namespaces=NS) == MARKET
    info = parse_tag_values((bag / "bag-info.txt").read_bytes(), "utf-8")
    assert info.get("External-Description") == NEW_TITLE and info.get("External-Identifier") == MARKET
    root = mets(bag)
    assert root.get("LABEL") == NEW_TITLE
    assert root.findtext(".//mets:dmdSec//dc:title", namespaces=NS) == NEW_TITLE
    editor = root.find("mets:metsHdr/mets:agent[@ROLE='EDITOR']", NS)
    assert editor is not None and editor.findtext("mets:name", namespaces=NS) == "Erika Mustermann"
    assert modifications(bag) == {
        "title": ([f"title was: {OLD_TITLE}", f"title is: {NEW_TITLE}"], "Erika Mustermann"),
        "issued": (["issued was: 2018-11-28", "issued is: 2018-11-29"], "Erika Mustermann"),
    }
    assert validate_mets((bag / "metadata" / "mets.xml").read_bytes()) == []
    # A row left as inspect wrote it corrects nothing.
    assert modifications(tmp_path / "bags" / "04161") == {}
    # The bag is valid, though its identifier begins with the date as read: the METS says it was corrected.
    assert main(["validate", "bags", "--profile", str(ROOT / "profiles" / "state-archive.yaml")]) == 0

    # Deterministic: the same corrections on another day of work give the same bytes.
    assert main([*argv[:3], "bags2", *argv[4:]]) == 0
    assert (tmp_path / "bags2" / MARKET / "metadata" / "mets.xml").read_bytes() == (
        bag / "metadata" / "mets.xml"
    ).read_bytes()


def test_a_yaml_file_corrects_author_and_place_and_names_its_archivist(src, tmp_path):
    fixes = tmp_path / "fixes.yaml"
    fixes.write_text(
        "corrected_by: Max Mustermann\n"
        "corrections:\n"
        f"  - source: {src / 'pressemitteilungen' / '04161' / 'index.html.de'}\n"
        "    author: Referat Wirtschaftsförderung\n"
        "    place: Kaiserslautern-Hohenecken\n",
        encoding="utf-8",
    )
    assert main(["build", str(src), "--out", "bags", "--corrections", str(fixes), "--corrected-by", "X"]) == 0
    bag = tmp_path / "bags" / "04161"
    dc = etree.parse(str(bag / "metadata" / "dc.xml")).getroot()
    assert dc.findtext("dc:creator", namespaces=NS) == "Referat Wirtschaftsförderung"
    assert dc.findtext("dcterms:spatial", namespaces=NS) == "Kaiserslautern-Hohenecken"
    found = modifications(bag)
    assert found["author"] == (
        [
            "author was: Referat Wirtschaftsförderung, Miriam Löffler",
            "author is: Referat Wirtschaftsförderung",
        ],
        "Max Mustermann",  # the file's name for its corrections wins over the option's default
    )
    assert found["place"][0] == ["place was: Kaiserslautern", "place is: Kaiserslautern-Hohenecken"]


def test_a_correction_of_a_bagged_release_is_a_conflict_until_replace(src, tmp_path, capsys):
    assert main(["build", str(src), "--out", "bags", "--quiet"]) == 0
    before = tree_digest(tmp_path / "bags")
    fixes = tmp_path / "fixes.yaml"
    fixes.write_text(
        f"corrections:\n  - source: {src}/2018/2018-11-28-weihnachtsmarkt.txt\n    title: {NEW_TITLE!r}\n"
    )
    argv = [
        "build",
        str(src),
        "--out",
        "bags",
        "--quiet",
        "--corrections",
        str(fixes),
        "--corrected-by",
        "E. M.",
    ]
    capsys.readouterr()
    assert main(argv) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"conflict: bags/{MARKET}: ") and "corrected fields (title)" in line
    assert "--replace" in line
    assert tree_digest(tmp_path / "bags") == before

    assert main([*argv, "--replace"]) == 0
    assert (tmp_path / "bags" / ".superseded" / MARKET / "2023-11-14" / "bagit.txt").is_file()
    assert modifications(tmp_path / "bags" / MARKET)["title"][0][1] == f"title is: {NEW_TITLE}"
    # Run again, with the corrections or without: the bag carries them and is up to date.
    after = tree_digest(tmp_path / "bags")
    assert main(argv) == 0
    assert main(argv[:5]) == 0
    assert tree_digest(tmp_path / "bags") == after


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("source;titel\r\n{doc};x\r\n", "row 1: column 'titel' is not one of source, identifier"),
        ("source;issued\r\n{doc};31.02.2018\r\n", "row 2, column issued: '31.02.2018' is not a date"),
        ("source;title\r\nsrc/gone.txt;x\r\n", "row 2, column source: 'src/gone.txt' does not exist"),
        (
            "source;title\r\nelsewhere.txt;x\r\n",
            "row 2, column source: 'elsewhere.txt' is not a release read",
        ),
        (
            "source;title\r\n{doc};x\r\n./{doc};y\r\n",
            "row 3, column source: 'src/2018/2018-11-28-weihnachtsmarkt.txt' is corrected in row 2 already",
        ),
        ("source;title\r\n{doc};\r\n", "row 2, column title: a release needs a title"),
        ("title\r\nx\r\n", "row 1: no 'source' column"),
    ],
)
def test_a_corrections_file_that_does_not_fit_is_refused_before_anything_is_built(
    src, tmp_path, capsys, text, expected
):
    (tmp_path / "elsewhere.txt").write_text("not among the SOURCES\n")
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(text.format(doc=src / "2018" / "2018-11-28-weihnachtsmarkt.txt"), encoding="utf-8")
    capsys.readouterr()
    assert main(["build", str(src), "--out", "bags", "--corrections", str(fixes)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"preservation: {fixes}: {expected}" or line.startswith(
        f"preservation: {fixes}: {expected}"
    )
    assert not any((tmp_path / "bags").glob("*/bagit.txt"))


def test_corrections_of_a_release_skipped_as_a_duplicate_are_not_lost_silently(src, tmp_path, capsys):
    again = src / "again" / "nochmal.txt"
    again.parent.mkdir()
    shutil.copy(src / "2018" / "2018-11-28-weihnachtsmarkt.txt", again)
    fixes = tmp_path / "fixes.csv"
    for name, status in ((again, "conflict"), (src / "2018" / "2018-11-28-weihnachtsmarkt.txt", "built")):
        fixes.write_text(f"source;title\n{name};{NEW_TITLE}\n", encoding="utf-8")
        capsys.readouterr()
        code = main(["build", str(src), "--out", str(tmp_path / status), "--corrections", str(fixes), "-q"])
        lines = capsys.readouterr().err.splitlines()
        if status == "conflict":
            # The first source read is the one built; the archivist corrected the other.
            assert code == 1
            (line,) = lines
            assert line.startswith(f"conflict: {again}: ") and "corrections (title) would be lost" in line
        else:
            assert code == 0 and lines == [], lines
            assert modifications(tmp_path / status / MARKET)["title"][0][1] == f"title is: {NEW_TITLE}"


@pytest.mark.parametrize(
    "argv",
    [
        ["--corrected-by", "Erika Mustermann"],
        ["--corrections", "fixes.csv", "--corrected-by", "Erika\nMustermann"],
        ["--corrections", "fixes.csv", "--corrected-by", " "],
    ],
)
def test_an_archivist_name_without_corrections_or_of_more_than_one_line_is_a_usage_error(src, tmp_path, argv):
    (tmp_path / "fixes.csv").write_text("source;title\n")
    assert main(["build", str(src), "--out", "bags", *argv]) == 2
    assert not (tmp_path / "bags").exists()
