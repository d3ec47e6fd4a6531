ALTER TABLE "access_requests" ADD COLUMN "auto_approved_on_call" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "on_call_approvers" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "on_call_notes" jsonb DEFAULT '[]'::jsonb NOT NULL;