-- Retention finds stored events by age (older than RETENTION_DAYS, in small batches);
-- approval_events is the largest table, written by every webhook.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "approval_events_received_idx" ON "approval_events" USING btree ("received_at");
