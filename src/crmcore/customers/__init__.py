"""Customers as records: registering one (the identity check decides whether it is new,
a duplicate to refuse or warn about, or a record to merge into an existing customer)
and merging or splitting two. The aggregate is ``crmcore.domain.customer``.
"""
