CREATE INDEX "customer_account_unit_idx" ON "customer_account" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "order_unit_idx" ON "order" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "ticket_unit_idx" ON "ticket" USING btree ("unit_id");