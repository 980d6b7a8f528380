-- Analytics models live in their own schema, beside the raw `zendesk` tables dlt loads.
CREATE SCHEMA IF NOT EXISTS analytics;
