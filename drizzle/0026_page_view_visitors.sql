-- A visitor's key is now the HMAC's first 53 bits, a whole number, held in visitors (bigint[]): an array of numbers is
-- written with half the text of one of 16-byte strings, and built without decoding each element. Releases before
-- this one write visitor_keys (the HMAC's first 16 bytes) or visitor_key (all 32), so both stay, read beside the new
-- column by their first 53 bits, until a contract migration drops them once no release writes them and their days are
-- sealed: on the day of the upgrade, a visitor seen on both sides of it is one.
ALTER TABLE "page_view" ADD COLUMN "visitors" bigint[];--> statement-breakpoint
-- Random numbers never compress: kept out of line uncompressed, a row is written without a futile try.
ALTER TABLE "page_view" ALTER COLUMN "visitors" SET STORAGE EXTERNAL;
