CREATE TABLE "group_sync_state" (
	"source" text PRIMARY KEY NOT NULL,
	"lease_owner" text,
	"leased_until" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_ok_at" timestamp with time zone,
	"last_error" text,
	"last_summary" jsonb
);
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "sync_source" text;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "external_name" text;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "retired_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "resources_sync_origin_uq" ON "resources" USING btree ("sync_source","external_id") WHERE sync_source is not null;