CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "grant_targets" (
	"grant_id" text NOT NULL,
	"resource_name" text NOT NULL,
	"provisioner" text NOT NULL,
	"status" text NOT NULL,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grant_targets_grant_id_resource_name_pk" PRIMARY KEY("grant_id","resource_name")
);
--> statement-breakpoint
CREATE TABLE "ssh_keys" (
	"user_id" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "provisioner" jsonb;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "requester_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "requester_email" text;--> statement-breakpoint
ALTER TABLE "grant_targets" ADD CONSTRAINT "grant_targets_grant_id_grants_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."grants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "grant_targets_status_idx" ON "grant_targets" USING btree ("status");