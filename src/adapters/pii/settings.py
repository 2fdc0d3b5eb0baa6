"""``[pii]``: the master key that turns personal-data protection on, and its predecessors.

The key is configuration, never data: ``CRM_PII__MASTER_KEY`` (an orchestrator's
secret), or ``master_key_file`` (a file readable by the service alone), or
``master_key`` in ``crm.toml``. Without one, events are stored as they are and
``crm customer erase`` is refused. ``previous_master_keys`` lets servers read keys
still wrapped by the master being rotated out (docs/operations.md, "Rotating").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from crmcore.errors import ValidationFailed

if TYPE_CHECKING:  # cryptography is imported by the commands that open a store
    from adapters.pii.crypto import MasterKey
    from adapters.pii.vault import Vault


class PiiSettings(BaseModel):
    """Personal data at rest: off unless a master key is configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64 of 32 random bytes (openssl rand -base64 32) that wraps every "
            "customer's data key [env CRM_PII__MASTER_KEY]. Set it when the book is "
            "created; keep it out of the database and its backups."
        ),
    )
    master_key_file: Path | None = Field(
        default=None, description="A file holding the master key instead (base64, one line)."
    )
    previous_master_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Master keys being rotated out: read with, never written with.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> PiiSettings:
        if self.master_key is not None and self.master_key_file is not None:
            raise ValueError("give master_key or master_key_file, not both")
        return self

    def master(self) -> MasterKey | None:
        from adapters.pii.crypto import MasterKey

        if self.master_key is not None:
            return MasterKey.from_text(self.master_key.get_secret_value())
        if self.master_key_file is None:
            return None
        try:
            text = self.master_key_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed("pii.master_key_file", f"cannot be read: {exc}") from None
        return MasterKey.from_text(text, field="pii.master_key_file")

    def vault(self) -> Vault | None:
        """The protection these settings ask for (None: off; the ciphers are not even
        imported then)."""
        if self.master_key is None and self.master_key_file is None:
            if self.previous_master_keys:
                raise ValidationFailed(
                    "pii.master_key", "previous_master_keys are set but no master_key"
                )
            return None
        from adapters.pii.crypto import MasterKey
        from adapters.pii.vault import Vault

        master = self.master()
        assert master is not None
        previous = [
            MasterKey.from_text(key.get_secret_value(), field="pii.previous_master_keys")
            for key in self.previous_master_keys
        ]
        return Vault(master, previous)
