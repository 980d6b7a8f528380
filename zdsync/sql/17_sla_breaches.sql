-- Per live ticket, SLA metric and instance (a ticket's next reply is a new instance of
-- reply_time): the policy and target Zendesk applied last, when, when the target was breached
-- and when the metric was fulfilled. A breach event Zendesk deleted (the metric was fulfilled in
-- time) or one still ahead is no breach. Elapsed minutes add up the times the metric ran, from
-- each activation to its pause or fulfilment, in calendar time and, for a target in business
-- hours, in the ticket's business hours.
CREATE OR REPLACE TABLE analytics.sla_breaches AS
WITH events AS (
    SELECT e.*
    FROM zendesk.ticket_metric_events AS e
    JOIN analytics.stg_tickets AS t ON t.ticket_id = e.ticket_id AND NOT t.is_deleted
),
applied AS (
    SELECT
        ticket_id, metric, instance_id, time AS applied_at,
        CAST(sla ->> '$.target' AS INTEGER) AS target_minutes,
        coalesce(CAST(sla ->> '$.business_hours' AS BOOLEAN), FALSE) AS business_hours,
        CAST(sla -> '$.policy' ->> '$.id' AS BIGINT) AS policy_id,
        sla -> '$.policy' ->> '$.title' AS policy_title,
        row_number() OVER (
            PARTITION BY ticket_id, metric, instance_id ORDER BY time DESC, id DESC
        ) AS latest
    FROM events
    WHERE type = 'apply_sla'
),
outcomes AS (
    SELECT
        ticket_id, metric, instance_id,
        min(time) FILTER (
            WHERE type = 'breach' AND NOT coalesce(deleted, FALSE) AND time <= current_timestamp
        ) AS breached_at,
        min(time) FILTER (WHERE type = 'fulfill') AS fulfilled_at
    FROM events
    GROUP BY 1, 2, 3
),
runs AS (
    SELECT ticket_id, metric, instance_id, time AS started_at, ended_at
    FROM (
        SELECT
            *,
            lead(time) OVER w AS ended_at,
            lead(type) OVER w AS ended_by
        FROM events
        WHERE type IN ('activate', 'pause', 'fulfill')
        WINDOW w AS (PARTITION BY ticket_id, metric, instance_id ORDER BY time, id)
    ) AS changes
    WHERE type = 'activate' AND ended_by IN ('pause', 'fulfill')
),
business AS (
    SELECT
        r.ticket_id, r.metric, r.instance_id,
        sum(
            epoch(least(r.ended_at, coalesce(ts.valid_to, r.ended_at), b.end_at))
            - epoch(greatest(r.started_at, ts.valid_from, b.start_at))
        ) AS seconds
    FROM runs AS r
    JOIN analytics.ticket_schedules AS ts
        ON ts.ticket_id = r.ticket_id
        AND ts.valid_from < r.ended_at
        AND (ts.valid_to IS NULL OR ts.valid_to > r.started_at)
    JOIN analytics.schedule_business_hours AS b
        ON b.schedule_id = ts.schedule_id
        AND b.start_at < least(r.ended_at, coalesce(ts.valid_to, r.ended_at))
        AND b.end_at > greatest(r.started_at, ts.valid_from)
    GROUP BY 1, 2, 3
),
elapsed AS (
    SELECT ticket_id, metric, instance_id, sum(epoch(ended_at) - epoch(started_at)) AS seconds
    FROM runs
    GROUP BY 1, 2, 3
)
SELECT
    a.ticket_id,
    a.metric,
    a.instance_id,
    a.policy_id,
    a.policy_title,
    a.target_minutes,
    a.business_hours,
    a.applied_at,
    o.breached_at,
    o.breached_at IS NOT NULL AND (o.fulfilled_at IS NULL OR o.breached_at <= o.fulfilled_at)
        AS breached,
    o.fulfilled_at,
    CASE WHEN o.fulfilled_at IS NOT NULL
        THEN CAST(floor(e.seconds / 60) AS INTEGER)
    END AS elapsed_minutes_calendar,
    CASE WHEN o.fulfilled_at IS NOT NULL AND a.business_hours
        THEN CAST(floor(coalesce(b.seconds, 0) / 60) AS INTEGER)
    END AS elapsed_minutes_business
FROM applied AS a
JOIN outcomes AS o USING (ticket_id, metric, instance_id)
LEFT JOIN elapsed AS e USING (ticket_id, metric, instance_id)
LEFT JOIN business AS b USING (ticket_id, metric, instance_id)
WHERE a.latest = 1
ORDER BY a.ticket_id, a.metric, a.instance_id;
