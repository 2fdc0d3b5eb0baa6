"""Customer groups (集团): trees of customers linked as parent and subsidiary or branch,
read as one, and the cross-group collision check of a new customer. The aggregates
are ``crmcore.domain.customer_group`` and ``crmcore.domain.group_membership``.
"""
