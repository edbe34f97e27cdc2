CREATE TABLE "restore_pending" (
	"id" integer PRIMARY KEY NOT NULL,
	"backup_taken_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "privacy_request_action" (
	"id" uuid PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL,
	"action" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"staff_id" uuid,
	"note" text,
	"due_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ticket" ADD COLUMN "privacy_wish" text;--> statement-breakpoint
ALTER TABLE "ticket" ADD COLUMN "privacy_request_id" uuid;--> statement-breakpoint
ALTER TABLE "privacy_request_action" ADD CONSTRAINT "privacy_request_action_request_id_privacy_request_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."privacy_request"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "privacy_request_action_request_idx" ON "privacy_request_action" USING btree ("request_id","at");--> statement-breakpoint
ALTER TABLE "ticket" ADD CONSTRAINT "ticket_privacy_request_id_privacy_request_id_fk" FOREIGN KEY ("privacy_request_id") REFERENCES "public"."privacy_request"("id") ON DELETE set null ON UPDATE no action;