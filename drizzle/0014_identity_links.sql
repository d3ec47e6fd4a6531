CREATE TABLE "identity_links" (
	"slack_user_id" text PRIMARY KEY NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"email" text,
	"email_verified" boolean DEFAULT false NOT NULL,
	"linked_at" timestamp with time zone NOT NULL,
	"auth_time" timestamp with time zone,
	"amr" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"acr" text,
	"signed_in_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "oidc_logins" (
	"state" text PRIMARY KEY NOT NULL,
	"nonce" text NOT NULL,
	"code_verifier" text NOT NULL,
	"slack_user_id" text NOT NULL,
	"purpose" text NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "identity" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "identity_links_subject_idx" ON "identity_links" USING btree ("issuer","subject");--> statement-breakpoint
CREATE INDEX "oidc_logins_created_idx" ON "oidc_logins" USING btree ("created_at");