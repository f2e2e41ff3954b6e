-- [1/1]
SELECT
  *
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`timestamp` >= CAST('2026-01-12T00:00:00+00:00' AS TIMESTAMP)
  AND `t0`.`timestamp` < CAST('2026-01-19T00:00:00+00:00' AS TIMESTAMP)
ORDER BY
  HASH(`t0`.`prediction_id`) ASC NULLS LAST
LIMIT 50
