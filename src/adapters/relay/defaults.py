"""The CloudEvents attributes every envelope carries unless the settings say otherwise.

Apart from :mod:`adapters.relay.envelope` so the settings load without the event
catalogue and the domain.
"""

DEFAULT_SOURCE = "urn:crmcore:events"
DEFAULT_SCHEMA_BASE = "urn:crmcore:schema:"
