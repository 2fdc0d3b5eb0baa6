"""The ``crm`` command-line tool (typer + rich)."""
