-- Open tickets per UTC day by status and priority, approximated while field history is not
-- loaded (11_ticket_backlog_daily.sql counts them exactly from it). A ticket counts as open on
-- each day from the one it was created on. A ticket now solved or closed stops counting on the
-- day of its last update (the solve is taken to be its last change): it is not open on the day
-- it was solved. Any other ticket counts through the last day the data covers, the day of the
-- newest ticket update. Each is counted under its current status and priority; deleted tickets
-- are left out. Days are UTC days, whatever the time zone of the machine that runs the model.
CREATE OR REPLACE TABLE analytics.ticket_backlog_daily AS
WITH spans AS (
    SELECT
        ticket_id,
        status,
        coalesce(priority, 'none') AS priority,
        CAST(timezone('UTC', created_at) AS DATE) AS opened_on,
        CASE
            WHEN status IN ('solved', 'closed') THEN CAST(timezone('UTC', updated_at) AS DATE) - 1
            ELSE (SELECT CAST(timezone('UTC', max(updated_at)) AS DATE) FROM analytics.stg_tickets)
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
GROUP BY d.day, s.status, s.priority
ORDER BY d.day, s.status, s.priority;
