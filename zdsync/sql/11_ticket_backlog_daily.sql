-- Open tickets per UTC day by status and priority, as each ticket stood at the end of the day
-- (ticket_field_history_daily): a ticket is open on a day that ends with it new, open, pending
-- or on hold, so a reopened ticket counts again from the day it was reopened and one on hold
-- counts under hold. Deleted tickets are left out. Until field history is loaded,
-- fallbacks/11_ticket_backlog_daily.sql approximates the same table from the tickets alone.
CREATE OR REPLACE TABLE analytics.ticket_backlog_daily AS
SELECT day, status, coalesce(priority, 'none') AS priority, count(*) AS open_tickets
FROM analytics.ticket_field_history_daily
WHERE status NOT IN ('solved', 'closed', 'deleted')
-- By position: on PostgreSQL a name here means the input column, not the coalesced output.
GROUP BY 1, 2, 3
ORDER BY day, status, priority;
