"""The lead CSV: the customer import's columns plus where and when each buyer arrived.

Input columns (header row, any order, any subset): the customer columns
(``external_id, company_name, contact_name, phone, email, uscc, wechat, region,
industry, source``) plus ``channel`` (web, ad, exhibition, phone, wechat, referral,
import; ``import`` when blank), ``source_tag`` (several separated by ``;``),
``campaign``, ``intent``, ``device_id``, ``session_id`` and ``at`` (ISO 8601 business
time; without an offset it is read in the business's time zone).
"""

from __future__ import annotations

from pathlib import Path

from adapters.files.customers_csv import CUSTOMER_COLUMNS, CustomerFile, open_csv

LEAD_COLUMNS = (
    *CUSTOMER_COLUMNS,
    "channel",
    "source_tag",
    "campaign",
    "intent",
    "device_id",
    "session_id",
    "at",
)
LEAD_RESULT_COLUMNS = (
    "row",
    "external_id",
    "outcome",
    "lead_id",
    "customer_id",
    "touches",
    "score",
    "route",
    "owner",
    "reason",
)
# A lead needs something to recognise or reach the buyer by.
_IDENTIFYING = (
    "company_name",
    "contact_name",
    "phone",
    "email",
    "wechat",
    "device_id",
    "session_id",
)


def open_lead_file(path: Path) -> CustomerFile:
    """Checks the header and encoding before anything is imported."""
    return open_csv(
        path,
        LEAD_COLUMNS,
        _IDENTIFYING,
        "the header needs a column to recognise a buyer by: " + ", ".join(_IDENTIFYING),
    )
