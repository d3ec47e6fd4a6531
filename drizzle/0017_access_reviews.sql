CREATE TABLE "access_review_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"review_id" text NOT NULL,
	"position" integer NOT NULL,
	"user_id" text NOT NULL,
	"roles" jsonb NOT NULL,
	"direct" boolean DEFAULT false NOT NULL,
	"groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"evidence" jsonb NOT NULL,
	"decision" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"outcomes" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_review_messages" (
	"review_id" text NOT NULL,
	"reviewer_id" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"page" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"flow_id" text NOT NULL,
	"flow_name" text NOT NULL,
	"period" integer NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"rule" jsonb NOT NULL,
	"reviewers" jsonb NOT NULL,
	"managed_by" text NOT NULL,
	"notes" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"reminded_at" timestamp with time zone,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "flows" ADD COLUMN "review" jsonb;--> statement-breakpoint
ALTER TABLE "access_review_items" ADD CONSTRAINT "access_review_items_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_review_messages" ADD CONSTRAINT "access_review_messages_review_id_access_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."access_reviews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "access_review_items_person_uq" ON "access_review_items" USING btree ("review_id","user_id");--> statement-breakpoint
CREATE INDEX "access_review_items_page_idx" ON "access_review_items" USING btree ("review_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "access_review_messages_uq" ON "access_review_messages" USING btree ("review_id","reviewer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "access_reviews_flow_period_uq" ON "access_reviews" USING btree ("flow_id","period");--> statement-breakpoint
CREATE INDEX "access_reviews_status_idx" ON "access_reviews" USING btree ("status","opened_at");