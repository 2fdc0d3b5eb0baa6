"""The ``crm`` command-line tool (typer + rich).

pydantic looks for plugins in the entry points of every installed distribution when
it builds its first model - ~35 ms of each ``crm`` start - and the CLI uses none, so
the tool turns that search off unless ``PYDANTIC_DISABLE_PLUGINS`` is already set (set
it to an empty string to have plugins loaded). The library itself leaves it alone.
"""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
