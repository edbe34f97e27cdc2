CREATE INDEX "outbox_unit_idx" ON "outbox" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "consent_record_unit_idx" ON "consent_record" USING btree ("unit_id","recorded_at");