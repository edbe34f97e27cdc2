CREATE TABLE "privacy_export" (
	"id" uuid PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"unit_id" uuid NOT NULL,
	"token_hash" "bytea" NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"ready_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"downloaded_at" timestamp with time zone,
	CONSTRAINT "privacy_export_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "privacy_request" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"customer_id" uuid,
	"email_index" "bytea",
	"code_hash" "bytea",
	"code_expires_at" timestamp with time zone,
	"code_attempts" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"verified_at" timestamp with time zone,
	"target_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"note" text,
	"outcome" jsonb,
	"staff_id" uuid
);
--> statement-breakpoint
CREATE TABLE "unit_restriction" (
	"unit_id" uuid PRIMARY KEY NOT NULL,
	"unit_kind" text NOT NULL,
	"row_id" text NOT NULL,
	"held_until" timestamp with time zone NOT NULL,
	"why" text NOT NULL,
	"restricted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "privacy_export" ADD CONSTRAINT "privacy_export_request_id_privacy_request_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."privacy_request"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "privacy_export_request_idx" ON "privacy_export" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "privacy_export_expires_idx" ON "privacy_export" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "privacy_request_queue_idx" ON "privacy_request" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "privacy_request_customer_idx" ON "privacy_request" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "unit_restriction_until_idx" ON "unit_restriction" USING btree ("held_until");