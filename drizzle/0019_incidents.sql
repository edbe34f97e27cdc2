CREATE TABLE "incident_notice" (
	"incident_id" uuid NOT NULL,
	"unit_id" uuid NOT NULL,
	"notified_at" timestamp with time zone NOT NULL,
	"staff_id" text,
	"outbox_id" uuid,
	CONSTRAINT "incident_notice_incident_id_unit_id_pk" PRIMARY KEY("incident_id","unit_id")
);
--> statement-breakpoint
CREATE TABLE "incident_step" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "incident_step_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"incident_id" uuid NOT NULL,
	"step" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"staff_id" text,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "incident" (
	"id" uuid PRIMARY KEY NOT NULL,
	"summary" text NOT NULL,
	"consequences" text NOT NULL,
	"columns" text[] NOT NULL,
	"processors" text[] NOT NULL,
	"staff_ids" text[] NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"discovered_at" timestamp with time zone NOT NULL,
	"zone" text NOT NULL,
	"notify_by" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"opened_by" text NOT NULL,
	"affected_units" uuid[],
	"affected_counts" jsonb,
	"affected_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "incident_notice" ADD CONSTRAINT "incident_notice_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_step" ADD CONSTRAINT "incident_step_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_step_incident_idx" ON "incident_step" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "incident_state_idx" ON "incident" USING btree ("state","notify_by");