CREATE TABLE "security_alert" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"staff_id" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"observed" integer NOT NULL,
	"threshold" integer NOT NULL,
	"reasoning" text NOT NULL,
	"raised_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "security_alert_once_idx" ON "security_alert" USING btree ("rule","staff_id","window_start");