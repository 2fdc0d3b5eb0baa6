"""Pure ownership rules: given state and ``now``, what is allowed and what follows.

No I/O and no clock: the application loads the aggregates, asks a policy, and records
the answer as events. The same history and rules always give the same answer.
"""
