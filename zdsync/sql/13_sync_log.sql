-- Every object's reverse-ETL row log in one shape: which object, which CRM identity, what happened.
CREATE OR REPLACE VIEW analytics.sync_log AS
SELECT
    'users' AS object,
    run_id,
    row_number,
    coalesce(lower(external_id), lower(email), 'row ' || row_number) AS identity,
    action,
    zendesk_user_id AS zendesk_id,
    job_id,
    error,
    synced_at
FROM reverse_etl.user_sync_log
UNION ALL
SELECT
    'organizations',
    run_id,
    row_number,
    coalesce(lower(external_id), lower(name), 'row ' || row_number),
    action,
    zendesk_id,
    job_id,
    error,
    synced_at
FROM reverse_etl.organization_sync_log
UNION ALL
SELECT
    'identities',
    run_id,
    row_number,
    coalesce(lower(user_external_id), lower(user_email), 'row ' || row_number)
        || ' ' || coalesce(type, '') || ':' || coalesce(lower(value), ''),
    action,
    zendesk_id,
    job_id,
    error,
    synced_at
FROM reverse_etl.identity_sync_log
UNION ALL
SELECT
    'tickets',
    run_id,
    row_number,
    coalesce(ticket_id, lower(external_id), 'row ' || row_number),
    action,
    zendesk_id,
    job_id,
    error,
    synced_at
FROM reverse_etl.ticket_sync_log;
