"""Who works each customer: reps, assignment, claims from the public pool (公海),
protection and response deadlines, follow-ups, transfers, the sweeper and a rep's
handover.

``commands`` (what a caller sends), ``config`` (the rules), ``policies`` (pure
decisions: who to assign, whether a claim may go ahead, when protection ends),
``owners`` (assign, claim, release, transfer), ``work`` (follow-ups, opportunities,
collaborators), ``reps`` (the sales organisation and handovers), ``sweeper``,
``queries`` (what commands ask of reps and ownerships: the interface, and the fold
that answers it in memory, ``folded_view``), ``ports`` (what the handlers may use of
the application) and ``api`` (the application's ownership methods). The aggregates
are ``crmcore.domain.ownership`` and ``crmcore.domain.rep``.
"""
