-- Product search (issue 5): full-text search over a product's own text, and trigram matching so that a misspelt
-- word ("concieler") still finds what was meant. The category's name is joined in at query time: an index can only
-- see the product's own row.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
-- One definition of the weighted document, used by the index and by the search query alike (the planner only uses
-- an expression index for the same expression).
CREATE FUNCTION "product_search_document"("name" text, "brand" text, "summary" text, "description" text)
  RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN setweight(to_tsvector('english'::regconfig, "name"), 'A')
    || setweight(to_tsvector('english'::regconfig, "brand"), 'B')
    || setweight(to_tsvector('english'::regconfig, "summary"), 'C')
    || setweight(to_tsvector('english'::regconfig, "description"), 'D');--> statement-breakpoint
CREATE INDEX "product_search_document_idx" ON "product"
  USING gin (product_search_document("name", "brand", "summary", "description"));--> statement-breakpoint
CREATE INDEX "product_name_trgm_idx" ON "product" USING gin (lower("name") gin_trgm_ops);
--> statement-breakpoint
-- Products whose name resembles the words searched for, through the trigram index. The threshold of `<%` is a
-- setting: 0.4 instead of the default 0.6 lets a typical typo through ("concieler" scores 0.43 against
-- "concealer"); set on the function, it applies to this look-up only.
CREATE FUNCTION "products_named_like"("words" text) RETURNS SETOF integer
  LANGUAGE sql STABLE PARALLEL SAFE
  SET pg_trgm.word_similarity_threshold = 0.4
  AS $$ SELECT "id" FROM "product" WHERE "words" <% lower("name") $$;
