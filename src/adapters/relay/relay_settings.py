"""The ``[relay]`` settings: what the published events look like and how they are sent.

The broker and topic are top-level settings (``kafka_bootstrap_servers``,
``kafka_topic``) so that ``CRM_KAFKA_BOOTSTRAP_SERVERS`` and ``CRM_KAFKA_TOPIC`` set them.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.relay.defaults import DEFAULT_SCHEMA_BASE, DEFAULT_SOURCE
from adapters.relay.pii import DEFAULT_PII_RULES, PiiAction, PiiPolicy
from crmcore.config_section import Section

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
KAFKA_TOPIC = r"^[A-Za-z0-9._-]{1,249}$"


def broker_addresses(bootstrap_servers: str) -> list[str]:
    """``host:port[,host:port]`` as the list kafka-python takes.

    >>> broker_addresses("k1:9092, k2:9092")
    ['k1:9092', 'k2:9092']
    """
    return [address.strip() for address in bootstrap_servers.split(",")]


class RelaySettings(Section):
    """How stored events become Kafka messages."""

    source: str = Field(
        default=DEFAULT_SOURCE,
        min_length=1,
        description="CloudEvents source of every event; with the id it identifies an event.",
    )
    schema_base: str = Field(
        default=DEFAULT_SCHEMA_BASE,
        min_length=1,
        description=(
            "Prefix of each event's dataschema URI (then its type); point it at where you "
            "host docs/events/ if consumers should fetch the schemas."
        ),
    )
    batch_size: int = Field(
        default=5_000,
        ge=1,
        le=100_000,
        description="Events read, sent and acknowledged per position commit.",
    )
    poll_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often `crm relay run` looks for new events once it has caught up.",
    )
    delivery_timeout_s: float = Field(
        default=120.0,
        ge=1,
        le=3600,
        description=(
            "How long the producer retries a batch through a broker outage before the "
            "relay starts a new producer and sends again from its position."
        ),
    )
    linger_ms: int = Field(default=20, ge=0, le=1_000, description="Producer wait to fill a batch.")
    pii: dict[str, PiiAction] = Field(
        default_factory=lambda: dict(DEFAULT_PII_RULES),
        description=(
            "Action per field name: keep, mask, hash or redact; merged over the defaults "
            "(phones, emails, wechat, contact_name, device_id, session_id masked). A rule "
            "for phones, emails, wechat, uscc, external_id, device_id or session_id also "
            "covers identity keys of that kind."
        ),
    )
    pii_hash_key: SecretStr | None = Field(
        default=None,
        description="Secret HMAC key for the hash action (set it by CRM_RELAY__PII_HASH_KEY).",
    )

    @field_validator("pii")
    @classmethod
    def _over_defaults(cls, rules: dict[str, PiiAction]) -> dict[str, PiiAction]:
        bad = sorted(name for name in rules if not FIELD_NAME.match(name))
        if bad:
            raise ValueError(f"not a field name: {', '.join(bad)}")
        return {**DEFAULT_PII_RULES, **rules}

    @model_validator(mode="after")
    def _delivery_outlasts_linger(self) -> RelaySettings:
        if self.delivery_timeout_s * 1000 < 2 * self.linger_ms + 500:
            raise ValueError("delivery_timeout_s must exceed twice linger_ms by 0.5 s")
        return self

    @model_validator(mode="after")
    def _hash_needs_key(self) -> RelaySettings:
        if PiiAction.HASH in self.pii.values() and not self.pii_hash_key:
            raise ValueError("pii_hash_key is needed when a field's action is hash")
        return self

    def pii_policy(self) -> PiiPolicy:
        key = self.pii_hash_key.get_secret_value().encode() if self.pii_hash_key else None
        return PiiPolicy(self.pii, key)
