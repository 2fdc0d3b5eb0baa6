"""Leads (线索): capture from every channel, dedup against leads and customers, score,
route. ``capture`` is the one flow; ``scoring`` and ``config`` its rules."""
