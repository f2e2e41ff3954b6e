-- [1/2]
SELECT
  MIN(`t1`.`timestamp`) AS `lo`,
  MAX(`t1`.`timestamp`) AS `hi`
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
    `t0`.`home_ownership`
  FROM `main`.`credit` AS `t0`
) AS `t1`

-- [2/2]
SELECT
  `t2`.`_w`,
  `t2`.`_g0`,
  `t2`.`_p`,
  `t2`.`_y`,
  `t2`.`_b`,
  COUNT(*) AS `n`,
  SUM(`t2`.`_s`) AS `s1`
FROM (
  SELECT
    `t1`.`prediction_id`,
    `t1`.`timestamp`,
    `t1`.`model_version`,
    `t1`.`prediction`,
    `t1`.`score`,
    `t1`.`latency_ms`,
    `t1`.`trace_id`,
    `t1`.`error`,
    `t1`.`metadata`,
    `t1`.`label`,
    `t1`.`label_timestamp`,
    `t1`.`cpu_ms`,
    `t1`.`wall_ms`,
    `t1`.`rss_peak_mb`,
    `t1`.`rss_peak_delta_mb`,
    `t1`.`gpu_memory_mb`,
    `t1`.`gpu_utilization`,
    `t1`.`batch_rows`,
    `t1`.`input_values`,
    `t1`.`age`,
    `t1`.`income`,
    `t1`.`debt_to_income`,
    `t1`.`credit_utilization`,
    `t1`.`loan_amount`,
    `t1`.`loan_term_months`,
    `t1`.`num_credit_lines`,
    `t1`.`employment_years`,
    `t1`.`region`,
    `t1`.`employment`,
    `t1`.`purpose`,
    `t1`.`channel`,
    `t1`.`home_ownership`,
    CAST(FLOOR((
      EPOCH_US(`t1`.`timestamp`) - 1767225600000000
    ) / (
      604800000000
    )) AS BIGINT) AS `_w`,
    `t1`.`region` AS `_g0`,
    `t1`.`prediction` AS `_p`,
    `t1`.`label` AS `_y`,
    CAST(IF(
      NOT `t1`.`prediction` IS NULL
      AND NOT ISNAN(`t1`.`prediction`)
      AND (
        NOT `t1`.`label` IS NULL AND NOT ISNAN(`t1`.`label`)
      )
      AND (
        NOT `t1`.`score` IS NULL AND NOT ISNAN(`t1`.`score`)
      ),
      LEAST(CAST(FLOOR(`t1`.`score` * 100) AS BIGINT), 99),
      CAST(NULL AS DOUBLE)
    ) AS SMALLINT) AS `_b`,
    IF(
      NOT `t1`.`prediction` IS NULL
      AND NOT ISNAN(`t1`.`prediction`)
      AND (
        NOT `t1`.`label` IS NULL AND NOT ISNAN(`t1`.`label`)
      )
      AND (
        NOT `t1`.`score` IS NULL AND NOT ISNAN(`t1`.`score`)
      ),
      `t1`.`score`,
      CAST(NULL AS DOUBLE)
    ) AS `_s`
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
      `t0`.`home_ownership`
    FROM `main`.`credit` AS `t0`
  ) AS `t1`
) AS `t2`
GROUP BY
  1,
  2,
  3,
  4,
  5
