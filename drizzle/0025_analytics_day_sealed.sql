-- A day that is over is sealed: its visits and funnel go into analytics_day_total and its co-views into co_view, its
-- rows of views are merged and lose their visitor keys. A sealed row holds neither key column, so the check that a
-- row names its visitors is dropped; the release before keeps writing rows with keys, which this one seals in turn.
CREATE TABLE "co_view" (
	"product_id" integer NOT NULL,
	"other_product_id" integer NOT NULL,
	"day" date NOT NULL,
	"viewers" integer NOT NULL,
	CONSTRAINT "co_view_product_id_other_product_id_day_pk" PRIMARY KEY("product_id","other_product_id","day")
);
--> statement-breakpoint
CREATE TABLE "analytics_day_total" (
	"day" date PRIMARY KEY NOT NULL,
	"visits" integer NOT NULL,
	"viewed_product" integer NOT NULL,
	"added_to_cart" integer NOT NULL,
	"ordered" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "page_view" DROP CONSTRAINT "page_view_has_visitors";--> statement-breakpoint
CREATE INDEX "co_view_day_idx" ON "co_view" USING btree ("day");