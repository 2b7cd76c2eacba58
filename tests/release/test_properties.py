"""Whatever the input, the reader returns a release or raises a ReleaseError – never anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preservation.errors import ReleaseError
from preservation.profile import load_profile
from preservation.release.decode import decode
from preservation.release.discover import Found
from preservation.release.html import html_to_text
from preservation.release.model import Release
from preservation.release.read import read_found
from preservation.release.text import parse_text

PROFILE = load_profile()
FRAGMENTS = st.sampled_from(
    [
        "Pressemitteilung vom 17.09.2019",
        "Pressemitteilung Nr. 00001 vom 31.02.2020",
        "Kaiserslautern, 18.09.2019",
        "Autor/in: Referat Kultur, Anna Beispiel",
        "Autor/in:",
        "„Titel“: mit Doppelpunkt",
        "Text.Foto: A © Stadt Kaiserslautern",
        "© Stadt Kaiserslautern",
        "Teilen auf Facebook",
        *PROFILE.notice.split("\n\n"),
        "",
        "\n",
        "<h1>Titel</h1>",
        "<nav>",
        "<p>",
    ]
)
RELEASE_LIKE = st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=12).map("\n\n".join)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(RELEASE_LIKE)
def test_text_parser_returns_a_release_or_a_release_error(text):
    try:
        parsed = parse_text(text, Path("p.txt"), PROFILE.notice)
    except ReleaseError as exc:
        assert exc.source == "p.txt" and exc.message
    else:
        assert parsed.title.strip() and "\n" not in parsed.title


@SETTINGS
@given(RELEASE_LIKE)
def test_html_reader_never_crashes(text):
    content = html_to_text(text, PROFILE.notice)
    assert isinstance(content.text, str)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["q.txt", "q.html"]))
def test_any_bytes_give_a_release_or_a_release_error(tmp_path_factory, data, name):
    source = tmp_path_factory.mktemp("p") / name
    source.write_bytes(data)
    try:
        assert isinstance(read_found(Found(source), PROFILE), Release)
    except ReleaseError as exc:
        assert exc.source == str(source)


@SETTINGS
@given(st.text(max_size=200))
def test_decoding_utf8_round_trips_up_to_line_ends(text):
    try:
        decoded, encoding, _ = decode(text.encode("utf-8"), Path("d.txt"))
    except ReleaseError:
        return
    # A text that starts with U+FEFF reads, as UTF-8 bytes, exactly like a UTF-8 file with a BOM.
    assert encoding == ("utf-8-sig" if text.startswith("\ufeff") else "utf-8")
    assert "\r" not in decoded
