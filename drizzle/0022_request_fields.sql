ALTER TABLE "flows" ADD COLUMN "fields" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "fields" jsonb DEFAULT '[]'::jsonb NOT NULL;