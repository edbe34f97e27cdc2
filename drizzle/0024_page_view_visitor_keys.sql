-- A row of page views now holds the keys of the visitors behind it (visitor_keys), each once. Releases before this one
-- write one visitor's key per row (visitor_key), so that column stays, optional, and is read beside the new one until
-- a contract migration drops it after their rows have expired. New keys are the HMAC's first 16 bytes, the old ones
-- all 32, which are read by their first 16: on the day of the upgrade a visitor seen on both sides of it is one.
ALTER TABLE "page_view" ALTER COLUMN "visitor_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "page_view" ADD COLUMN "visitor_keys" "bytea"[];--> statement-breakpoint
ALTER TABLE "page_view" ADD CONSTRAINT "page_view_has_visitors" CHECK ("page_view"."visitor_key" is not null or "page_view"."visitor_keys" is not null);--> statement-breakpoint
-- Keys are random bytes, which never compress: kept out of line uncompressed, a row is written without a futile try
-- (it cost PostgreSQL a microsecond a view).
ALTER TABLE "page_view" ALTER COLUMN "visitor_keys" SET STORAGE EXTERNAL;
