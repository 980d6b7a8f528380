"""CRM-to-Zendesk user sync: plan (validate, diff), send (bulk jobs), reconcile, log."""
