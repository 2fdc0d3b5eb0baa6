"""The audit pages in a real headless Chromium: the charts drew, the page made no
network request - and the harness does see a request when a page makes one."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from adapters.reports.audit_pages import timeline_page, verdict_page
from adapters.reports.svg import PALETTE
from crmcore import ManualClock
from crmcore.audit.queries import SettleDispute
from tests.browser.chromium import coloured_pixels, render
from tests.unit.audit.helpers import new_customer, office, staff, transfer
from tests.unit.test_claim_rules import claim, release


def test_the_harness_sees_a_request_when_a_page_makes_one(tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://cdn.example.invalid/x.png">'
                    "</body></html>", encoding="utf-8")
    assert any("cdn.example.invalid" in request for request in render(page).requests)


def test_a_timeline_and_a_verdict_draw_offline(tmp_path: Path, clock: ManualClock) -> None:
    app = office(clock)
    staff(app)
    cid = new_customer(app)
    claim(app, cid, "li")
    clock.advance(days=10)
    transfer(app, cid, "wang")
    clock.advance(days=5)
    release(app, cid, "wang")
    clock.advance(days=1)
    claim(app, cid, "zhao")
    clock.advance(days=3)

    timeline = tmp_path / "timeline.html"
    timeline.write_text(timeline_page(app.ownership_timeline(cid), clock.now()),
                        encoding="utf-8")
    drawn = render(timeline)
    assert drawn.requests == []
    assert drawn.dom.count('class="mark"') == 3  # li, wang, zhao
    assert "ownership.transferred v" in drawn.dom
    # Three owners, three colours, each bar tens of pixels wide and twenty high.
    assert coloured_pixels(drawn.screenshot, PALETTE[:3]) > 3 * 20 * 20
    assert timeline.stat().st_size < 50_000
    assert _links_out(timeline) == []

    verdict = app.settle_dispute(SettleDispute(
        customer_id=cid, claimants=("li", "wang"), at=clock.now() - timedelta(days=14)))
    page = tmp_path / "verdict.html"
    page.write_text(verdict_page(verdict), encoding="utf-8")
    shown = render(page)
    assert shown.requests == []
    assert "li — by protection" in shown.dom
    assert verdict.digest in shown.dom
    assert _links_out(page) == []


def _links_out(page: Path) -> list[str]:
    """Every URL in the file: a self-contained page has none to load or follow."""
    return re.findall(r"(?:https?:|//)[^\s\"'<>]+", page.read_text(encoding="utf-8"))
