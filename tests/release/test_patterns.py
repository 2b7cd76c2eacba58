"""Every pattern of the reader matches its examples and none of its counterexamples."""

from __future__ import annotations

from datetime import date

import pytest

from preservation.release import patterns
from preservation.release.patterns import CLOSING_LINE, DATE_LINES, Rule, date_of

DATE_LINE = DATE_LINES[0]

RULES = [
    value
    for value in vars(patterns).values()
    if isinstance(value, Rule)
    or (isinstance(value, tuple) and value and all(isinstance(v, Rule) for v in value))
]
FLAT = [rule for value in RULES for rule in (value if isinstance(value, tuple) else (value,))]


@pytest.mark.parametrize("rule", FLAT, ids=[rule.name for rule in FLAT])
def test_each_rule_matches_its_examples_and_not_its_counterexamples(rule: Rule):
    assert rule.examples
    for line in rule.examples:
        assert rule.search(line), line
    for line in rule.counterexamples:
        assert not rule.search(line), line


@pytest.mark.parametrize(
    ("line", "expected", "short"),
    [
        ("Pressemitteilung vom 17.09.2019", date(2019, 9, 17), False),
        ("Pressemitteilung vom 5. Dezember 2024", date(2024, 12, 5), False),
        ("Pressemitteilung vom Do., 5. Dez. 2024", date(2024, 12, 5), False),
        ("Pressemitteilung vom 1. März 2021", date(2021, 3, 1), False),
        ("Pressemitteilung vom 05.12.24", date(2024, 12, 5), True),
        ("Pressemitteilung vom 05.12.98", date(1998, 12, 5), True),
        ("Pressemitteilung vom 2024-12-05", date(2024, 12, 5), False),
    ],
)
def test_date_forms_name_the_day_they_say(line, expected, short):
    match = DATE_LINE.search(line)
    assert match is not None
    assert date_of(match) == (expected, short)


def test_a_closing_line_names_its_place_and_a_day_that_does_not_exist_is_refused():
    match = CLOSING_LINE.search("Kaiserslautern, den 5. Dezember 2024")
    assert match is not None and match["place"] == "Kaiserslautern"
    with pytest.raises(ValueError):
        date_of(DATE_LINE.search("Pressemitteilung vom 31. Februar 2024"))  # type: ignore[arg-type]
