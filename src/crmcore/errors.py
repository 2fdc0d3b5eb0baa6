"""The errors crmcore raises, each with a reason a caller can show a user.

Three families, which the CLI maps to its exit codes:

* :class:`ValidationFailed` - the input itself is wrong (exit 2);
* :class:`RefusedByRule` - the input is fine but a business rule refuses it, e.g.
  :class:`DuplicateCustomer` (exit 3);
* :class:`NotFound` - the command names something that does not exist (exit 4).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID


class CrmError(Exception):
    """Base class of every error crmcore raises on purpose."""

    code: str = "crm_error"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, used by ``--json`` output and services."""
        return {"error": self.code, "message": str(self)}


class StoreUnavailable(CrmError):
    """The store could not take or serve the command (full disk, locked file, lost
    connection); the transaction was rolled back, so nothing of the command was saved."""

    code = "store_unavailable"


class EngineUnavailable(CrmError):
    """An optional engine (Spark for the duplicate scan) is not installed or could not
    start; the message says what to install. Nothing was changed."""

    code = "engine_unavailable"


class ValidationFailed(CrmError):
    """A field of a command is invalid; nothing was changed.

    ``field`` names the input field as the caller spelled it (``uscc``, ``phone``...).
    """

    code = "validation_failed"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "field": self.field, "reason": self.reason}


class RefusedByRule(CrmError):
    """A valid command that a business rule refuses; nothing was changed."""

    code = "refused"
    rule: str = "unspecified"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rule": self.rule}


class DuplicateCustomer(RefusedByRule):
    """The record is a duplicate of an existing customer, by an exact key or a match rule.

    ``explanation`` is the identity check's decision (candidates, scores, features,
    rule-set version).
    """

    code = "duplicate_customer"

    def __init__(
        self,
        existing_customer_id: UUID,
        key: str | None = None,
        *,
        rule: str = "exact_key",
        explanation: dict[str, Any] | None = None,
        other_holders: dict[UUID, tuple[str, ...]] | None = None,
    ) -> None:
        self.existing_customer_id = existing_customer_id
        self.key = key
        self.rule = rule
        self.explanation = explanation
        # Further customers holding other keys of the record (rule exact_key_conflict):
        # the record would join them, so it was not created; each with its keys.
        self.other_holders = dict(other_holders or {})
        # Set when the refusal was cut to a viewer (crmcore.disclosure): who owns it.
        self.owner: str | None = None
        if self.other_holders:
            others = "; ".join(
                f"{', '.join(keys)} to customer {holder}"
                for holder, keys in self.other_holders.items()
            )
            message = (
                f"the record's keys belong to different customers: {key} to customer "
                f"{existing_customer_id}; {others}. Not created: merge those customers "
                "first, or correct the record"
            )
        elif key is not None:
            message = f"{key} already belongs to customer {existing_customer_id}"
        else:
            message = f"customer {existing_customer_id} looks like the same customer ({rule})"
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        data = {
            **super().to_dict(),
            "existing_customer_id": str(self.existing_customer_id),
            "key": self.key,
        }
        if self.other_holders:
            data["other_holders"] = {
                str(holder): list(keys) for holder, keys in self.other_holders.items()
            }
        if self.owner is not None:
            data["owner"] = self.owner
        if self.explanation is not None:
            data["explanation"] = self.explanation
        return data


