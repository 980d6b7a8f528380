-- Ticket custom fields as a tidy table, named by their definitions in ticket_fields.
CREATE OR REPLACE VIEW analytics.stg_ticket_custom_fields AS
SELECT
    t.id AS ticket_id,
    CAST(field ->> '$.id' AS BIGINT) AS field_id,
    f.title AS field_title,
    f.type AS field_type,
    field ->> '$.value' AS value
FROM zendesk.tickets AS t,
    unnest(CAST(t.custom_fields AS JSON[])) AS fields(field)
LEFT JOIN zendesk.ticket_fields AS f ON f.id = CAST(field ->> '$.id' AS BIGINT);
