-- A row per live ticket per UTC day, from the day it was created through the last day the data
-- covers, with its status, priority, assignee and group as they stood at the end of that day.
-- Before a field's first recorded change it held the value that change replaced (history that
-- starts after the ticket did); a field with no recorded change keeps the ticket's current value.
CREATE OR REPLACE TABLE analytics.ticket_field_history_daily AS
WITH tickets AS (
    SELECT
        ticket_id, status, priority, assignee_id, group_id,
        CAST(timezone('UTC', created_at) AS DATE) AS created_on
    FROM analytics.stg_tickets
    WHERE NOT is_deleted
),
fields AS (
    SELECT * FROM (VALUES ('status'), ('priority'), ('assignee_id'), ('group_id')) AS f(field_name)
),
changes AS (
    SELECT
        h.ticket_id, h.field_name, nullif(h.value, '') AS value,
        nullif(h.previous_value, '') AS previous_value,
        CAST(timezone('UTC', h.updated_at) AS DATE) AS changed_on,
        row_number() OVER (
            PARTITION BY h.ticket_id, h.field_name ORDER BY h.updated_at, h.event_id
        ) AS nth,
        row_number() OVER (
            PARTITION BY h.ticket_id, h.field_name, CAST(timezone('UTC', h.updated_at) AS DATE)
            ORDER BY h.updated_at DESC, h.event_id DESC
        ) AS last_of_day
    FROM zendesk.ticket_field_history AS h
    JOIN tickets AS t ON t.ticket_id = h.ticket_id
    JOIN fields AS f ON f.field_name = h.field_name
),
initial AS (
    SELECT
        t.ticket_id, f.field_name, t.created_on AS valid_on, 0 AS rank,
        CASE
            WHEN c.ticket_id IS NOT NULL THEN c.previous_value
            WHEN f.field_name = 'status' THEN t.status
            WHEN f.field_name = 'priority' THEN t.priority
            WHEN f.field_name = 'assignee_id' THEN CAST(t.assignee_id AS VARCHAR)
            ELSE CAST(t.group_id AS VARCHAR)
        END AS value
    FROM tickets AS t
    CROSS JOIN fields AS f
    LEFT JOIN changes AS c
        ON c.ticket_id = t.ticket_id AND c.field_name = f.field_name AND c.nth = 1
),
-- Each day a field changed, its value at the end of the day; it wins over the initial value.
values_from AS (
    SELECT ticket_id, field_name, valid_on, value
    FROM (
        SELECT
            *,
            row_number() OVER (
                PARTITION BY ticket_id, field_name, valid_on ORDER BY rank DESC
            ) AS pick
        FROM (
            SELECT ticket_id, field_name, valid_on, rank, value FROM initial
            UNION ALL
            SELECT ticket_id, field_name, changed_on, 1, value
            FROM changes
            WHERE last_of_day = 1
        ) AS candidates
    ) AS picked
    WHERE pick = 1
),
spans AS (
    SELECT
        *,
        lead(valid_on) OVER (PARTITION BY ticket_id, field_name ORDER BY valid_on) AS next_on
    FROM values_from
),
bounds AS (
    SELECT
        (SELECT min(created_on) FROM tickets) AS first_day,
        CAST(timezone('UTC', greatest(
            (SELECT max(updated_at) FROM analytics.stg_tickets),
            (SELECT max(updated_at) FROM zendesk.ticket_field_history)
        )) AS DATE) AS last_day
),
days AS (
    SELECT CAST(day AS DATE) AS day
    FROM range(
        (SELECT first_day FROM bounds), (SELECT last_day FROM bounds) + 1, INTERVAL 1 DAY
    ) AS r(day)
)
SELECT
    d.day,
    s.ticket_id,
    max(s.value) FILTER (WHERE s.field_name = 'status') AS status,
    max(s.value) FILTER (WHERE s.field_name = 'priority') AS priority,
    CAST(max(s.value) FILTER (WHERE s.field_name = 'assignee_id') AS BIGINT) AS assignee_id,
    CAST(max(s.value) FILTER (WHERE s.field_name = 'group_id') AS BIGINT) AS group_id
FROM spans AS s
JOIN days AS d ON d.day >= s.valid_on AND (s.next_on IS NULL OR d.day < s.next_on)
GROUP BY 1, 2
ORDER BY 2, 1;
