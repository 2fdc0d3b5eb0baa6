"""Stage 5, score: one number per pair, for ranking candidates and for reports.

Rules (stage 6) look at the features themselves; the score only orders candidates and
is what a report prints. It is the strongest single piece of evidence - an exact key,
the company name - or, for two records that only share a person, the person's name
backed by a near phone or a sibling e-mail. Built from symmetric features, it is
symmetric too.

>>> pair_score({"company": 0.8, "contact": 1.0})
0.85
>>> pair_score({"exact_key": 0.0, "company": 0.5})
0.5
"""

from __future__ import annotations

_CORROBORATION_BONUS = 0.05


def pair_score(features: dict[str, float]) -> float:
    """Best evidence, plus a small bonus per corroborating person or contact feature."""
    best = max(features.get("exact_key", 0.0), features.get("company", 0.0))
    person = features.get("contact", 0.0)
    contact_channel = max(features.get("phone_near", 0.0), features.get("email_sibling", 0.0))
    if person >= 0.9 and contact_channel:
        best = max(best, 0.5 * person + 0.5 * contact_channel)
    corroborating = sum(
        1 for name in ("contact", "phone_near", "email_sibling") if features.get(name, 0.0) >= 0.9
    )
    return round(min(1.0, best + _CORROBORATION_BONUS * corroborating), 4)
