CREATE SEQUENCE "public"."order_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 100001 CACHE 1;--> statement-breakpoint
CREATE TABLE "customer_address" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"address" "bytea" NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_event" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "order_event_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"order_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"staff_id" uuid
);
--> statement-breakpoint
CREATE TABLE "order_line" (
	"order_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"product_id" integer,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"variant" text,
	"unit_price_cents" integer NOT NULL,
	"quantity" integer NOT NULL,
	"line_total_cents" integer NOT NULL,
	"weight_grams" integer NOT NULL,
	CONSTRAINT "order_line_order_id_position_pk" PRIMARY KEY("order_id","position"),
	CONSTRAINT "order_line_quantity_positive" CHECK ("order_line"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "order_pass" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "order" (
	"id" uuid PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"unit_id" uuid NOT NULL,
	"customer_id" uuid,
	"checkout_key" "bytea" NOT NULL,
	"status" text NOT NULL,
	"email_index" "bytea" NOT NULL,
	"email" "bytea" NOT NULL,
	"recipient_name" "bytea" NOT NULL,
	"phone" "bytea",
	"shipping_address" "bytea" NOT NULL,
	"shipping_country" text NOT NULL,
	"shipping_option_code" text NOT NULL,
	"shipping_option_name" text NOT NULL,
	"currency" text NOT NULL,
	"subtotal_cents" integer NOT NULL,
	"shipping_cents" integer NOT NULL,
	"tax_rate_bp" integer NOT NULL,
	"tax_cents" integer NOT NULL,
	"total_cents" integer NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"pay_by" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"packed_at" timestamp with time zone,
	"shipped_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"returned_at" timestamp with time zone,
	"carrier" text,
	"tracking_number" text,
	"last_activity_at" timestamp with time zone NOT NULL,
	CONSTRAINT "order_number_unique" UNIQUE("number"),
	CONSTRAINT "order_checkout_key_unique" UNIQUE("checkout_key"),
	CONSTRAINT "order_totals_add_up" CHECK ("order"."total_cents" = "order"."subtotal_cents" + "order"."shipping_cents" + "order"."tax_cents")
);
--> statement-breakpoint
CREATE TABLE "shipping_option" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"price_cents" integer NOT NULL,
	"free_from_cents" integer,
	"min_days" integer NOT NULL,
	"max_days" integer NOT NULL,
	"position" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "shipping_option_price_not_negative" CHECK ("shipping_option"."price_cents" >= 0),
	CONSTRAINT "shipping_option_days" CHECK ("shipping_option"."min_days" <= "shipping_option"."max_days")
);
--> statement-breakpoint
CREATE TABLE "tax_rate" (
	"country" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"rate_bp" integer NOT NULL,
	CONSTRAINT "tax_rate_range" CHECK ("tax_rate"."rate_bp" between 0 and 10000)
);
--> statement-breakpoint
CREATE TABLE "payment" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"provider_charge_id" text,
	"decline_code" text,
	"card_token" "bytea" NOT NULL,
	"card_brand" "bytea" NOT NULL,
	"card_last4" "bytea" NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payment_refund_within_amount" CHECK ("payment"."refunded_cents" between 0 and "payment"."amount_cents")
);
--> statement-breakpoint
CREATE TABLE "testpay_charge" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"token_hash" "bytea" NOT NULL,
	"reference" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"outcome" text NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "testpay_charge_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "testpay_refund" (
	"id" text PRIMARY KEY NOT NULL,
	"charge_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "testpay_refund_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "return_request" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"status" text NOT NULL,
	"items" jsonb NOT NULL,
	"reason" "bytea" NOT NULL,
	"refund_cents" integer NOT NULL,
	"provider_refund_id" text,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"refunded_at" timestamp with time zone,
	"decided_by" uuid
);
--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "weight_grams" integer DEFAULT 100 NOT NULL;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "variant_group" text;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "option_name" text;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "option_value" text;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "listed" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "product" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customer_address" ADD CONSTRAINT "customer_address_customer_id_customer_account_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer_account"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_event" ADD CONSTRAINT "order_event_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_line" ADD CONSTRAINT "order_line_product_id_product_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."product"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_pass" ADD CONSTRAINT "order_pass_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order" ADD CONSTRAINT "order_customer_id_customer_account_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customer_account"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment" ADD CONSTRAINT "payment_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "testpay_refund" ADD CONSTRAINT "testpay_refund_charge_id_testpay_charge_id_fk" FOREIGN KEY ("charge_id") REFERENCES "public"."testpay_charge"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "return_request" ADD CONSTRAINT "return_request_order_id_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."order"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_address_customer_idx" ON "customer_address" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "order_event_order_idx" ON "order_event" USING btree ("order_id","id");--> statement-breakpoint
CREATE INDEX "order_pass_order_idx" ON "order_pass" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "order_pass_expires_idx" ON "order_pass" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "order_customer_idx" ON "order" USING btree ("customer_id","placed_at");--> statement-breakpoint
CREATE INDEX "order_email_index_idx" ON "order" USING btree ("email_index");--> statement-breakpoint
CREATE INDEX "order_status_idx" ON "order" USING btree ("status","placed_at");--> statement-breakpoint
CREATE INDEX "payment_order_idx" ON "payment" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "testpay_charge_token_idx" ON "testpay_charge" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "return_request_order_idx" ON "return_request" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "return_request_status_idx" ON "return_request" USING btree ("status","requested_at");--> statement-breakpoint
CREATE INDEX "product_variant_group_idx" ON "product" USING btree ("variant_group");--> statement-breakpoint
-- Checkout takes stock on every order; bumping the catalogue version on each of those updates would drop every
-- cached page on every sale and make one hot row of all checkouts. A stock change only matters to a page when it
-- changes what the page says: "In stock" (10 or more), "Only N left", "Out of stock".
CREATE FUNCTION "stock_shown"("stock" integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN "stock" >= 10 THEN 10 ELSE "stock" END;--> statement-breakpoint
DROP TRIGGER "product_changes_catalog" ON "product";--> statement-breakpoint
CREATE TRIGGER "product_rows_change_catalog" AFTER INSERT OR DELETE OR TRUNCATE ON "product" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();--> statement-breakpoint
CREATE TRIGGER "product_update_changes_catalog" AFTER UPDATE ON "product" FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'stock') IS DISTINCT FROM (to_jsonb(NEW) - 'stock') OR stock_shown(OLD."stock") <> stock_shown(NEW."stock"))
  EXECUTE FUNCTION "bump_catalog_version"();
--> statement-breakpoint
-- The shop's starting settings, edited in the back office: where it ships, at what tax, and how.
INSERT INTO "tax_rate" ("country", "name", "rate_bp") VALUES
  ('US', 'Sales tax', 725), ('CA', 'GST', 500), ('GB', 'VAT', 2000), ('IE', 'VAT', 2300),
  ('DE', 'MwSt', 1900), ('FR', 'TVA', 2000), ('NL', 'BTW', 2100), ('AU', 'GST', 1000);--> statement-breakpoint
INSERT INTO "shipping_option" ("code", "name", "description", "price_cents", "free_from_cents", "min_days", "max_days", "position") VALUES
  ('standard', 'Standard delivery', 'Tracked, delivered in 3 to 5 business days. Free from $50.', 495, 5000, 3, 5, 0),
  ('express', 'Express delivery', 'Tracked, delivered in 1 to 2 business days.', 1295, NULL, 1, 2, 1);
