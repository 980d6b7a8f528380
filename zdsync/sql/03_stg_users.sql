-- Users, typed. Personal fields stay here; users_current is the PII-safe face.
CREATE OR REPLACE VIEW analytics.stg_users AS
SELECT
    id AS user_id,
    name,
    email,
    phone,
    role,
    active,
    suspended,
    verified,
    organization_id,
    external_id,
    locale,
    time_zone,
    CAST(tags AS VARCHAR[]) AS tags,
    user_fields,
    created_at,
    updated_at,
    last_login_at
FROM zendesk.users;
