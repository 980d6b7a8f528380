-- CRM identities, of any object, that failed or were invalid in each of their last two or more
-- runs.
CREATE OR REPLACE VIEW analytics.user_sync_failing_rows AS
WITH attempts AS (
    SELECT
        l.object,
        l.identity,
        l.action,
        l.error,
        r.started_at,
        row_number() OVER (
            PARTITION BY l.object, l.identity ORDER BY r.started_at DESC
        ) AS recency
    FROM analytics.sync_log AS l
    JOIN reverse_etl.sync_runs AS r ON r.run_id = l.run_id
),
streaks AS (
    SELECT
        object,
        identity,
        min(recency) FILTER (WHERE action NOT IN ('failed', 'invalid')) AS first_success
    FROM attempts
    GROUP BY object, identity
)
SELECT
    a.object,
    a.identity,
    count(*) AS consecutive_failures,
    -- The latest attempt's error (recency 1), in SQL every warehouse speaks.
    max(a.error) FILTER (WHERE a.recency = 1) AS last_error,
    max(a.started_at) AS last_attempt_at
FROM attempts AS a
JOIN streaks AS s USING (object, identity)
WHERE a.recency < coalesce(s.first_success, 2147483647)
GROUP BY a.object, a.identity
HAVING count(*) >= 2
ORDER BY consecutive_failures DESC, a.object, a.identity;
