CREATE TABLE "audit_event" (
	"id" integer PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"staff_id" text NOT NULL,
	"staff_roles" text[] NOT NULL,
	"subject_unit_id" uuid NOT NULL,
	"subject_kind" text NOT NULL,
	"fields" text[] NOT NULL,
	"purpose" text NOT NULL,
	"request_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_id" integer NOT NULL,
	"last_hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "disclosure" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "disclosure_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"processor" text,
	"purpose" text NOT NULL,
	"fields" text[] NOT NULL,
	"subject_unit_id" uuid NOT NULL,
	"legal_basis" text,
	"authority" text,
	"staff_id" text,
	CONSTRAINT "disclosure_one_recipient" CHECK (("disclosure"."processor" is null) = ("disclosure"."authority" is not null and "disclosure"."legal_basis" is not null))
);
--> statement-breakpoint
CREATE INDEX "audit_event_subject_idx" ON "audit_event" USING btree ("subject_unit_id");--> statement-breakpoint
CREATE INDEX "disclosure_subject_idx" ON "disclosure" USING btree ("subject_unit_id");