-- Open tickets per day by status and priority.
-- Without ticket audits, a ticket counts as open from the day it was created until the day of its
-- last update if it is now solved or closed (the solve is its last change), or until today
-- otherwise; it is counted under its current status and priority. Deleted tickets are left out.
CREATE OR REPLACE TABLE analytics.ticket_backlog_daily AS
WITH spans AS (
    SELECT
        ticket_id,
        status,
        coalesce(priority, 'none') AS priority,
        CAST(created_at AS DATE) AS opened_on,
        CASE
            WHEN status IN ('solved', 'closed') THEN CAST(updated_at AS DATE) - 1
            ELSE (SELECT CAST(max(updated_at) AS DATE) FROM analytics.stg_tickets)
        END AS last_open_on
    FROM analytics.stg_tickets
    WHERE NOT is_deleted
),
days AS (
    SELECT CAST(day AS DATE) AS day
    FROM range(
        (SELECT min(opened_on) FROM spans),
        (SELECT max(last_open_on) FROM spans) + 1,
        INTERVAL 1 DAY
    ) AS r(day)
)
SELECT d.day, s.status, s.priority, count(*) AS open_tickets
FROM days AS d
JOIN spans AS s ON d.day BETWEEN s.opened_on AND s.last_open_on
GROUP BY ALL
ORDER BY d.day, s.status, s.priority;
