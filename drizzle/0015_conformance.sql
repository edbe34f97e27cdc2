CREATE TABLE "conformance_run" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conformance_run_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"ran_at" timestamp with time zone NOT NULL,
	"trigger" text NOT NULL,
	"passed" integer NOT NULL,
	"failed" integer NOT NULL,
	"results" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "conformance_run_ran_at_idx" ON "conformance_run" USING btree ("ran_at");