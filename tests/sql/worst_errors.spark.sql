-- [1/1]
SELECT
  `t0`.`prediction_id`,
  `t0`.`timestamp`,
  `t0`.`model_version`,
  `t0`.`score`,
  IF(
    `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
    `t0`.`prediction`,
    CAST(`t0`.`score` >= 0.5 AS DOUBLE)
  ) AS `prediction`,
  `t0`.`label`,
  ABS(`t0`.`label` - `t0`.`score`) AS `error_size`
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
  AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
  AND (
    NOT `t0`.`label` IS NULL AND NOT ISNAN(`t0`.`label`)
  )
  AND (
    NOT `t0`.`score` IS NULL AND NOT ISNAN(`t0`.`score`)
  )
  AND IF(
    `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
    `t0`.`prediction`,
    CAST(`t0`.`score` >= 0.5 AS DOUBLE)
  ) <> `t0`.`label`
ORDER BY
  ABS(`t0`.`label` - `t0`.`score`) DESC,
  `t0`.`prediction_id` ASC NULLS LAST
LIMIT 5
