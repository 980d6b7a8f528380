-- Every extract and push run, oldest first: rows, requests, 429s, seconds and failed rows.
-- An extract's rows are the records it read; a push's, the input rows it read, of which failed
-- rows are those Zendesk refused or that never passed validation. An extract that fails ends
-- with its error and is not listed; one that finishes has no failed rows.
CREATE OR REPLACE VIEW analytics.sync_run_health AS
SELECT
    'extract' AS kind,
    run_id,
    started_at,
    records AS rows,
    requests,
    rate_limited,
    seconds,
    0 AS failed_rows
FROM extract_log.runs
UNION ALL
SELECT
    'push' AS kind,
    run_id,
    started_at,
    coalesce(rows, 0) AS rows,
    coalesce(requests, 0) AS requests,
    coalesce(rate_limited, 0) AS rate_limited,
    coalesce(seconds, 0) AS seconds,
    coalesce(failed, 0) + coalesce(invalid, 0) AS failed_rows
FROM reverse_etl.sync_runs
ORDER BY started_at;
