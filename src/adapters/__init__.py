"""The outside world: persistence settings, the composition root, the ``crm`` CLI."""
