CREATE TABLE "policy_acceptance" (
	"customer_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"accepted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "policy_acceptance_customer_id_version_pk" PRIMARY KEY("customer_id","version")
);
--> statement-breakpoint
CREATE TABLE "policy_draft" (
	"id" integer PRIMARY KEY NOT NULL,
	"summary" text NOT NULL,
	"sections" jsonb NOT NULL,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_version" (
	"number" integer PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"summary" text NOT NULL,
	"sections" jsonb NOT NULL,
	"facts" jsonb NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"published_by" uuid
);
--> statement-breakpoint
ALTER TABLE "policy_acceptance" ADD CONSTRAINT "policy_acceptance_version_policy_version_number_fk" FOREIGN KEY ("version") REFERENCES "public"."policy_version"("number") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policy_version_effective_idx" ON "policy_version" USING btree ("effective_at");