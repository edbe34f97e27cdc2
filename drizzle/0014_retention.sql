CREATE TABLE "legal_hold" (
	"id" uuid PRIMARY KEY NOT NULL,
	"unit_id" uuid NOT NULL,
	"unit_kind" text NOT NULL,
	"row_id" text NOT NULL,
	"matter" text NOT NULL,
	"placed_by" uuid NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"released_by" uuid,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "retention_sweep" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "retention_sweep_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"counts" jsonb NOT NULL,
	"batches" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "customer_account" ADD COLUMN "inactivity_warned_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "legal_hold_unit_idx" ON "legal_hold" USING btree ("unit_id","released_at");--> statement-breakpoint
CREATE INDEX "retention_sweep_started_idx" ON "retention_sweep" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "outbox_created_idx" ON "outbox" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "customer_account_last_active_idx" ON "customer_account" USING btree ("last_active_at");--> statement-breakpoint
CREATE INDEX "order_last_activity_idx" ON "order" USING btree ("last_activity_at");--> statement-breakpoint
CREATE INDEX "ticket_closed_idx" ON "ticket" USING btree ("closed_at");