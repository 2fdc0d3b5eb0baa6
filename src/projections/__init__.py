"""The read side: views built only from the event log, so they can always be rebuilt."""
