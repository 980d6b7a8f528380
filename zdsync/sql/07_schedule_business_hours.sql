-- Each schedule's business hours as UTC ranges: one per local day and interval, over the days
-- the tickets span and a week either side, holidays left out. Zendesk gives intervals in
-- minutes from Sunday 00:00 local time; each is cut at local midnights, and each local start
-- and end becomes UTC in the schedule's IANA time zone, so the ranges follow daylight saving.
CREATE OR REPLACE TABLE analytics.schedule_business_hours AS
WITH intervals AS (
    SELECT
        s.id AS schedule_id,
        s.iana_time_zone AS time_zone,
        CAST(i ->> '$.start_time' AS INTEGER) AS start_minute,
        CAST(i ->> '$.end_time' AS INTEGER) AS end_minute
    FROM zendesk.schedules AS s,
        unnest(CAST(s.intervals AS JSON[])) AS intervals(i)
    WHERE NOT coalesce(s.is_deleted, FALSE)
),
-- Weekday 0 is Sunday, as in Zendesk's minutes and in extract(dow).
pieces AS (
    SELECT
        v.schedule_id,
        v.time_zone,
        w.weekday,
        greatest(v.start_minute, w.weekday * 1440) - w.weekday * 1440 AS start_minute,
        least(v.end_minute, (w.weekday + 1) * 1440) - w.weekday * 1440 AS end_minute
    FROM intervals AS v
    JOIN range(0, 7) AS w(weekday)
        ON v.start_minute < (w.weekday + 1) * 1440 AND v.end_minute > w.weekday * 1440
),
days AS (
    SELECT CAST(day AS DATE) AS day
    FROM range(
        (SELECT CAST(min(created_at) AS DATE) - 7 FROM analytics.stg_tickets),
        (SELECT CAST(max(updated_at) AS DATE) + 8 FROM analytics.stg_tickets),
        INTERVAL 1 DAY
    ) AS r(day)
)
SELECT
    p.schedule_id,
    d.day AS local_day,
    (CAST(d.day AS TIMESTAMP) + p.start_minute * INTERVAL '1 minute') AT TIME ZONE p.time_zone
        AS start_at,
    (CAST(d.day AS TIMESTAMP) + p.end_minute * INTERVAL '1 minute') AT TIME ZONE p.time_zone
        AS end_at
FROM pieces AS p
JOIN days AS d ON extract(dow FROM d.day) = p.weekday
WHERE NOT EXISTS (
    SELECT 1
    FROM zendesk.schedule_holidays AS h
    WHERE h.schedule_id = p.schedule_id
        AND NOT coalesce(h.is_deleted, FALSE)
        AND d.day BETWEEN h.start_date AND h.end_date
)
ORDER BY p.schedule_id, start_at;
