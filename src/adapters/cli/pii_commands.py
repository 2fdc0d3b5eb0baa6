"""``crm pii status|rotate``: personal data at rest (docs/operations.md, "Personal data").

Rotation rewraps every customer's data key with the current master key; events are
not touched, so it takes seconds for a million customers and can run while the book
is in use. The order: every server gets the new ``pii.master_key`` with the old one in
``pii.previous_master_keys``; ``crm pii rotate`` runs once; the old key is then
removed from configuration and destroyed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from adapters.bootstrap import log_reader
from adapters.cli.options import ConfigOption, DbOption, JsonOption, settings_from
from adapters.cli.output import console, print_json, reporting_errors
from crmcore.errors import ValidationFailed

if TYPE_CHECKING:
    from adapters.pii.vault import Vault
    from crmcore.personal_data import PersonalDataProtection

pii_app = typer.Typer(
    help="Personal data at rest: whether it is encrypted, under which master key; rotation.",
    no_args_is_help=True,
)

_OFF = "pii.master_key"


def _vault(protection: PersonalDataProtection | None) -> Vault | None:
    from adapters.pii.vault import Vault

    assert protection is None or isinstance(protection, Vault)
    return protection


@pii_app.command("status")
def status(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Whether personal data is encrypted, the master key's id (never the key), how many
    data keys each master wraps, how many were destroyed by erasures (a customer's key
    and its follow-up notes' key are two)."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, None)
        with log_reader(settings) as log:
            vault = _vault(log.protection)
            found: dict[str, Any] = vault.status() if vault is not None else {"encrypted": False}
        if json_output:
            print_json(found)
        elif not found["encrypted"]:
            console.print("personal data is [bold]not encrypted[/] (no pii.master_key)")
        else:
            console.print(f"master key {found['master_key_id']}")
            for master, count in found["data_keys_by_master"].items():
                console.print(f"  {count} data key(s) wrapped by {master}")
            console.print(f"  {found['erased_subjects']} data key(s) destroyed by erasures")


@pii_app.command("rotate")
def rotate(
    db: DbOption = None, config: ConfigOption = None, json_output: JsonOption = False
) -> None:
    """Rewrap every data key still under a previous master key with the current one."""
    with reporting_errors(json_output):
        settings = settings_from(db, config, None)
        with log_reader(settings) as log:
            vault = _vault(log.protection)
            if vault is None:
                raise ValidationFailed(_OFF, "personal data is not encrypted: nothing to rotate")
            rewrapped, current = vault.rotate()
        if json_output:
            print_json({"rewrapped": rewrapped, "already_current": current})
        else:
            console.print(f"[green]rotated[/] {rewrapped} data key(s); {current} already current")
