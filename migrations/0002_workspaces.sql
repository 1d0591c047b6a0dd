CREATE TABLE "slack_installations" (
	"id" text PRIMARY KEY NOT NULL,
	"team_id" text,
	"enterprise_id" text,
	"is_enterprise_install" boolean DEFAULT false NOT NULL,
	"app_id" text,
	"bot_user_id" text NOT NULL,
	"bot_id" text,
	"bot_scopes" text DEFAULT '' NOT NULL,
	"bot_token_ciphertext" text NOT NULL,
	"installer_user_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspace_links" (
	"team_id" text PRIMARY KEY NOT NULL,
	"enterprise_id" text,
	"api_token_ciphertext" text NOT NULL,
	"platform_workspace_id" text,
	"create_permission" text DEFAULT 'admins' NOT NULL,
	"connected_by_user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "slack_installations_enterprise_idx" ON "slack_installations" USING btree ("enterprise_id");