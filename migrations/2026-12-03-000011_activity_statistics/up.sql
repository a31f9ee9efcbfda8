-- A package counts its agent's entries per UTC day in the scan that groups them
-- (compliance_store::figures::trail). Without statistics on the day's expression PostgreSQL
-- guesses a group per row and sorts the trail; with them it hashes its few hundred days
-- (docs/performance.md: about 3x faster on a million entries).
CREATE STATISTICS events_by_utc_day ON ((occurred_at AT TIME ZONE 'UTC')::date) FROM events;
