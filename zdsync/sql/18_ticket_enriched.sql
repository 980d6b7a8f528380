-- Each live ticket with the names of its requester, assignee, organization, group, brand and
-- form, its tags, and its custom fields as one JSON object keyed by field title.
CREATE OR REPLACE TABLE analytics.ticket_enriched AS
WITH custom AS (
    SELECT ticket_id, json_group_object(field_title, value) AS custom_fields
    FROM analytics.stg_ticket_custom_fields
    WHERE field_title IS NOT NULL
    GROUP BY ticket_id
)
SELECT
    t.ticket_id,
    t.subject,
    t.status,
    t.priority,
    t.ticket_type,
    t.channel,
    t.requester_id,
    r.name AS requester_name,
    t.assignee_id,
    a.name AS assignee_name,
    t.organization_id,
    o.name AS organization_name,
    t.group_id,
    g.name AS group_name,
    t.brand_id,
    b.name AS brand_name,
    t.ticket_form_id,
    f.name AS ticket_form_name,
    t.tags,
    c.custom_fields,
    t.created_at,
    t.updated_at
FROM analytics.stg_tickets AS t
LEFT JOIN zendesk.users AS r ON r.id = t.requester_id
LEFT JOIN zendesk.users AS a ON a.id = t.assignee_id
LEFT JOIN zendesk.organizations AS o ON o.id = t.organization_id
LEFT JOIN zendesk.groups AS g ON g.id = t.group_id
LEFT JOIN zendesk.brands AS b ON b.id = t.brand_id
LEFT JOIN zendesk.ticket_forms AS f ON f.id = t.ticket_form_id
LEFT JOIN custom AS c ON c.ticket_id = t.ticket_id
WHERE NOT t.is_deleted
ORDER BY t.ticket_id;
