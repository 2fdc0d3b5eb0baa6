"""The auditor's pages: an ownership timeline drawn on a time axis, and a verdict with
its evidence - what ``crm audit timeline --html`` and ``crm audit dispute --html`` write."""

from __future__ import annotations

from datetime import datetime

from adapters.reports.page import page, paragraph, section, table
from adapters.reports.svg import Span, time_chart
from crmcore.audit.evidence import Evidence
from crmcore.audit.timeline import Timeline
from crmcore.audit.verdict import Verdict


def timeline_page(answer: Timeline, now: datetime) -> str:
    """Owners as bars on a time axis (one row per owner; an open period runs to ``now``,
    or to the moment the answer is known at), then the periods and events."""
    until = answer.as_known_at or now
    spans = [
        Span(
            lane=p.owner,
            start=p.started_at,
            end=p.ended_at,
            label=f"{p.owner} ({p.began_how})",
            detail=f"{p.started_at:%Y-%m-%d %H:%M} → "
            + (
                f"{p.ended_at:%Y-%m-%d %H:%M} ({p.ended_how}: {p.end_reason})"
                if p.ended_at
                else "now"
            ),
        )
        for p in answer.periods
    ]
    known = _known(answer.as_known_at)
    notes = [paragraph(f"answered for {answer.answered_for}: {n}") for n in answer.redirects]
    periods = table(
        ["owner", "from", "to", "began", "rule", "ended", "why"],
        [
            [
                p.owner,
                f"{p.started_at:%Y-%m-%d %H:%M}",
                f"{p.ended_at:%Y-%m-%d %H:%M}" if p.ended_at else None,
                p.began_how,
                p.rule,
                p.ended_how,
                p.end_reason,
            ]
            for p in answer.periods
        ],
    )
    return page(
        f"Ownership timeline · {answer.customer_id}",
        known,
        [
            *notes,
            section(
                "Owners over time",
                time_chart("Who owned the customer", spans, until)
                if until
                else paragraph("No events."),
            ),
            section("Periods", periods),
            section("Events", evidence_table(answer.events)),
        ],
    )


def verdict_page(verdict: Verdict) -> str:
    """The verdict first, then why each claimant lost, the notes and the evidence."""
    subject = ", ".join(f"{k} {v}" for k, v in verdict.subject.items())
    headline = f"{verdict.winner or 'Nobody'} — by {verdict.rule}"
    losers = table(["claimant", "why not"], sorted(verdict.losers.items()))
    shares = (
        [section("Credit shares", table(["rep", "share"], sorted(verdict.shares.items())))]
        if verdict.shares
        else []
    )
    return page(
        f"Dispute verdict · {subject}",
        f"at {verdict.at.isoformat()}, {_known(verdict.as_known_at)}; claimants "
        f"{', '.join(verdict.claimants)}; rules {verdict.rule_set_version}",
        [
            f'<div class="verdict">{headline}</div>',
            paragraph(verdict.why),
            section("Other claimants", losers),
            *shares,
            *[paragraph(f"Note: {note}", "late") for note in verdict.notes],
            section("Evidence, in business order", evidence_table(verdict.evidence)),
            paragraph(f"verdict digest {verdict.digest}", "digest"),
        ],
    )


def _known(as_known_at: datetime | None) -> str:
    if as_known_at is None:
        return "from everything recorded"
    return f"as known at {as_known_at.isoformat()}"


def evidence_table(evidence: tuple[Evidence, ...]) -> str:
    rows = [
        [
            f"{e.occurred_at:%Y-%m-%d %H:%M}",
            f"{e.recorded_at:%Y-%m-%d %H:%M}" + (" (back-dated)" if e.backdated_by else ""),
            f"{e.event} v{e.version}",
            e.actor,
            ", ".join(
                f"{k}={v}"
                for k, v in e.facts.items()
                if k != "customer_id" and v not in (None, {}, [])
            ),
        ]
        for e in evidence
    ]
    return table(["business time", "recorded", "event", "by", "facts"], rows)