class IdentityKeyNotHeld(RefusedByRule):
    """The customer does not hold the identity key a command wants to remove."""

    code = "identity_key_not_held"
    rule = "key_must_be_held"

    def __init__(self, customer_id: UUID, key: str) -> None:
        self.customer_id = customer_id
        self.key = key
        super().__init__(f"customer {customer_id} does not hold {key}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "customer_id": str(self.customer_id), "key": self.key}


class DismissalRefused(RefusedByRule):
    """A duplicate pair that cannot be dismissed: ``same_customer`` (both ids lead to one
    live customer), ``already_dismissed`` (someone said so before)."""

    code = "dismissal_refused"

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


class MergeRefused(RefusedByRule):
    """A merge or split that cannot be done as asked; ``rule`` says which rule refused it.

    Rules: ``same_customer`` (both ids lead to one live customer), ``not_a_tombstone``
    (split of a customer that is not merged), ``split_latest_first`` (the survivor has
    itself been merged since: split that merge first).
    """

    code = "merge_refused"

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


class CustomerErased(RefusedByRule):
    """The customer's personal data was erased: it takes no new personal data (a key, a
    contact, a merge); the person, if they come back, is registered anew."""

    code = "customer_erased"
    rule = "erased_takes_no_personal_data"

    def __init__(self, customer_id: UUID) -> None:
        self.customer_id = customer_id
        super().__init__(
            f"customer {customer_id} was erased on request; its personal data cannot be "
            "changed or added to - register the customer anew"
        )


class GroupRefused(RefusedByRule):
    """A group link or unlink that would break the tree; ``rule`` says which rule.

    Rules: ``cycle`` (the parent is below the child already), ``has_parent`` (the
    child hangs below another parent: unlink it first), ``not_linked`` (unlink of a
    customer that has no parent), ``group_member`` (a merge would make a group member a
    tombstone: unlink it first), ``merged`` (the customer was merged meanwhile).
    """

    code = "group_refused"

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


class OwnershipRefused(RefusedByRule):
    """An ownership command a rule refuses; ``rule`` names it, ``other_party`` is the
    rep standing in the way (the owner, the race's winner) when there is one.

    Rules, in the order a claim checks them: ``rep_inactive``, ``already_owner``,
    ``protected`` (another rep owns it and its protection runs until ``until``),
    ``owned`` (another rep owns it; protection ran out and the sweeper has not yet
    recycled it), ``duplicate_owned`` (it looks like a customer another rep owns),
    ``opportunity_held`` (another rep has an open opportunity with it), ``daily_quota``,
    ``capacity``, ``cooldown`` (the rep let it go less than the cool-down ago). Others:
    ``not_owner``, ``not_supervisor``, ``not_permitted``, ``not_owned``,
    ``no_eligible_rep``, ``handover_in_progress``, ``rep_left``.
    """

    code = "ownership_refused"

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        other_party: str | None = None,
        until: datetime | None = None,
    ) -> None:
        self.rule = rule
        self.other_party = other_party
        self.until = until
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "other_party": self.other_party,
            "until": self.until.isoformat() if self.until is not None else None,
        }


class NotFound(CrmError):
    """The command names an aggregate that does not exist."""

    code = "not_found"


class CustomerNotFound(NotFound):
    code = "customer_not_found"

    def __init__(self, customer_id: UUID | str) -> None:
        self.customer_id = customer_id
        super().__init__(f"no customer with id {customer_id}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "customer_id": str(self.customer_id)}


class LeadRefused(RefusedByRule):
    """A lead command a rule refuses. Rules: ``already_converted`` (the lead became
    ``customer_id`` before), ``no_name`` (a customer needs a company or contact name,
    and the lead has neither), ``erased`` (its personal data was erased), ``converted``
    (an erasure of a lead that became ``customer_id``: erase the customer)."""

    code = "lead_refused"

    def __init__(self, rule: str, message: str, customer_id: UUID | None = None) -> None:
        self.rule = rule
        self.customer_id = customer_id
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        found = {"customer_id": str(self.customer_id)} if self.customer_id else {}
        return {**super().to_dict(), **found}


class OpportunityRefused(RefusedByRule):
    """An opportunity command a rule refuses. Rules: ``gate`` (``missing`` names the
    fields the stages ask for), ``closed`` (won or lost already), ``same_stage``,
    ``duplicate_opportunity`` (a suspected same project: ``original`` is the one to
    continue in)."""

    code = "opportunity_refused"

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        missing: list[str] | None = None,
        original: UUID | None = None,
    ) -> None:
        self.rule = rule
        self.missing = missing or []
        self.original = original
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.missing:
            extra["missing"] = list(self.missing)
        if self.original is not None:
            extra["original"] = str(self.original)
        return {**super().to_dict(), **extra}


class OpportunityNotFound(NotFound):
    code = "opportunity_not_found"

    def __init__(self, opportunity_id: UUID | str) -> None:
        self.opportunity_id = opportunity_id
        super().__init__(f"no opportunity with id {opportunity_id}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "opportunity_id": str(self.opportunity_id)}


class OrderRefused(RefusedByRule):
    """An order milestone a rule refuses: ``already_delivered``, ``already_accepted``,
    ``not_delivered`` (acceptance before delivery), ``over_invoiced``, ``overpaid``."""

    code = "order_refused"

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: UUID | str) -> None:
        self.order_id = order_id
        super().__init__(f"no order with id {order_id}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "order_id": str(self.order_id)}


class LeadNotFound(NotFound):
    code = "lead_not_found"

    def __init__(self, lead_id: UUID | str) -> None:
        self.lead_id = lead_id
        super().__init__(f"no lead with id {lead_id}")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "lead_id": str(self.lead_id)}


class RepNotFound(NotFound):
    code = "rep_not_found"

    def __init__(self, rep_id: str) -> None:
        self.rep_id = rep_id
        super().__init__(f"no rep with id {rep_id} (add one with crm rep add)")

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rep_id": self.rep_id}


class RaceLost(Exception):
    """Another writer changed what this attempt read after the attempt took its time
    from the clock; ``CrmStore.with_retries`` runs the attempt again from fresh reads (it
    never reaches a caller)."""


class ConcurrencyConflict(CrmError):
    """Another writer kept winning the same aggregates; the command was not applied.

    Raised only after bounded retries, so a caller may simply try again later.
    """

    code = "concurrency_conflict"
