"""Each input variant, read from the bundled samples; expected values taken from reading the samples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from preservation.release import Release, read_release, read_sources

NOTICE_HEADING = "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein"


def read(samples_dir: Path, name: str, profile) -> Release:
    return read_release(samples_dir / name, profile)


def test_every_sample_reads_cleanly(samples_dir, profile):
    results = list(read_sources([samples_dir], profile))
    assert all(isinstance(r, Release) for r in results), results
    assert len(results) == 20
    assert len({r.identifier for r in results}) == 20


def test_plain_export_with_full_notice(samples_dir, profile):
    release = read(samples_dir, "2021-03-12-stadtbibliothek-samstag.txt", profile)
    assert release.title == "Stadtbibliothek öffnet künftig auch am Samstagvormittag"
    assert release.issued == date(2021, 3, 12)
    assert (release.author, release.place) == ("Pressestelle", "Kaiserslautern")
    assert release.notice_in_source is True
    assert release.identifier == "2021-03-12-stadtbibliothek-oeffnet-kuenftig-auch-am-samstagvormittag"
    assert release.body.startswith("Ab dem 3. April können Leserinnen und Leser")
    assert release.body.endswith("innerhalb des bestehenden Teams verteilt.")
    assert release.body.count("\n\n") == 2
    assert "Pressearchiv" not in release.body and "Autor/in" not in release.body
    assert release.warnings == ()
    assert release.source_format == "text" and release.encoding == "utf-8"


def test_notice_without_its_first_line_and_author_with_department(samples_dir, profile):
    release = read(samples_dir, "2019-06-04-museumsnacht.txt", profile)
    assert release.notice_in_source is True
    assert release.author == "Referat Kultur, Anna Beispiel"
    assert release.title == "Lange Nacht der Museen lockt mit Führungen bis Mitternacht"
    assert "Pressearchiv" not in release.body


def test_no_notice_and_title_with_quotes_and_colon(samples_dir, profile):
    release = read(samples_dir, "2023-07-20-sommerbuehne.txt", profile)
    assert release.notice_in_source is False
    assert release.title == "„Kultur im Quartier“: Sommerbühne kehrt in den Volkspark zurück"
    assert release.identifier == "2023-07-20-kultur-im-quartier-sommerbuehne-kehrt-in-den-volkspark-zurueck"
    assert release.warnings == ()


def test_missing_vom_line_takes_the_closing_date(samples_dir, profile):
    release = read(samples_dir, "2018-11-28-weihnachtsmarkt.txt", profile)
    assert release.issued == date(2018, 11, 28)
    assert release.place == "Kaiserslautern"
    assert release.title == "Weihnachtsmarkt: Zufahrtssperren am Schillerplatz"
    assert release.notice_in_source is True


def test_website_chrome_stays_out_of_title_and_body(samples_dir, profile):
    release = read(samples_dir, "2020-02-10-radwege-mit-seitenrahmen.txt", profile)
    assert release.title == "Drei neue Radwege verbinden die Innenstadt mit dem Uni-Wohngebiet"
    assert release.author == "Referat Umweltschutz, Jonas Probst"
    for chrome in ("Facebook", "Willy-Brandt-Platz", "Öffnungszeiten", "©", "Mo.–Fr."):
        assert chrome not in release.body
    assert release.body.endswith("Anregungen schriftlich einreichen.")
    # the social-media blurb before, and address (3), opening hours (3) and © (1) after the release
    (warning,) = release.warnings
    assert (warning.code, dict(warning.params)["count"]) == ("release.chrome-removed", "8")


def test_glued_photo_caption_is_split_off(samples_dir, profile):
    release = read(samples_dir, "2022-09-01-spielplatz-foto.txt", profile)
    assert release.body.endswith("kostete rund 240.000 Euro.")
    assert "Foto" not in release.body
    (warning,) = release.warnings
    assert warning.code == "release.caption-removed"
    assert "Foto: Lena Hartmann © Stadt Kaiserslautern" in warning.message


def test_disagreeing_dates_use_vom_and_warn_naming_both(samples_dir, profile):
    release = read(samples_dir, "2020-10-05-laubsammlung.txt", profile)
    assert release.issued == date(2020, 10, 5)
    (warning,) = release.warnings
    assert warning.code == "release.dates-disagree"
    assert "05.10.2020" in warning.message and "06.10.2020" in warning.message


def test_utf8_with_bom(samples_dir, profile):
    release = read(samples_dir, "2021-01-18-impfzentrum-bom.txt", profile)
    assert release.encoding == "utf-8-sig"
    assert release.title == "Fahrdienst zum Impfzentrum für Über-80-Jährige"
    assert release.notice_in_source is True  # the BOM does not hide the notice's first line


def test_windows_1252_keeps_umlauts_quotes_and_euro(samples_dir, profile):
    release = read(samples_dir, "2017-05-22-gruenflaechen-cp1252.txt", profile)
    assert release.encoding == "cp1252"
    assert release.title == "„Grüne Höfe“: Stadt fördert Entsiegelung mit 50.000 €"
    assert release.body.startswith("Hauseigentümerinnen und -eigentümer, die versiegelte Hofflächen begrünen")
    assert "Rückbau, Bodenaustausch und Pflanzung – nicht jedoch Kunstrasen" in release.body
    assert release.notice_in_source is True


def test_crlf_line_ends_and_number_in_the_date_line(samples_dir, profile):
    release = read(samples_dir, "2016-08-30-schulbeginn-crlf.txt", profile)
    assert "\r" not in release.body + release.title
    assert release.number == release.identifier == "01187"
    assert release.issued == date(2016, 8, 30)
    assert release.author == "Referat Recht und Ordnung, Peter Kühn"


def test_saved_html_page(samples_dir, profile):
    release = read(samples_dir, "pressemitteilungen/04161/index.html.de", profile)
    assert release.source_format == "html"
    assert release.identifier == release.number == "04161"
    assert release.title == "Gründerpreis der Stadt geht an Lastenrad-Verleih"
    assert release.issued == date(2022, 2, 14)
    assert release.author == "Referat Wirtschaftsförderung, Miriam Löffler"
    assert release.notice_in_source is True
    assert release.body == (
        "Der diesjährige Gründerpreis der Stadt Kaiserslautern geht an ein junges Unternehmen, das "
        "Lastenräder für Handwerksbetriebe verleiht. Die Jury lobte das Konzept als Beitrag zu einer "
        "ruhigeren und saubereren Innenstadt.\n\n"
        "Preisgeld für neue Stationen\n\n"
        "Das Preisgeld von 5.000 Euro will das Team in zwei weitere Ausleihstationen in der Weststadt "
        "und auf dem Betzenberg investieren."
    )
    assert release.warnings == ()


def test_text_release_folder_with_attachments(samples_dir, profile):
    folder = samples_dir / "2022-04-02-fruehjahrsputz"
    release = read_release(folder, profile)
    assert release.source == folder / "pressemitteilung.txt"
    assert release.root == folder
    assert [release.attachment_name(a) for a in release.attachments] == [
        "Flyer-Sammelstellen.pdf",
        "Foto Aktionstag.jpg",
        "bilder/Sammelstelle Gänsbrunnen.png",
    ]
    assert release.author == "Stadtbildpflege, Sabine Jäger"


def test_html_release_folder_with_attachments(samples_dir, profile):
    release = read_release(samples_dir / "2023-05-15-freibad-saisonstart", profile)
    assert release.source_format == "html"
    assert release.notice_in_source is False
    assert release.title == "Freibad Waschmühle startet in die Saison"
    names = [release.attachment_name(a) for a in release.attachments]
    assert names == ["Preisliste 2023.pdf", "übersichtsplan.png"]
    assert "Startseite" not in release.body and "©" not in release.body
    # the <br> inside the first paragraph is a line end, not a paragraph break
    assert release.body.split("\n\n")[0].endswith(
        "lange Becken wurde\nim Winter neu abgedichtet; die Arbeiten sind rechtzeitig fertig geworden."
    )


SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_7ef10e602f13ff8e.txt"


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed release is not present")
def test_seed_release(profile):
    release = read_release(SEED, profile)
    assert release.title == "Kaiserslautern nimmt am Smart-City-Kongress in Stuttgart teil"
    assert release.issued == date(2019, 9, 17)
    assert (release.author, release.place) == ("Pressestelle", "Kaiserslautern")
    assert release.notice_in_source is True
    assert release.body.startswith("Unter dem Motto „Smart, solidarisch, resilient:")
    assert release.body.endswith("in der ganzen Bundesrepublik“, so der CUO.")
    assert NOTICE_HEADING not in release.body


def codes(release: Release) -> list[str]:
    return [w.code for w in release.warnings]


def test_long_form_date_without_a_closing_line(samples_dir, profile):
    release = read(samples_dir, "2024-12-05-lichterglanz-langes-datum.txt", profile)
    assert release.title == "Lichterglanz: Weihnachtsbaum auf dem Stiftsplatz leuchtet"
    assert (release.issued, release.place, release.author) == (date(2024, 12, 5), None, "Pressestelle")
    assert release.identifier == "2024-12-05-lichterglanz-weihnachtsbaum-auf-dem-stiftsplatz-leuchtet"
    assert release.warnings == ()


def test_two_digit_year_confirmed_by_the_closing_line(samples_dir, profile):
    release = read(samples_dir, "2024-12-09-winterdienst-zweistellige-jahreszahl.txt", profile)
    assert (release.title, release.issued) == (
        "Winterdienst ist auf Schnee und Glätte vorbereitet",
        date(2024, 12, 9),
    )
    assert release.warnings == ()


def test_title_above_the_date_line(samples_dir, profile):
    release = read(samples_dir, "2024-11-20-titel-ueber-dem-datum.txt", profile)
    assert release.title == "Neue Sitzbänke für den Volkspark"
    assert release.body.startswith("Im Volkspark stehen seit dieser Woche 24 neue Sitzbänke")
    assert dict(release.origins)["title"] == "the line above the date line"
    assert release.warnings == ()


def test_line_based_export_with_chrome_before_the_notice(samples_dir, profile):
    release = read(samples_dir, "2024-10-14-zeilenexport-mit-seitenrahmen.txt", profile)
    assert release.title == "Stadtbus fährt am Wochenende öfter"
    assert release.notice_in_source is True
    assert release.body == (
        "Ab dem 2. November fahren die Linien 101 und 102 samstags und sonntags im 20-Minuten-Takt statt "
        "stündlich.\nDer neue Fahrplan liegt in allen Bussen aus und steht im Internet."
    )
    assert codes(release) == ["release.chrome-removed"]
    assert "Startseite > Rathaus" in release.warnings[0].message


@pytest.mark.parametrize(
    ("name", "paragraphs"),
    [("2024-09-03-hinweis-gekuerzt.txt", "2 of 4"), ("2024-08-19-hinweis-ein-absatz.txt", "1 of 4")],
)
def test_shortened_notice_is_in_the_source_with_a_warning(samples_dir, profile, name, paragraphs):
    release = read(samples_dir, name, profile)
    assert release.notice_in_source is True
    assert "Pressearchiv" not in release.body and "Achtung" not in release.title
    assert codes(release) == ["release.notice-partial"]
    assert f"({paragraphs} paragraphs)" in release.warnings[0].message


def test_utf8_notice_above_a_windows_1252_body(samples_dir, profile):
    release = read(samples_dir, "2024-07-01-gemischte-kodierung.txt", profile)
    assert release.title == "Grünpflege: Mähen erst nach der Blüte"
    assert release.notice_in_source is True and release.encoding == "utf-8+cp1252"
    assert release.body.endswith("die Pflege kostet dadurch rund 5.000 € weniger.")
    assert codes(release) == ["release.encoding-mixed"]
