CREATE TABLE "copy_network" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "copy_network_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"request_id" uuid NOT NULL,
	"event" text NOT NULL,
	"network_hash" "bytea" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"known" boolean
);
--> statement-breakpoint
CREATE TABLE "security_alert_action" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "security_alert_action_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"alert_id" uuid NOT NULL,
	"action" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"staff_id" text NOT NULL,
	"note" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_alert" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"staff_id" text,
	"request_id" uuid,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"observed" integer NOT NULL,
	"threshold" integer NOT NULL,
	"setting" text NOT NULL,
	"reasoning" text NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"dedupe_key" text NOT NULL,
	"status" text DEFAULT 'new' NOT NULL,
	"incident_id" uuid,
	CONSTRAINT "security_alert_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "staff_sign_in_failure" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "staff_sign_in_failure_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"staff_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "security_alert_action" ADD CONSTRAINT "security_alert_action_alert_id_security_alert_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."security_alert"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_alert" ADD CONSTRAINT "security_alert_incident_id_incident_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incident"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_sign_in_failure" ADD CONSTRAINT "staff_sign_in_failure_staff_id_staff_account_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff_account"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "copy_network_request_idx" ON "copy_network" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "copy_network_at_idx" ON "copy_network" USING btree ("event","at");--> statement-breakpoint
CREATE INDEX "security_alert_action_alert_idx" ON "security_alert_action" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "security_alert_raised_idx" ON "security_alert" USING btree ("raised_at");--> statement-breakpoint
CREATE INDEX "security_alert_incident_idx" ON "security_alert" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "staff_sign_in_failure_at_idx" ON "staff_sign_in_failure" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_event_at_idx" ON "audit_event" USING btree ("at");