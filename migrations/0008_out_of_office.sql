CREATE TABLE "out_of_office" (
	"team_id" text NOT NULL,
	"user_id" text NOT NULL,
	"delegate_user_id" text NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "out_of_office_person_idx" ON "out_of_office" USING btree ("team_id","user_id");--> statement-breakpoint
CREATE INDEX "out_of_office_delegate_idx" ON "out_of_office" USING btree ("team_id","delegate_user_id");