CREATE TABLE "erasure_journal" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "erasure_journal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"unit_id" uuid NOT NULL,
	"unit_kind" text NOT NULL,
	"key_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"erased_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "unit_key" (
	"unit_id" uuid PRIMARY KEY NOT NULL,
	"unit_kind" text NOT NULL,
	"key_id" uuid NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"kek_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "unit_key_key_id_unique" UNIQUE("key_id")
);
--> statement-breakpoint
CREATE INDEX "erasure_journal_unit_idx" ON "erasure_journal" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "unit_key_kek_idx" ON "unit_key" USING btree ("kek_id");