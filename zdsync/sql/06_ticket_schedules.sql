-- Which business-hours schedule applied to each live ticket, and from when to when (valid_to is
-- NULL while it still applies). Zendesk records a ticket's schedule changes in its field history
-- (schedule_id); before the first one the ticket had the schedule that change replaced, or, when
-- it names none, the account's default: the first schedule by id.
CREATE OR REPLACE TABLE analytics.ticket_schedules AS
WITH tickets AS (
    SELECT ticket_id, created_at FROM analytics.stg_tickets WHERE NOT is_deleted
),
changes AS (
    SELECT
        h.ticket_id,
        CAST(nullif(h.value, '') AS BIGINT) AS schedule_id,
        CAST(nullif(h.previous_value, '') AS BIGINT) AS previous_schedule_id,
        greatest(h.updated_at, t.created_at) AS valid_from,
        row_number() OVER (PARTITION BY h.ticket_id ORDER BY h.updated_at, h.event_id) AS nth,
        h.event_id
    FROM zendesk.ticket_field_history AS h
    JOIN tickets AS t ON t.ticket_id = h.ticket_id
    WHERE h.field_name = 'schedule_id'
),
initial AS (
    SELECT
        t.ticket_id,
        coalesce(
            c.previous_schedule_id,
            (SELECT min(id) FROM zendesk.schedules WHERE NOT coalesce(is_deleted, FALSE))
        ) AS schedule_id,
        t.created_at AS valid_from,
        0 AS rank,
        0 AS event_id
    FROM tickets AS t
    LEFT JOIN changes AS c ON c.ticket_id = t.ticket_id AND c.nth = 1
),
periods AS (
    SELECT
        ticket_id,
        schedule_id,
        valid_from,
        lead(valid_from) OVER (
            PARTITION BY ticket_id ORDER BY valid_from, rank, event_id
        ) AS valid_to
    FROM (
        SELECT ticket_id, schedule_id, valid_from, rank, event_id FROM initial
        UNION ALL
        SELECT ticket_id, schedule_id, valid_from, 1, event_id FROM changes
    ) AS starts
)
SELECT ticket_id, schedule_id, valid_from, valid_to
FROM periods
-- A change at the very moment another starts leaves an empty period; no schedule, none at all.
WHERE schedule_id IS NOT NULL AND (valid_to IS NULL OR valid_to > valid_from)
ORDER BY ticket_id, valid_from;
