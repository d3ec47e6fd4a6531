CREATE TABLE "personal_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"created_via" text NOT NULL,
	"creation_key" text
);
--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "channel" text DEFAULT 'slack' NOT NULL;--> statement-breakpoint
ALTER TABLE "access_requests" ADD COLUMN "agent" text;--> statement-breakpoint
CREATE INDEX "personal_tokens_user_idx" ON "personal_tokens" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "personal_tokens_creation_uq" ON "personal_tokens" USING btree ("user_id","creation_key");--> statement-breakpoint
-- The request API's long poll (services/request-wait.ts) waits for this instead of re-reading the row:
-- every change of a request's status, and of its grant's targets (set up, failed, removed), wherever and
-- by whichever replica it was written, delivered when that transaction commits.
CREATE OR REPLACE FUNCTION notify_request_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('access_request_changed', NEW.id);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
CREATE TRIGGER access_requests_notify_changed AFTER UPDATE OF status ON access_requests FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notify_request_changed();--> statement-breakpoint
CREATE OR REPLACE FUNCTION notify_target_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('access_request_changed', coalesce((SELECT request_id FROM grants WHERE id = NEW.grant_id), ''));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
CREATE TRIGGER grant_targets_notify_changed AFTER UPDATE OF status ON grant_targets FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION notify_target_changed();
