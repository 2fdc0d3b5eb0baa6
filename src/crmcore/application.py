"""The command API: one method per command, every aggregate it touches saved at once.

Exact identity keys stay unique under concurrency because a command saves the
customer together with one :class:`~crmcore.domain.IdentityKeyIndex` per key in a
single atomic ``save()``: a second writer of the same key fails the store's
optimistic-concurrency check, and its command is decided again - now as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.persistence import Recording

from crmcore.audit.api import AuditQueries
from crmcore.clock import Clock
from crmcore.commands import (
    AddIdentityKey,
    CorrectContactDetails,
    LinkCustomer,
    MergeCustomers,
    RegisterCustomer,
    RemoveIdentityKey,
    SplitCustomer,
    UnlinkCustomer,
)
from crmcore.config import CrmConfig, DedupMode, EntryPath
from crmcore.customers import erasure, keys, merging
from crmcore.customers.erasure import EraseCustomer
from crmcore.customers.registration import register_batch
from crmcore.disclosure import Viewer, disclose_refusal
from crmcore.domain import CrmEvent
from crmcore.groups import trees
from crmcore.identity import IdentityKey
from crmcore.identity.candidates import CandidateSource
from crmcore.identity.check import IdentityChecker
from crmcore.identity.memory_index import MemoryIndex
from crmcore.ownership.owners import current_owner
from crmcore.ownership.policies.assignment import AssignmentPolicy
from crmcore.ownership.queries import FoldedSales, SalesQueries
from crmcore.personal_data import PersonalDataProtection
from crmcore.records import CustomerRecord, RegistrationResult

if TYPE_CHECKING:
    from crmcore.customers.dismissal import DismissDuplicatePair
    from crmcore.domain.duplicate_dismissal import DuplicateDismissal
    from crmcore.leads.commands import CaptureLead, ConvertLead
    from crmcore.leads.conversion import ConversionResult
    from crmcore.leads.erasure import EraseLead
    from crmcore.leads.records import CaptureResult, LeadRecord


class CrmApplication(AuditQueries):
    """crmcore's write side. Persistence comes from ``env`` (eventsourcing's settings).

    >>> from crmcore import CrmApplication, RegisterCustomer
    >>> app = CrmApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    >>> cid = app.register_customer(RegisterCustomer(
    ...     actor="rep-1", company_name="北京某某科技有限公司", phone="138 0013 8000"))
    >>> app.get_customer(cid).phones
    ('+8613800138000',)
    """

    name = "crmcore"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        config: CrmConfig | None = None,
        new_id: Callable[[], UUID] = uuid4,
        assignment: AssignmentPolicy | None = None,
        candidates: Callable[[CrmApplication], CandidateSource] | None = None,
        sales: Callable[[CrmApplication], SalesQueries] | None = None,
        protection: PersonalDataProtection | None = None,
        personal_views: Callable[[CrmApplication], Callable[[], object]] | None = None,
    ) -> None:
        """``candidates`` makes the identity check's candidate source for this
        application, ``sales`` what ownership commands ask of reps and ownerships; by
        default both fold the log into memory, which suits the in-memory store. The
        composition root (``adapters.bootstrap``) passes the persisted views for SQLite
        and PostgreSQL, and with ``personal_views`` the catch-up of every view holding
        personal data (what an erasure runs before it destroys the keys)."""
        super().__init__(env, clock=clock, config=config, new_id=new_id, protection=protection)
        self._personal_views = personal_views(self) if personal_views is not None else None
        self._init_sales(assignment)
        source = candidates(self) if candidates is not None else self._memory_index()
        self.identity = IdentityChecker(self.config.identity, source)
        self._sales: SalesQueries = sales(self) if sales is not None else FoldedSales(self)

    def settle_views(self) -> None:
        """Brings the views holding personal data to the head of the log (the identity
        view, and those ``personal_views`` names)."""
        self.identity.catch_up()
        if self._personal_views is not None:
            self._personal_views()

    def _memory_index(self) -> CandidateSource:
        identity = self.config.identity
        return MemoryIndex(
            identity.max_block_size,
            identity.group_brand_chars,
            self,
            typo_block_size=identity.typo_block_size,
        )

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """eventsourcing's hook after a save: hands what was just recorded to the
        views this process reads, so their next catch-up need not read it back."""
        self.identity.source.take(recordings)
        self._sales.take(recordings)

    def close(self) -> None:
        """Closes the candidate source and the sales queries, then the store."""
        self.identity.close()
        self._sales.close()
        super().close()

    # -- registration ------------------------------------------------------------------

    def register_customer(
        self, command: RegisterCustomer, *, entry_path: EntryPath = EntryPath.REGISTER
    ) -> UUID:
        """Registers one customer; raises DuplicateCustomer when the check blocks it.

        Returns the new customer's id, or - when the entry path's mode is merge - the id
        of the customer the record was attached to.
        """
        (result,) = self.register_customers([command], entry_path=entry_path)
        if result.refusal is not None:
            raise result.refusal
        return result.customer_id

    def register_customers(
        self,
        commands: Sequence[RegisterCustomer],
        *,
        entry_path: EntryPath = EntryPath.REGISTER,
        mode: DedupMode | None = None,
    ) -> list[RegistrationResult]:
        """Registers many customers in one atomic save, deciding each command on its own.

        Every command goes through the identity check (exact keys, then the fuzzy
        rules) against the store and against the commands before it in the batch. If
        another process wins a key meanwhile, the whole batch is decided again.
        """
        if not commands:
            return []
        chosen = mode or self.config.identity.mode_for(entry_path)
        return self.with_retries(lambda: register_batch(self, commands, entry_path, chosen))

    # -- leads -------------------------------------------------------------------------

    def capture_lead(self, command: CaptureLead) -> CaptureResult:
        """Captures a buyer's arrival: joins the customer or lead it turns out to be, or
        creates a lead; scores and routes it (``crmcore.leads.capture``)."""
        from crmcore.leads.capture import capture  # leads cost nothing until used

        mode = self.config.identity.mode_for(EntryPath.LEAD_CAPTURE)
        return self.with_retries(lambda: capture(self, command, mode))

    def convert_lead(self, command: ConvertLead) -> ConversionResult:
        """Turns a lead into a customer: the identity check again (entry path
        conversion), the lead's owner and protection handed over in the same save
        (``crmcore.leads.conversion``). DuplicateCustomer when the check blocks it."""
        from crmcore.leads.conversion import convert

        mode = self.config.identity.mode_for(EntryPath.CONVERSION)
        return self.with_retries(lambda: convert(self, command, mode))

    def erase_lead(self, command: EraseLead) -> list[UUID]:
        """Erases a lead's personal data (its data key and those of the leads merged into
        it are destroyed, its keys released); returns their ids. A lead that became a
        customer is erased with the customer (``erase_customer``)."""
        from crmcore.leads.erasure import erase_lead

        return self.with_retries(lambda: erase_lead(self, command, self.protection))

    def get_lead(self, lead_id: UUID) -> LeadRecord:
        """The lead as it stands now, every touch kept; LeadNotFound if there is none.
        A merged lead's id answers with the lead it was merged into."""
        from crmcore.leads.merging import live_lead
        from crmcore.leads.records import LeadRecord

        lead = live_lead(self, lead_id)
        return LeadRecord.of(lead, current_owner(self, lead.id))

    # -- changes to a registered customer ----------------------------------------------

    def correct_contact_details(self, command: CorrectContactDetails) -> bool:
        """Applies the corrections; returns False when they change nothing."""
        return self.with_retries(lambda: keys.correct_contact_details(self, command))

    def add_identity_key(self, command: AddIdentityKey) -> None:
        """Gives the customer one more key; DuplicateCustomer if another holds it."""
        self.with_retries(lambda: keys.add_identity_key(self, command))

    def remove_identity_key(self, command: RemoveIdentityKey) -> None:
        """Takes a key from the customer and releases it for anyone to claim."""
        self.with_retries(lambda: keys.remove_identity_key(self, command))

    def erase_customer(self, command: EraseCustomer) -> list[UUID]:
        """Erases the customer's personal data by destroying its data keys (and those of
        the customers merged into it and the leads that became them); returns their ids.
        Needs the store's protection (``pii.master_key``); running it again finishes an
        interrupted erasure."""
        return self.with_retries(lambda: erasure.erase(self, command, self.protection))

    # -- merging -------------------------------------------------------------------------

    def merge_customers(self, command: MergeCustomers) -> UUID:
        """Merges ``absorbed_id`` into ``survivor_id``; returns the survivor's id.

        Either id may name a tombstone: it stands for its survivor. The absorbed
        customer's keys move to the survivor, which also fills the details it lacked;
        the absorbed customer stays as a tombstone. MergeRefused if both ids lead to
        one customer.
        """
        return self.with_retries(lambda: merging.merge(self, command))

    def dismiss_duplicate_pair(self, command: DismissDuplicatePair) -> DuplicateDismissal:
        """Records that the two customers are not one: the duplicate report stops
        suggesting them. DismissalRefused if they are one customer or were dismissed."""
        from crmcore.customers.dismissal import dismiss

        return self.with_retries(lambda: dismiss(self, command))

    def split_customer(self, command: SplitCustomer) -> UUID:
        """Undoes the merge of ``tombstone_id``; returns its id, a live customer again."""
        return self.with_retries(lambda: merging.split(self, command))

    # -- group trees ---------------------------------------------------------------------

    def link_customer(self, command: LinkCustomer) -> UUID:
        """Hangs the child (and all below it) below the parent; returns the group's id.

        GroupRefused (``has_parent``, ``cycle``) if the tree would break.
        """
        return self.with_retries(lambda: trees.link(self, command))

    def unlink_customer(self, command: UnlinkCustomer) -> UUID | None:
        """Takes the customer and all below it out of its group; returns the group they
        now form, or None if the customer had nothing below it."""
        return self.with_retries(lambda: trees.unlink(self, command))

    def group_of(self, customer_id: UUID) -> trees.GroupView | None:
        """The group tree the customer is in, or None."""
        return trees.group_of(self, customer_id)

    def group_history(self, customer_id: UUID) -> list[CrmEvent]:
        """The history of every member of the customer's group, in one timeline."""
        return trees.group_history(self, customer_id)

    # -- queries -------------------------------------------------------------------------

    def get_customer(self, customer_id: UUID, *, follow_merges: bool = True) -> CustomerRecord:
        """The customer as it stands now; CustomerNotFound if there is none.

        An id of a merged customer answers with its survivor, unless ``follow_merges``
        is False (then the tombstone itself, whose ``merged_into`` names the survivor).
        """
        if follow_merges:
            return CustomerRecord.of(self.live_customer(customer_id))
        return CustomerRecord.of(self.stored_customer(customer_id))

    def register_customer_as(self, command: RegisterCustomer, viewer: Viewer) -> RegistrationResult:
        """``register_customer`` for a person: a refusal says only what ``viewer`` may see.

        The check still runs against every customer (permissions never blind it).
        Returns the result, warnings (possible duplicates, cross-group collisions)
        included, for the caller to show.
        """
        (result,) = self.register_customers([command])
        if result.refusal is not None:
            raise disclose_refusal(result.refusal, viewer, self.owner_of)
        return result

    def find_customer_by_key(self, key: IdentityKey) -> CustomerRecord | None:
        """The customer holding an exact key now, if any (keys come from normalise_key).

        None for a generic key: many customers list it, none is identified by it.
        """
        index = self.find_index(key)
        if index is None or index.holder is None or index.generic:
            return None
        return self.get_customer(index.holder)
