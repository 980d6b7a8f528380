-- Every deleted user and where its GDPR deletion stands, per user.
-- complete: every application that started the deletion has finished it.
CREATE OR REPLACE VIEW analytics.gdpr_deletion_progress AS
WITH statuses AS (
    SELECT
        user_id,
        min(created_at) FILTER (WHERE action = 'request_deletion') AS requested_at,
        count(DISTINCT application) FILTER (
            WHERE action = 'started' AND application <> 'all'
        ) AS applications_started,
        count(DISTINCT application) FILTER (
            WHERE action = 'complete' AND application <> 'all'
        ) AS applications_completed,
        max(created_at) FILTER (WHERE action = 'complete') AS last_completed_at
    FROM zendesk.compliance_deletion_statuses
    GROUP BY user_id
)
SELECT
    d.id AS user_id,
    d.role,
    d.name = 'Permanently Deleted User' AND d.email IS NULL AS permanently_deleted,
    s.requested_at,
    coalesce(s.applications_started, 0) AS applications_started,
    coalesce(s.applications_completed, 0) AS applications_completed,
    CASE
        WHEN s.user_id IS NULL THEN 'not requested'
        WHEN s.applications_started > 0
            AND s.applications_completed >= s.applications_started THEN 'complete'
        ELSE 'in progress'
    END AS deletion_state,
    s.last_completed_at
FROM zendesk.deleted_users AS d
LEFT JOIN statuses AS s ON s.user_id = d.id;
