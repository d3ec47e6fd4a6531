ALTER TABLE "flows" ADD COLUMN "on_behalf" jsonb;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "requested_by" text;