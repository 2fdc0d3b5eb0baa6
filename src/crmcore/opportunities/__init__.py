"""Opportunities (商机): a gated stage pipeline per opportunity, duplicate-project
detection, and the protection an open opportunity gives its customer's owner."""
