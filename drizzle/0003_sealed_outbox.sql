-- Outbox messages become sealed under a retention unit's key. Messages queued before this migration were stored
-- in plain text, which is what this change removes; no release carried them, so they are dropped, not converted.
DELETE FROM "outbox";--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "envelope";--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "envelope" bytea NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "unit_id" uuid NOT NULL;
