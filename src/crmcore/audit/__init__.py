"""Audit and disputes: who owned a customer at a business time, as the system knew it at
a recording time, and whose it was when reps disagree - answered by replaying the stored
events, never by reading a view or today's rules."""
