-- Counters written between 2026-12-07 07:38 and V18 have their metric names prefixed with a newline and four
-- spaces (a slip in the analytics crate's constants). Reports read metrics by their plain names, so those rows
-- were counted apart from the rows written before and after. Each is added to its plain-named row, then removed.
INSERT INTO analytics_counters AS c (tenant, hour, metric, key, shard, count, sum)
SELECT tenant, hour, btrim(metric, E' \n'), key, shard, sum(count), sum(sum)
FROM analytics_counters
WHERE metric <> btrim(metric, E' \n')
GROUP BY tenant, hour, btrim(metric, E' \n'), key, shard
ON CONFLICT (tenant, hour, metric, key, shard)
DO UPDATE SET count = c.count + EXCLUDED.count, sum = c.sum + EXCLUDED.sum;
DELETE FROM analytics_counters WHERE metric <> btrim(metric, E' \n');
