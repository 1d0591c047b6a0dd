ALTER TABLE "identities" ADD COLUMN "required_approvals" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "remind_after_minutes" integer;--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "escalation_user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "undo_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "channel_problem" text;--> statement-breakpoint
ALTER TABLE "identities" ADD COLUMN "channel_problem_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "identities_channel_idx" ON "identities" USING btree ("approval_channel_id");