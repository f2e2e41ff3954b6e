-- [1/1]
SELECT
  *
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
  AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
ORDER BY
  HASH(`t0`.`prediction_id`) ASC NULLS LAST
LIMIT 50
