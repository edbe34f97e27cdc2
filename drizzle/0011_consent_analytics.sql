CREATE TABLE "consent_record" (
	"id" uuid PRIMARY KEY NOT NULL,
	"unit_id" uuid NOT NULL,
	"visitor_hash" "bytea" NOT NULL,
	"customer_id" uuid,
	"policy_revision" text NOT NULL,
	"choice" "bytea" NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics_salt" (
	"day" text PRIMARY KEY NOT NULL,
	"salt" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "page_view" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "page_view_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"hour" timestamp with time zone NOT NULL,
	"visitor_key" "bytea" NOT NULL,
	"kind" text NOT NULL,
	"path" text NOT NULL,
	"product_id" integer,
	"referrer_host" text,
	"device_class" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "consent_record_visitor_idx" ON "consent_record" USING btree ("visitor_hash","recorded_at");--> statement-breakpoint
CREATE INDEX "consent_record_customer_idx" ON "consent_record" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "page_view_hour_idx" ON "page_view" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "page_view_product_idx" ON "page_view" USING btree ("product_id","visitor_key");