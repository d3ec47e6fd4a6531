ALTER TABLE "flows" ADD COLUMN "lifecycle" jsonb DEFAULT '{"remindAfterMinutes":null,"escalationUsers":[],"escalationGroups":[],"escalateAfterMinutes":null,"pendingTtlMinutes":1440,"autoApprove":[],"breakGlass":null}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "kind" text DEFAULT 'access' NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "extends_request_id" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "starts_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "last_nudged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "reminded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "auto_approved_by" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "reviewed_by" text;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "reviewed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "grants" ADD COLUMN "warned_at" timestamp with time zone;