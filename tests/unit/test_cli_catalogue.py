"""The ``crm`` catalogue: every line ``crm --help`` shows opens the command it names,
and listing the commands imports none of them (start-up stays cheap)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adapters.cli.main import CATALOGUE, load


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_entry_loads_the_command_its_summary_describes(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert _words(command.help).startswith(_words(CATALOGUE[name].summary))


def test_listing_the_commands_imports_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from adapters.cli.main import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('crmcore', 'sqlalchemy', 'pypinyin', 'opencc', 'kafka', 'pydantic',\n"
        "         'eventsourcing', 'adapters.cli.customer_commands')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert "claim" in done.stdout
    assert done.stderr.strip() == "[]"
