"""The lead score: a sum of explained terms, computed once and kept on the lead.

Pure: the lead as it stands, the rules and the time the score is taken give the same
score and the same explanation every time, so the ``Scored`` event a capture records
is what a replay would compute again at that recording time (a test holds them side
by side), and a rep can be shown why a lead went to them or to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmcore.domain.lead import Lead
from crmcore.identity import KeyKind
from crmcore.leads.config import LeadChannel, LeadConfig

_HOUR = 3600.0
_CONTACTS = (
    (KeyKind.PHONE, "phone", "a phone number"),
    (KeyKind.EMAIL, "email", "an e-mail address"),
    (KeyKind.WECHAT, "wechat", "a WeChat id"),
)


@dataclass(frozen=True)
class LeadScore:
    """The total, its terms (``term``, ``points``, ``why``) and the route it implies."""

    score: int
    terms: list[dict[str, Any]]
    threshold: int

    @property
    def route(self) -> str:
        return "assign" if self.score >= self.threshold else "pool"


def score_lead(lead: Lead, config: LeadConfig, recorded_at: datetime) -> LeadScore:
    """Scores ``lead`` as it stands at ``recorded_at`` (the recording time of the event
    that prompted the score: the business time of a touch may lag it)."""
    terms: list[dict[str, Any]] = []

    def term(name: str, points: int, why: str) -> None:
        if points:
            terms.append({"term": name, "points": points, "why": why})

    kinds = {key.kind for key in lead.identity_keys}
    contact = config.contact_points
    for kind, name, what in _CONTACTS:
        if kind in kinds:
            term(name, contact.get(name, 0), f"gave {what}")
    for name in ("company_name", "contact_name"):
        if getattr(lead, name):
            term(name, contact.get(name, 0), f"named a {name.replace('_', ' ')}")
    intents = sorted({t.intent for t in lead.touches if t.intent})
    if intents:
        term("intent", config.intent_points, f"asked about {', '.join(intents)}")
    channels = {LeadChannel(t.channel) for t in lead.touches}
    best = max(channels, key=lambda c: (config.channel_points.get(c, 0), c.value))
    term("channel", config.channel_points.get(best, 0), f"best channel: {best.value}")
    latest = max(t.at for t in lead.touches)
    age_hours = max(0.0, (recorded_at - latest).total_seconds() / _HOUR)
    term("recency", _recency(age_hours, config), f"latest touch {age_hours:.0f} h before scoring")
    extra = len(lead.touches) - 1
    if extra:
        points = min(extra * config.touch_points, config.touch_points_max)
        term("touches", points, f"{len(lead.touches)} touches")
    return LeadScore(sum(t["points"] for t in terms), terms, config.assign_at)


def _recency(age_hours: float, config: LeadConfig) -> int:
    full, zero = config.recency_full_hours, config.recency_days * 24
    if age_hours <= full:
        return config.recency_points
    if age_hours >= zero or zero <= full:
        return 0
    return round(config.recency_points * (zero - age_hours) / (zero - full))
