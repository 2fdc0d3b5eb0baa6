"""Persistence adapters: recorders that extend eventsourcing's for crmcore's reads."""
