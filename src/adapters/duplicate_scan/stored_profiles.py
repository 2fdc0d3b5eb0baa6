"""The identity view's stored profiles turned into the columns the pair SQL compares,
inside DuckDB: its JSON functions parse a page of profiles on every core, where Python
took 20 us a profile (a third of the scan at a million customers).

Positions come from the codec's layout (``profile_codec.StoredParts``, ``COMPANY_LAYOUT``,
``CONTACT_LAYOUT``) and the derived values mirror the properties the comparison reads:
``CompanyName.brand_and_trade`` (the core less its trade word), ``CompanyName.phonetic``
equality (the syllables), ``PersonName.phonetic`` (syllables joined),
``EmailParts.is_role_mailbox`` and ``EmailParts.domain_label`` (from the same constant
sets). The property test comparing the engine's scan with the reference scan checks
the mirror.
"""

from __future__ import annotations

from crmcore.identity.profile import ROLE_MAILBOXES, SECOND_LEVEL_LABELS
from crmcore.identity.profile_codec import COMPANY_LAYOUT, CONTACT_LAYOUT, StoredParts

_PART = StoredParts._fields.index


def _path(part: str, field: str | None = None, layout: tuple[str, ...] = ()) -> str:
    inner = f"[{layout.index(field)}]" if field is not None else ""
    return f"'$[{_PART(part)}]{inner}'"


def _company(field: str) -> str:
    return _path("company", field, COMPANY_LAYOUT)


def _contact(field: str) -> str:
    return _path("contact", field, CONTACT_LAYOUT)


def _strings(values: frozenset[str]) -> str:
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values)) + "]"


def _domain_label(domain: str) -> str:
    """``EmailParts.domain_label`` of ``domain``."""
    labels = f"string_split({domain}, '.')"
    return (
        f"(CASE WHEN len({labels}) >= 3 AND list_contains({_strings(SECOND_LEVEL_LABELS)}, "
        f"{labels}[-2]) THEN {labels}[-3] WHEN len({labels}) >= 2 THEN {labels}[-2] "
        f"ELSE {labels}[1] END)"
    )


# Stage 1: the stored values, by position - two extractions of many paths each, so
# every profile is parsed twice, not once per value (2.3 s -> 1.5 s at 100k).
_TEXTS = {
    "core": _company("core"),
    "trade": _company("trade"),
    "branch": _company("branch"),
    "c_script": _contact("script"),
    "c_surname": _contact("surname"),
    "region": _path("region"),
}
_LISTS = {  # name -> (path, the column made of the extracted JSON value {v})
    "syllables": (_company("syllables"), "CAST({v} AS VARCHAR[])"),
    "c_syllables": (_contact("syllables"), "CAST({v} AS VARCHAR[])"),
    "c_codes": (_contact("codes"), "CAST({v} AS VARCHAR[])"),
    "keys": (_path("keys"), "CAST({v} AS VARCHAR[])"),
    "phones": (_path("phones"), "CAST({v} AS VARCHAR[])"),
    "emails": (_path("emails"), "CAST({v} AS VARCHAR[][])"),
    "c_no_given": (_contact("given"), "json_type({v}) = 'NULL'"),
}
_VALUES = ", ".join(
    [f"t[{i}] AS {name}" for i, name in enumerate(_TEXTS, 1)]
    + [
        f"{column.format(v=f'j[{i}]')} AS {name}"
        for i, (name, (_, column)) in enumerate(_LISTS.items(), 1)
    ]
)
_PARSED = (
    f"SELECT entry_no, live, {_VALUES} "
    "FROM (SELECT r.entry_no, coalesce(s.survivor, r.customer_id) AS live, "
    f"json_extract_string(r.profile, [{', '.join(_TEXTS.values())}]) AS t, "
    f"json_extract(r.profile, [{', '.join(path for path, _ in _LISTS.values())}]) AS j "
    "FROM page r LEFT JOIN survivors s ON s.tombstone = r.customer_id)"
)
_PERSONAL = (
    f"list_transform(list_filter(emails, lambda e: NOT list_contains("
    f"{_strings(ROLE_MAILBOXES)}, e[1])), "
    f"lambda e: e[1] || chr(31) || {_domain_label('e[2]')} || chr(31) || e[2])"
)
# Stage 2: what the pair SQL compares ($generic: the labels of the generic keys).
_COLUMNS = (
    "SELECT entry_no, live, list_has_any(keys, CAST($generic AS VARCHAR[])) AS holder, core, "
    "array_to_string(syllables, chr(31)) AS sound, "
    "CASE WHEN latin THEN syllables END AS words, "
    "CASE WHEN trade = '' THEN core ELSE left(core, length(core) - length(trade)) END "
    "AS brand, trade, branch, latin, c_script, array_to_string(c_syllables, '') AS c_sound, "
    "c_surname, c_script IS NOT NULL AND c_no_given AS c_partial, "
    "array_to_string(c_codes, chr(31)) AS c_codes, region, phones, "
    "len(emails) > 0 AS has_emails, personal AS emails, "
    "list_filter(keys, lambda k: NOT list_contains(CAST($generic AS VARCHAR[]), k)) AS labels, "
    "len(phones) AS n_phones, split_part(phones[1], ':', 1) AS p_cc, "
    "split_part(phones[1], ':', 2) AS p_digits, len(personal) AS n_emails, "
    "split_part(personal[1], chr(31), 1) || chr(31) || split_part(personal[1], chr(31), 2) "
    "AS e_key, split_part(personal[1], chr(31), 3) AS e_domain "
    f"FROM (SELECT *, {_PERSONAL} AS personal, "
    "core IS NOT NULL AND NOT regexp_matches(core, '[^\\x00-\\x7f]') AS latin "
    "FROM (" + _PARSED + "))"
)

ENTRY_COLUMNS = (
    "entry_no",
    "live",
    "holder",
    "core",
    "sound",
    "words",
    "brand",
    "trade",
    "branch",
    "latin",
    "c_script",
    "c_sound",
    "c_surname",
    "c_partial",
    "c_codes",
    "region",
    "phones",
    "has_emails",
    "emails",
    "labels",
    "n_phones",
    "p_cc",
    "p_digits",
    "n_emails",
    "e_key",
    "e_domain",
)
INSERT_ENTRIES = f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) {_COLUMNS}"
"""Files a registered ``page`` (entry_no, customer_id, profile) into ``entries``; needs
a ``survivors`` table (tombstone -> survivor) and the ``$generic`` parameter."""
