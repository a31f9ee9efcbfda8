DROP STATISTICS events_by_utc_day;
