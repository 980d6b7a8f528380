"""dlt pipelines that load Zendesk into a warehouse."""
