"""Tag-file rendering; expected values worked out by hand from RFC 8493."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preservation.bagit.paths import decode_path
from preservation.bagit.render import (
    fill_bag_info,
    fold_value,
    format_bag_size,
    format_payload_oxum,
    render_bag_info,
    render_bagit_txt,
    render_manifest,
)


def test_bagit_txt_is_version_1_0_in_utf8() -> None:
    assert render_bagit_txt() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def test_bag_info_keeps_the_given_order_and_encodes_utf8() -> None:
    pairs = [("Zeta-Label", "1"), ("Alpha-Label", "Kaiserslautern, Rathaus"), ("Mid", "Straße")]
    assert render_bag_info(pairs) == (
        "Zeta-Label: 1\nAlpha-Label: Kaiserslautern, Rathaus\nMid: Straße\n".encode()
    )


def test_bag_info_repeats_a_label_where_given() -> None:
    assert render_bag_info([("A", "1"), ("B", "2"), ("A", "3")]) == b"A: 1\nB: 2\nA: 3\n"


def test_multiline_values_become_indented_continuation_lines() -> None:
    # §2.2.2: a value continues on lines indented by linear white space; CR, LF and CRLF all break.
    assert fold_value("eins\r\nzwei\rdrei\nvier") == "eins\n  zwei\n  drei\n  vier"
    notice = "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein\nBitte beachten."
    assert (
        render_bag_info([("Archival-Notice", notice)])
        == (
            "Archival-Notice: Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein\n"
            "  Bitte beachten.\n"
        ).encode()
    )


def test_long_single_line_values_are_not_broken() -> None:
    # Folding would add a line break to the value (RFC 8493 keeps line breaks, drops only the indent).
    title = "Oberbürgermeisterin eröffnet den neuen Stadtpark am Kaiserberg mit einem Fest " * 2
    assert render_bag_info([("External-Description", title)]) == f"External-Description: {title}\n".encode()


@pytest.mark.parametrize("label", ["", "Has:Colon", " Padded", "Line\nBreak"])
def test_bad_labels_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        render_bag_info([(label, "x")])


def test_computed_values_fill_their_placeholders_in_place() -> None:
    pairs = [("Source-Organization", "Stadt"), ("payload-oxum", None), ("Bag-Size", None), ("Language", "de")]
    computed = {"Payload-Oxum": "150005.2", "Bag-Size": "150.0 KB"}
    assert fill_bag_info(pairs, computed) == (
        ("Source-Organization", "Stadt"),
        ("payload-oxum", "150005.2"),
        ("Bag-Size", "150.0 KB"),
        ("Language", "de"),
    )


def test_computed_values_missing_from_the_pairs_go_last() -> None:
    computed = {"Payload-Oxum": "5.1", "Bag-Size": "5 B"}
    assert fill_bag_info([("Bag-Size", None), ("A", "b")], computed) == (
        ("Bag-Size", "5 B"),
        ("A", "b"),
        ("Payload-Oxum", "5.1"),
    )


def test_a_caller_value_for_a_computed_label_or_a_missing_value_is_refused() -> None:
    computed = {"Payload-Oxum": "5.1"}
    with pytest.raises(ValueError, match="computed by the writer"):
        fill_bag_info([("Payload-Oxum", "9.9")], computed)
    with pytest.raises(ValueError, match="no value"):
        fill_bag_info([("Contact-Name", None)], computed)


def test_payload_oxum_is_octets_dot_count() -> None:
    assert format_payload_oxum(150005, 2) == "150005.2"
    assert format_payload_oxum(0, 0) == "0.0"


@pytest.mark.parametrize(
    ("octets", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 KB"),
        (150_005, "150.0 KB"),
        (999_949, "999.9 KB"),
        (999_950, "1.0 MB"),
        (1_234_567, "1.2 MB"),
        (42_600_000_000, "42.6 GB"),
        (5 * 10**18, "5000.0 PB"),
    ],
)
def test_bag_size_is_human_readable_in_decimal_units(octets: int, text: str) -> None:
    assert format_bag_size(octets) == text


def test_manifest_lines_are_encoded_and_sorted_by_path_bytes() -> None:
    entries = [
        ("data/ä.txt", "e4"),
        ("data/b.txt", "b0"),
        ("data/a b.txt", "a0"),
        ("data/Z.txt", "5a"),
        ("data/100%.txt", "25"),
        ("data/zwei\nZeilen\r.txt", "0a"),
    ]
    # Byte order of the encoded paths: '%' 0x25 < 'Z' 0x5A < 'a' 0x61 < 'b' < 'z' < 'ä' 0xC3 0xA4.
    assert (
        render_manifest(entries)
        == (
            "25  data/100%25.txt\n"
            "5a  data/Z.txt\n"
            "a0  data/a b.txt\n"
            "b0  data/b.txt\n"
            "0a  data/zwei%0AZeilen%0D.txt\n"
            "e4  data/ä.txt\n"
        ).encode()
    )


def test_an_empty_manifest_is_empty() -> None:
    assert render_manifest([]) == b""


@given(
    st.dictionaries(
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1),
        st.binary(min_size=32, max_size=32).map(bytes.hex),
        max_size=8,
    )
)
def test_manifest_lines_decode_back_to_the_paths(entries: dict[str, str]) -> None:
    text = render_manifest(("data/" + name, digest) for name, digest in entries.items()).decode()
    lines = text.split("\n")
    assert lines.pop() == ""
    parsed = {decode_path(path): digest for digest, path in (line.split("  ", 1) for line in lines)}
    assert parsed == {"data/" + name: digest for name, digest in entries.items()}
