-- Tickets created per UTC week (from Monday) and channel (deleted tickets left out).
CREATE OR REPLACE VIEW analytics.ticket_volume_by_channel AS
SELECT
    CAST(date_trunc('week', timezone('UTC', created_at)) AS DATE) AS week,
    coalesce(channel, 'unknown') AS channel,
    count(*) AS tickets
FROM analytics.stg_tickets
WHERE NOT is_deleted
-- By position: on PostgreSQL a name here means the input column, not the coalesced output.
GROUP BY 1, 2
ORDER BY week, channel;
