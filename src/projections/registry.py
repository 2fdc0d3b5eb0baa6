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
