-- Per live ticket, Zendesk's ticket metrics rebuilt from its field history and comments, named
-- as in Zendesk's own metric sets, in whole minutes of calendar time and of business hours (the
-- schedules the ticket had, ticket_schedules; NULL for a ticket without any).
-- First reply: creation to the first public comment by an agent after the ticket's first
-- comment. First and full resolution: creation to the first and the last solve; a reopen keeps
-- them until the next solve. The status times are running totals of every status span that has
-- ended with a later change, solved or not: requester wait = new, open and on hold; agent wait =
-- pending; on hold = hold; agent work = new and open. As in Zendesk, a figure stays NULL until
-- both its events have happened once: the status times until the status first changes. A reopen
-- is a solved ticket set to any status but closed.
CREATE OR REPLACE TABLE analytics.ticket_metrics AS
WITH tickets AS (
    SELECT ticket_id, created_at, requester_id, assignee_id
    FROM analytics.stg_tickets
    WHERE NOT is_deleted
),
history AS (
    SELECT h.*
    FROM zendesk.ticket_field_history AS h
    JOIN tickets AS t ON t.ticket_id = h.ticket_id
),
statuses AS (
    SELECT
        ticket_id,
        value AS status,
        updated_at AS started_at,
        lead(updated_at) OVER (PARTITION BY ticket_id ORDER BY updated_at, event_id) AS ended_at,
        lag(value) OVER (PARTITION BY ticket_id ORDER BY updated_at, event_id) AS before
    FROM history
    WHERE field_name = 'status'
),
solves AS (
    SELECT
        ticket_id,
        min(started_at) AS first_solved_at,
        max(started_at) AS solved_at
    FROM statuses
    WHERE status IN ('solved', 'closed') AND coalesce(before, '') NOT IN ('solved', 'closed')
    GROUP BY ticket_id
),
comments AS (
    SELECT
        c.ticket_id,
        c.created_at,
        c.public AND u.role IN ('agent', 'admin') AND row_number() OVER (
            PARTITION BY c.ticket_id ORDER BY c.created_at, c.id
        ) > 1 AS is_reply
    FROM zendesk.ticket_comments AS c
    JOIN tickets AS t ON t.ticket_id = c.ticket_id
    LEFT JOIN zendesk.users AS u ON u.id = c.author_id
),
replies AS (
    SELECT
        ticket_id,
        min(created_at) FILTER (WHERE is_reply) AS first_reply_at,
        count(*) FILTER (WHERE is_reply) AS replies,
        max(created_at) AS latest_comment_added_at
    FROM comments
    GROUP BY ticket_id
),
-- Which measures the time in each status counts towards.
status_measures AS (
    SELECT * FROM (VALUES
        ('new', 'requester_wait_time'), ('open', 'requester_wait_time'),
        ('hold', 'requester_wait_time'), ('pending', 'agent_wait_time'),
        ('hold', 'on_hold_time'), ('new', 'agent_work_time'), ('open', 'agent_work_time')
    ) AS m(status, measure)
),
-- Every measured range; a zero-length one per ticket whose status has changed and status
-- measure, so that such a ticket that never was in a status has 0 there rather than NULL.
ranges AS (
    SELECT t.ticket_id, 'reply_time' AS measure, t.created_at AS started_at, r.first_reply_at AS ended_at
    FROM tickets AS t JOIN replies AS r ON r.ticket_id = t.ticket_id
    WHERE r.first_reply_at IS NOT NULL
    UNION ALL
    SELECT t.ticket_id, 'first_resolution_time', t.created_at, s.first_solved_at
    FROM tickets AS t JOIN solves AS s ON s.ticket_id = t.ticket_id
    UNION ALL
    SELECT t.ticket_id, 'full_resolution_time', t.created_at, s.solved_at
    FROM tickets AS t JOIN solves AS s ON s.ticket_id = t.ticket_id
    UNION ALL
    SELECT st.ticket_id, m.measure, st.started_at, st.ended_at
    FROM statuses AS st
    JOIN status_measures AS m ON m.status = st.status
    WHERE st.ended_at IS NOT NULL
    UNION ALL
    SELECT st.ticket_id, m.measure, min(st.ended_at), min(st.ended_at)
    FROM statuses AS st CROSS JOIN (SELECT DISTINCT measure FROM status_measures) AS m
    WHERE st.ended_at IS NOT NULL
    GROUP BY 1, 2
),
business AS (
    SELECT
        r.ticket_id, r.measure, r.started_at, r.ended_at,
        sum(
            epoch(least(r.ended_at, coalesce(ts.valid_to, r.ended_at), b.end_at))
            - epoch(greatest(r.started_at, ts.valid_from, b.start_at))
        ) AS seconds
    FROM ranges AS r
    JOIN analytics.ticket_schedules AS ts
        ON ts.ticket_id = r.ticket_id
        AND ts.valid_from < r.ended_at
        AND (ts.valid_to IS NULL OR ts.valid_to > r.started_at)
    JOIN analytics.schedule_business_hours AS b
        ON b.schedule_id = ts.schedule_id
        AND b.start_at < least(r.ended_at, coalesce(ts.valid_to, r.ended_at))
        AND b.end_at > greatest(r.started_at, ts.valid_from)
    GROUP BY 1, 2, 3, 4
),
totals AS (
    SELECT
        r.ticket_id,
        r.measure,
        CAST(floor(sum(epoch(r.ended_at) - epoch(r.started_at)) / 60) AS INTEGER) AS calendar,
        CASE WHEN max(sc.ticket_id) IS NOT NULL
            THEN CAST(floor(coalesce(sum(b.seconds), 0) / 60) AS INTEGER)
        END AS business
    FROM ranges AS r
    LEFT JOIN business AS b
        ON b.ticket_id = r.ticket_id AND b.measure = r.measure
        AND b.started_at = r.started_at AND b.ended_at = r.ended_at
    LEFT JOIN (SELECT DISTINCT ticket_id FROM analytics.ticket_schedules) AS sc
        ON sc.ticket_id = r.ticket_id
    GROUP BY 1, 2
),
stations AS (
    SELECT
        ticket_id,
        count(DISTINCT nullif(value, '')) FILTER (WHERE field_name = 'assignee_id')
            AS assignee_stations,
        count(DISTINCT nullif(value, '')) FILTER (WHERE field_name = 'group_id') AS group_stations,
        min(updated_at) FILTER (WHERE field_name = 'assignee_id' AND nullif(value, '') IS NOT NULL)
            AS initially_assigned_at,
        max(updated_at) FILTER (WHERE field_name = 'assignee_id' AND nullif(value, '') IS NOT NULL)
            AS assigned_at,
        max(updated_at) FILTER (WHERE field_name = 'status') AS status_updated_at
    FROM history
    GROUP BY ticket_id
),
-- The last change or comment by the requester, and by the ticket's assignee now.
updates AS (
    SELECT
        t.ticket_id,
        max(u.updated_at) FILTER (WHERE u.user_id = t.requester_id) AS requester_updated_at,
        max(u.updated_at) FILTER (WHERE u.user_id = t.assignee_id) AS assignee_updated_at
    FROM tickets AS t
    JOIN (
        SELECT ticket_id, updater_id AS user_id, updated_at FROM history
        UNION ALL
        SELECT ticket_id, author_id, created_at FROM zendesk.ticket_comments
    ) AS u ON u.ticket_id = t.ticket_id
    GROUP BY t.ticket_id
),
reopens AS (
    SELECT ticket_id, count(*) AS reopens
    FROM statuses
    WHERE before = 'solved' AND status NOT IN ('solved', 'closed')
    GROUP BY ticket_id
)
SELECT
    t.ticket_id,
    t.created_at,
    coalesce(st.group_stations, 0) AS group_stations,
    coalesce(st.assignee_stations, 0) AS assignee_stations,
    coalesce(ro.reopens, 0) AS reopens,
    coalesce(r.replies, 0) AS replies,
    st.status_updated_at,
    up.requester_updated_at,
    up.assignee_updated_at,
    st.initially_assigned_at,
    st.assigned_at,
    s.solved_at,
    r.latest_comment_added_at,
    r.first_reply_at,
    s.first_solved_at,
    max(m.calendar) FILTER (WHERE m.measure = 'reply_time') AS reply_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'reply_time') AS reply_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'first_resolution_time')
        AS first_resolution_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'first_resolution_time')
        AS first_resolution_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'full_resolution_time')
        AS full_resolution_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'full_resolution_time')
        AS full_resolution_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'agent_wait_time')
        AS agent_wait_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'agent_wait_time')
        AS agent_wait_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'requester_wait_time')
        AS requester_wait_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'requester_wait_time')
        AS requester_wait_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'on_hold_time') AS on_hold_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'on_hold_time') AS on_hold_time_in_minutes_business,
    max(m.calendar) FILTER (WHERE m.measure = 'agent_work_time')
        AS agent_work_time_in_minutes_calendar,
    max(m.business) FILTER (WHERE m.measure = 'agent_work_time')
        AS agent_work_time_in_minutes_business
FROM tickets AS t
LEFT JOIN stations AS st ON st.ticket_id = t.ticket_id
LEFT JOIN updates AS up ON up.ticket_id = t.ticket_id
LEFT JOIN reopens AS ro ON ro.ticket_id = t.ticket_id
LEFT JOIN replies AS r ON r.ticket_id = t.ticket_id
LEFT JOIN solves AS s ON s.ticket_id = t.ticket_id
LEFT JOIN totals AS m ON m.ticket_id = t.ticket_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
ORDER BY t.ticket_id;
