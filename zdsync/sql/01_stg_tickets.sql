-- Tickets, typed and flattened: one row per ticket, no dlt bookkeeping columns.
CREATE OR REPLACE VIEW analytics.stg_tickets AS
SELECT
    id AS ticket_id,
    subject,
    status,
    status = 'deleted' AS is_deleted,
    priority,
    type AS ticket_type,
    via ->> '$.channel' AS channel,
    requester_id,
    submitter_id,
    assignee_id,
    organization_id,
    group_id,
    brand_id,
    ticket_form_id,
    CAST(tags AS VARCHAR[]) AS tags,
    satisfaction_rating ->> '$.score' AS satisfaction_score,
    created_at,
    updated_at,
    to_timestamp(generated_timestamp) AS generated_at,
    due_at
FROM zendesk.tickets;
