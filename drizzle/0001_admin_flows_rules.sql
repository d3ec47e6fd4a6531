CREATE TABLE "home_state" (
	"user_id" text PRIMARY KEY NOT NULL,
	"tab" text DEFAULT 'mine' NOT NULL,
	"page" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"request_id" text NOT NULL,
	"approver_id" text NOT NULL,
	"policy" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "approvals_request_id_approver_id_pk" PRIMARY KEY("request_id","approver_id")
);
--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "requester_everyone" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "duration_choices" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "approvals_required" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "justification" jsonb DEFAULT '{"required":true,"minLength":0,"pattern":null,"hint":null}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "notify_channel" text;--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "defaults" jsonb DEFAULT '{"loginUsers":[],"databases":[],"namespaces":[]}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_request_id_access_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."access_requests"("id") ON DELETE cascade ON UPDATE no action;