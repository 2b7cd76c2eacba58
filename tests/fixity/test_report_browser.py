"""The HTML report in a real browser (Debian's headless Chromium, which `.ci/run` installs): the failure
headline and the failing bag are laid out visibly, and a history of 50,000 checks renders in under 2 s.

A probe script is appended to a copy of the report (the report itself has no script); it measures the
laid-out page and writes what it found into the DOM, which Chromium prints with --dump-dom.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from preservation.fixity import api
from preservation.fixity.ledger import Ledger, NewBag, Recording
from preservation.fixity.model import Anchor, CheckResult, Outcome, Problem, format_time
from tests.fixity.bags import T0, Clock, make_bags

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")

_PROBE = """<script>
function seen(el) {
  if (!el) return null;
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);  // checkVisibility: inside a
  // closed <details> (content-visibility: hidden) is not visible, though it may have a box
  return {text: el.innerText, width: box.width, height: box.height, top: box.top,
          shown: el.checkVisibility({visibilityProperty: true}) && box.width > 0 && box.height > 0,
          colour: style.color, background: style.backgroundColor};
}
const probe = {
  rendered_ms: performance.now(),
  viewport: window.innerHeight,
  title: document.title,
  headline: seen(document.getElementById("headline")),
  failing: [...document.querySelectorAll("#failing tbody tr")].map(seen),
  markers: [...document.querySelectorAll("rect[data-marker]")].map(seen),
  all_bags: seen(document.querySelector("#all-bags table")),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(probe);
document.body.appendChild(out);
</script>"""


def render(report: Path, tmp_path: Path) -> dict[str, Any]:
    """What the probe saw of `report` laid out in a 1280×900 window."""
    page = tmp_path / f"probed-{report.name}"
    page.write_text(
        report.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8"
    )
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--window-size=1280,900",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, done.stderr[-2000:]
    probed: dict[str, Any] = json.loads(unescape(found.group(1)))
    return probed


def test_the_failure_headline_and_the_failing_bag_are_visible(tmp_path: Path) -> None:
    clock = Clock(step=timedelta(seconds=1))
    bags = make_bags(tmp_path / "root", 3)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    clock.now += timedelta(hours=6)
    (bags[1] / "data" / "release.txt").write_text("changed")
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    report = tmp_path / "report.html"
    api.write_report(ledger, report, clock=lambda: clock.now, roots=[tmp_path / "root"])

    seen = render(report, tmp_path)
    headline = seen["headline"]
    assert headline["text"] == "1 bag FAILED" and seen["title"].startswith("1 bag FAILED – ")
    assert headline["shown"] and 0 <= headline["top"] < seen["viewport"]  # on the first screen
    assert headline["background"] == "rgb(198, 40, 40)"  # red
    (row,) = seen["failing"]
    assert row["shown"] and str(bags[1].resolve()) in row["text"] and "data/release.txt" in row["text"]
    assert seen["markers"] and all(m["shown"] and m["width"] >= 3 for m in seen["markers"])
    assert not seen["all_bags"]["shown"]  # collapsed until opened


def test_a_history_of_50000_checks_renders_in_under_2_seconds(tmp_path: Path) -> None:
    """2,000 bags checked nightly for 25 nights, one failure among them: the report is made and laid out
    in under 2 s each, and the one failure has its marker."""
    ledger_path = tmp_path / "l.sqlite"
    with Ledger(ledger_path) as ledger:
        ledger.register(
            [
                NewBag(f"urn:ks:{n}", f"/archive/bag{n:05d}", "directory", Anchor.of({"t": str(n)}), 1000)
                for n in range(2000)
            ],
            [],
            format_time(T0),
        )
        bags = ledger.bags()
        recordings = []
        for night in range(25):
            when = format_time(T0 + timedelta(days=night, seconds=1))
            for bag in bags:
                failed = night == 24 and bag.id == bags[1234].id
                outcome: Outcome = "fail" if failed else "pass"
                problems = (Problem("changed", "data/a.txt", "sha512 differs"),) if failed else ()
                result = CheckResult(bag.id, bag.path, outcome, problems, 1000)
                recordings.append(Recording(result, when, when, 1000))
        ledger.record(recordings, "owner", agent="preservation test", now=format_time(T0))
    report = tmp_path / "report.html"
    started = time.perf_counter()
    api.write_report(ledger_path, report, clock=lambda: T0 + timedelta(days=25))
    made = time.perf_counter() - started
    seen = render(report, tmp_path)
    assert made < 2.0
    assert seen["rendered_ms"] < 2000
    assert seen["headline"]["text"] == "1 bag FAILED"
    assert [row["text"].split("\t")[0] for row in seen["failing"]] == ["/archive/bag01234"]
    (marker,) = seen["markers"]
    assert marker["shown"] and marker["width"] >= 3
