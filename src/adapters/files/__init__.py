"""File formats crmcore reads and writes: the customer CSV and the import results CSV."""
