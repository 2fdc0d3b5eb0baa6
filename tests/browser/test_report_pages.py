"""After ``crm demo``, every report as a user writes it: ``--html`` pages that open
offline in Chromium with their charts drawn, ``--csv`` a spreadsheet cannot be tricked
by, ``--json`` for scripts - and the audit commands the demo suggests."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from adapters.reports.svg import PALETTE
from tests.browser.chromium import coloured_pixels, render
from tests.e2e.test_cli import as_json, crm

REPORTS = ("collisions", "funnel", "attribution", "pool")


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("demo")
    done = crm("demo", "--customers", "120", cwd=where)
    assert done.returncode == 0, done.stderr
    (where / "demo.txt").write_text(done.stdout, encoding="utf-8")
    return where


@pytest.mark.parametrize("report", REPORTS)
def test_each_report_opens_offline_with_its_charts_drawn(demo_book: Path, report: str) -> None:
    page = demo_book / f"{report}.html"
    made = crm("report", report, "--html", str(page), cwd=demo_book)
    assert made.returncode == 0, made.stderr
    shown = render(page)
    assert shown.requests == []
    assert shown.dom.count('<svg class="chart"') >= 1
    assert shown.dom.count('class="mark"') >= 2
    assert coloured_pixels(shown.screenshot, PALETTE) > 400
    assert page.stat().st_size < 100_000
    assert re.findall(r"(?:https?:|//)[^\s\"'<>]+", page.read_text(encoding="utf-8")) == []


def test_the_collision_report_as_data_and_as_a_spreadsheet(demo_book: Path) -> None:
    data = as_json(crm("report", "collisions", "--json", cwd=demo_book))
    months = data["months"]
    assert months
    assert all(0 <= m["rate"] <= 1 for m in months if m["rate"] is not None)
    assert sum(m["collisions"] for m in months) > 0
    table = crm("report", "collisions", "--csv", cwd=demo_book)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    totals = [r for r in rows if r["dimension"] == "total"]
    assert [int(r["collisions"]) for r in totals] == [m["collisions"] for m in months]
    assert {r["dimension"] for r in rows} >= {"total", "channel", "rep", "resolution"}


def test_the_timeline_the_demo_suggests_draws_the_change_of_hands(demo_book: Path) -> None:
    suggested = (demo_book / "demo.txt").read_text(encoding="utf-8")
    customer = re.search(r"crm audit timeline ([0-9a-f-]{36})", suggested)
    claimants = re.search(r"crm audit dispute [0-9a-f-]{36} (--claimant \S+ --claimant \S+)",
                          suggested)
    assert customer, suggested[-800:]
    assert claimants, suggested[-800:]
    page = demo_book / "timeline.html"
    assert crm("audit", "timeline", customer[1], "--html", str(page),
               cwd=demo_book).returncode == 0
    shown = render(page)
    assert shown.requests == []
    assert shown.dom.count('class="mark"') == 2  # the seller's period, then the successor's
    verdict = as_json(crm("audit", "dispute", customer[1], *claimants[1].split(), "--json",
                          cwd=demo_book))
    assert verdict["winner"] in claimants[1]
    assert verdict["rule"] == "protection"
    assert verdict["evidence"]
