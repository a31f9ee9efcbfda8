ALTER TABLE idempotency_keys ALTER COLUMN response TYPE jsonb USING response::jsonb;
