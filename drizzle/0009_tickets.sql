CREATE SEQUENCE "public"."ticket_reference_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 100001 CACHE 1;--> statement-breakpoint
CREATE TABLE "ticket_message" (
	"id" uuid PRIMARY KEY NOT NULL,
	"ticket_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"staff_id" uuid,
	"body" "bytea" NOT NULL,
	"removed" text[] NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_pass" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"ticket_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ticket" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"unit_id" uuid NOT NULL,
	"customer_id" uuid,
	"topic" text NOT NULL,
	"desk" text NOT NULL,
	"status" text NOT NULL,
	"order_number" text,
	"email_index" "bytea" NOT NULL,
	"email" "bytea" NOT NULL,
	"name" "bytea" NOT NULL,
	"assigned_to" uuid,
	"opened_at" timestamp with time zone NOT NULL,
	"last_activity_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "ticket_reference_unique" UNIQUE("reference")
);
--> statement-breakpoint
ALTER TABLE "ticket_message" ADD CONSTRAINT "ticket_message_ticket_id_ticket_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."ticket"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_pass" ADD CONSTRAINT "ticket_pass_ticket_id_ticket_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."ticket"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket" ADD CONSTRAINT "ticket_customer_id_customer_account_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer_account"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ticket_message_ticket_idx" ON "ticket_message" USING btree ("ticket_id","at");--> statement-breakpoint
CREATE INDEX "ticket_pass_ticket_idx" ON "ticket_pass" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "ticket_pass_expires_idx" ON "ticket_pass" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "ticket_queue_idx" ON "ticket" USING btree ("desk","status","last_activity_at");--> statement-breakpoint
CREATE INDEX "ticket_customer_idx" ON "ticket" USING btree ("customer_id","last_activity_at");--> statement-breakpoint
CREATE INDEX "ticket_email_index_idx" ON "ticket" USING btree ("email_index");