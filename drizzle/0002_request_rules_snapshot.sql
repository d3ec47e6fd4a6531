ALTER TABLE "access_requests" ADD COLUMN "approvals_required" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "notify_channel" text;