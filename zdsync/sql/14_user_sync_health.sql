-- Reverse ETL per run: how many rows were created, updated, unchanged, failed or invalid.
CREATE OR REPLACE VIEW analytics.user_sync_health AS
SELECT
    r.run_id,
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
LEFT JOIN reverse_etl.user_sync_log AS l ON l.run_id = r.run_id
GROUP BY
    r.run_id, r.started_at, r.finished_at, r.mode,
    r.post_requests, r.too_many_jobs, r.rate_limited, r.seconds
ORDER BY r.started_at;
