-- Buckets are stored as postcard (a compact binary serde encoding) in `bin`: encoding and decoding the JSON of
-- bucket rows was most of what recording costs per event. Rows written before keep their JSON in `bucket`; the
-- next write of a row (a new event of its hour, or compaction) stores it in `bin` and clears `bucket`.
ALTER TABLE analytics_buckets
    ADD COLUMN bin bytea,
    ALTER COLUMN bucket DROP NOT NULL,
    ADD CONSTRAINT analytics_buckets_one_encoding CHECK ((bin IS NULL) <> (bucket IS NULL));
