-- [1/1]
SELECT
  `t2`.`prediction_id`,
  `t2`.`timestamp`,
  `t2`.`model_version`,
  `t2`.`score`,
  `t2`.`prediction`,
  `t2`.`label`,
  `t2`.`error_size`
FROM (
  SELECT
    `t0`.`prediction_id`,
    `t0`.`timestamp`,
    `t0`.`model_version`,
    IF(
      `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
      `t0`.`prediction`,
      CAST(`t0`.`score` >= 0.5 AS DOUBLE)
    ) AS `prediction`,
    `t0`.`score`,
    `t0`.`latency_ms`,
    `t0`.`trace_id`,
    `t0`.`error`,
    `t0`.`metadata`,
    `t0`.`label`,
    `t0`.`label_timestamp`,
    `t0`.`cpu_ms`,
    `t0`.`wall_ms`,
    `t0`.`rss_peak_mb`,
    `t0`.`rss_peak_delta_mb`,
    `t0`.`gpu_memory_mb`,
    `t0`.`gpu_utilization`,
    `t0`.`batch_rows`,
    `t0`.`input_values`,
    `t0`.`age`,
    `t0`.`income`,
    `t0`.`debt_to_income`,
    `t0`.`credit_utilization`,
    `t0`.`loan_amount`,
    `t0`.`loan_term_months`,
    `t0`.`num_credit_lines`,
    `t0`.`employment_years`,
    `t0`.`region`,
    `t0`.`employment`,
    `t0`.`purpose`,
    `t0`.`channel`,
    `t0`.`home_ownership`,
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
) AS `t2`
