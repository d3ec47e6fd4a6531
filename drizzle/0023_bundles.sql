CREATE TABLE "bundle_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"bundle_name" text NOT NULL,
	"requester_id" text NOT NULL,
	"left_out" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"message_channel" text,
	"message_ts" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bundles" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"parts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duration_minutes" integer NOT NULL,
	"requester_users" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"requester_groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"managed_by" text DEFAULT 'app' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bundles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "bundle_request_id" text;--> statement-breakpoint
ALTER TABLE "request_resources" ADD COLUMN "requested" jsonb;--> statement-breakpoint
CREATE INDEX "bundle_requests_requester_idx" ON "bundle_requests" USING btree ("requester_id","created_at");--> statement-breakpoint
ALTER TABLE "access_requests" ADD CONSTRAINT "access_requests_bundle_request_id_bundle_requests_id_fk" FOREIGN KEY ("bundle_request_id") REFERENCES "public"."bundle_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Bundles are part of the catalogue: a change moves its version on like resources and flows (migration 0008).
CREATE TRIGGER bundles_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bundles FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
