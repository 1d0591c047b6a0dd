DROP INDEX "jobs_ready_idx";--> statement-breakpoint
CREATE INDEX "jobs_ready_idx" ON "jobs" USING btree ("status","run_at","id");