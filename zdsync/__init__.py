"""zdsync: Zendesk data sync."""

__version__ = "0.1.0"
