-- A kept outcome is replayed byte for byte: text, not jsonb, so that no number in it (PostgreSQL
-- keeps jsonb numbers exactly, some past what a JSON reader holds) is reformatted or unreadable.
ALTER TABLE idempotency_keys ALTER COLUMN response TYPE text USING response::text;
