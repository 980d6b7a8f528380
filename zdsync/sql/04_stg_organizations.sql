CREATE OR REPLACE VIEW analytics.stg_organizations AS
SELECT
    id AS organization_id,
    name,
    external_id,
    CAST(domain_names AS VARCHAR[]) AS domain_names,
    CAST(tags AS VARCHAR[]) AS tags,
    deleted_at IS NOT NULL AS is_deleted,
    created_at,
    updated_at,
    deleted_at
FROM zendesk.organizations;
