-- Reverse ETL per run, whichever object it pushed: rows created, updated, unchanged, failed
-- or invalid. Runs from before pushes named their object pushed users.
CREATE OR REPLACE VIEW analytics.user_sync_health AS
SELECT
    r.run_id,
    coalesce(r.object, 'users') AS object,
    r.started_at,
    r.finished_at,
    r.mode,
    count(l.row_number) AS rows,
    count(*) FILTER (WHERE l.action = 'created') AS created,
    count(*) FILTER (WHERE l.action = 'updated') AS updated,
    count(*) FILTER (WHERE l.action = 'unchanged') AS unchanged,
    count(*) FILTER (WHERE l.action = 'failed') AS failed,
    count(*) FILTER (WHERE l.action = 'invalid') AS invalid,
    r.post_requests,
    r.too_many_jobs,
    r.rate_limited,
    r.seconds
FROM reverse_etl.sync_runs AS r
LEFT JOIN analytics.sync_log AS l
    ON l.run_id = r.run_id AND l.object = coalesce(r.object, 'users')
GROUP BY
    r.run_id, r.object, r.started_at, r.finished_at, r.mode,
    r.post_requests, r.too_many_jobs, r.rate_limited, r.seconds
ORDER BY r.started_at;
