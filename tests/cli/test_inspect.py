from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from preservation.cli import main

DATA = Path(__file__).resolve().parents[1] / "release" / "data"
KEYS = [
    "source",
    "identifier",
    "title",
    "issued",
    "author",
    "place",
    "notice_in_source",
    "attachments",
    "warnings",
    "findings",
    "origins",
]


def test_json_output_shape_for_a_release_folder(samples_dir, capsys):
    folder = samples_dir / "2022-04-02-fruehjahrsputz"
    assert main(["inspect", str(folder), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["releases", "errors", "skipped"]
    (release,) = document["releases"]
    assert list(release) == KEYS
    assert release == {
        "source": str(folder / "pressemitteilung.txt"),
        "identifier": "2022-04-02-fruehjahrsputz-ueber-900-freiwillige-sammeln-muell-im-stadtgebiet",
        "title": "Frühjahrsputz: Über 900 Freiwillige sammeln Müll im Stadtgebiet",
        "issued": "2022-04-02",
        "author": "Stadtbildpflege, Sabine Jäger",
        "place": "Kaiserslautern",
        "notice_in_source": True,
        "attachments": [
            str(folder / "Flyer-Sammelstellen.pdf"),
            str(folder / "Foto Aktionstag.jpg"),
            str(folder / "bilder" / "Sammelstelle Gänsbrunnen.png"),
        ],
        "warnings": [],
        "findings": [],
        "origins": {
            "title": "the line after the date line",
            "issued": "the 'Pressemitteilung vom' line",
            "author": "the 'Autor/in:' line",
            "place": "the closing line",
            "notice": "in the source",
        },
    }
    assert document["errors"] == []


def test_json_lists_failures_and_exits_1(samples_dir, capsys):
    good = samples_dir / "2020-10-05-laubsammlung.txt"
    assert main(["inspect", "--format", "json", str(good), str(DATA / "empty.txt")]) == 1
    document = json.loads(capsys.readouterr().out)
    (release,) = document["releases"]
    assert release["identifier"] == "2020-10-05-laubsammlung-beginnt-mitte-oktober"
    assert document["releases"][0]["warnings"][0].startswith("dates disagree")
    assert document["releases"][0]["findings"][0]["code"] == "release.dates-disagree"
    (error,) = document["errors"]
    assert error == {"source": str(DATA / "empty.txt"), "message": "empty file: no text to read"}


def test_text_output_one_block_per_release_and_error_lines(samples_dir, capsys):
    code = main(["inspect", str(samples_dir / "pressemitteilungen"), str(DATA / "binary.txt")])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines()[:3] == [
        str(samples_dir / "pressemitteilungen" / "04161" / "index.html.de"),
        "  identifier: 04161",
        "  title:      Gründerpreis der Stadt geht an Lastenrad-Verleih",
    ]
    assert out.splitlines()[-1] == "1 read, 1 failed"
    reason = "binary file: contains NUL bytes, not a text or HTML document"
    assert err == f"error: {DATA / 'binary.txt'}: {reason}\n"


def test_all_samples_read_exit_0(samples_dir, capsys):
    assert main(["inspect", str(samples_dir)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "20 read, 0 failed"


def test_missing_source_is_a_usage_error(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "fehlt")]) == 2
    assert capsys.readouterr().err == f"preservation: no such SOURCE: {tmp_path / 'fehlt'}\n"


def test_bad_profile_is_a_usage_error(tmp_path, samples_dir, capsys):
    profile = tmp_path / "p.yaml"
    profile.write_text("colour: blue\n", encoding="utf-8")
    assert main(["inspect", str(samples_dir), "--profile", str(profile)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"preservation: {profile}: key ") and err.count("\n") == 1


def test_no_source_and_bad_format_are_usage_errors(samples_dir):
    for argv in (["inspect"], ["inspect", str(samples_dir), "--format", "xml"]):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["inspect", "--help"])
    assert "preservation inspect samples" in capsys.readouterr().out


def test_inspect_tells_apart_releases_sharing_date_and_title_as_build_would(tmp_path, capsys):
    text = "Pressemitteilung vom 05.12.2024\n\nBaustelleninformation\n\n{}\n\nKaiserslautern, 05.12.2024\n"
    for name, body in (("a", "Mainzer Straße."), ("b", "Brücke am Bahnhof."), ("c", "Mainzer Straße.")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.txt").write_text(text.format(body), encoding="utf-8")
    assert main(["inspect", str(tmp_path), "--format", "json"]) == 0
    a, b, c = json.loads(capsys.readouterr().out)["releases"]
    assert a["identifier"] != b["identifier"]
    assert a["identifier"].startswith("2024-12-05-baustelleninformation-")
    assert str(tmp_path / "b" / "m.txt") in a["warnings"][0] and a["identifier"] in a["warnings"][0]
    # The copy is shown under the identifier of the release it repeats, and said to be one.
    assert c["identifier"] == a["identifier"]
    assert c["warnings"] == [
        f"the same release as {tmp_path / 'a' / 'm.txt'} (byte-identical document and attachments); skipped"
    ]


def test_csv_output_is_one_row_per_release_as_german_excel_opens_it(samples_dir, tmp_path, capsysbinary):
    assert main(["inspect", str(samples_dir), "--format", "json"]) == 0
    releases = json.loads(capsysbinary.readouterr().out)["releases"]
    assert main(["inspect", str(samples_dir), "--format", "csv"]) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"\xef\xbb\xbfsource;identifier;title;issued;author;place;notice;warnings\r\n")
    with (tmp_path / "inspect.csv").open("wb") as stream:
        stream.write(data)
    with (tmp_path / "inspect.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream, delimiter=";"))
    assert [(r["source"], r["identifier"], r["title"], r["issued"]) for r in rows] == [
        (r["source"], r["identifier"], r["title"], r["issued"]) for r in releases
    ]
    assert [r["notice"] for r in rows] == ["yes" if r["notice_in_source"] else "no" for r in releases]
    assert [r["warnings"].splitlines() for r in rows] == [
        [f"{f['code']}: {f['message']}" for f in r["findings"]] for r in releases
    ]
