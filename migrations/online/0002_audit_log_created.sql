-- Retention finds audit entries by age (older than AUDIT_RETENTION_DAYS); the existing
-- (team_id, created_at) index serves one team's history, not a cut across all teams.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "audit_log_created_idx" ON "audit_log" USING btree ("created_at");
