CREATE TABLE "catalog_version" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "access_requests_unreviewed_glass_idx" ON "access_requests" USING btree ("created_at","id") WHERE kind = 'break_glass' and reviewed_at is null;--> statement-breakpoint
ALTER TABLE "catalog_version" ADD CONSTRAINT "catalog_version_single_row" CHECK ("id" = 1);--> statement-breakpoint
INSERT INTO "catalog_version" ("id", "version") VALUES (1, 0);--> statement-breakpoint
-- Every change to resources or flows moves the version on, in the same transaction as the change:
-- a replica that reads the new version also sees the change (see src/db/catalog-cache.ts).
CREATE OR REPLACE FUNCTION bump_catalog_version() RETURNS trigger AS $$
BEGIN
  UPDATE catalog_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
CREATE TRIGGER resources_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON resources FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();--> statement-breakpoint
CREATE TRIGGER flows_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON flows FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
