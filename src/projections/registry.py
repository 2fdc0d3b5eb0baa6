"""Every view the runner keeps, by name: what ``crm projections`` lists and rebuilds."""

from __future__ import annotations

from projections import (
    attribution,
    collisions,
    customer_directory,
    duplicate_candidates,
    funnel,
    identity_index,
    leads,
    ownership,
    ownership_timeline,
    sales_org,
)
from projections.projection import Projection

ALL_VIEWS: tuple[Projection, ...] = (
    customer_directory.DIRECTORY_VIEW,
    ownership.OWNERSHIP_VIEW,
    sales_org.SALES_ORG_VIEW,
    ownership_timeline.TIMELINE_VIEW,
    collisions.COLLISIONS_VIEW,
    identity_index.IDENTITY_VIEW,
    duplicate_candidates.DUPLICATES_VIEW,
    leads.LEADS_VIEW,
    funnel.FUNNEL_VIEW,
    attribution.ATTRIBUTION_VIEW,
)

PERSONAL_VIEWS: tuple[Projection, ...] = (
    identity_index.IDENTITY_VIEW,
    customer_directory.DIRECTORY_VIEW,
    leads.LEADS_VIEW,
    duplicate_candidates.DUPLICATES_VIEW,
)
"""The views that file a subject's personal values as its events change: an erasure
brings them to the head of the log before it destroys the keys, so each drops the
subject's values while it can still tell which they were (``crmcore.customers.erasure``).
"""
