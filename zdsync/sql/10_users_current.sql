-- Active users without personal data: safe to share with anyone who can read analytics.
CREATE OR REPLACE VIEW analytics.users_current AS
SELECT
    user_id,
    role,
    organization_id,
    locale,
    time_zone,
    verified,
    tags,
    user_fields ->> '$.plan' AS plan,
    created_at,
    updated_at,
    last_login_at
FROM analytics.stg_users
WHERE active AND NOT coalesce(suspended, FALSE);
