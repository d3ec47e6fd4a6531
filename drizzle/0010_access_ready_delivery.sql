ALTER TABLE "grant_targets" ADD COLUMN "ready_note" jsonb;--> statement-breakpoint
ALTER TABLE "grant_targets" ADD COLUMN "ready_sent_at" timestamp with time zone;--> statement-breakpoint
-- Targets made before this column existed had their DM sent then (or lost for good): owe nothing.
UPDATE "grant_targets" SET "ready_sent_at" = "updated_at" WHERE "status" <> 'pending';
