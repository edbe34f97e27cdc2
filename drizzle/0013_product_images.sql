CREATE TABLE "product_image" (
	"product_id" integer PRIMARY KEY NOT NULL,
	"content_type" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"sha256" text NOT NULL,
	"uploaded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "product_image" ADD CONSTRAINT "product_image_product_id_product_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."product"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "product_image_sha256_idx" ON "product_image" USING btree ("sha256");--> statement-breakpoint
-- A new or removed picture changes the cached catalogue pages that show it.
CREATE TRIGGER "product_image_changes_catalog" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "product_image" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
