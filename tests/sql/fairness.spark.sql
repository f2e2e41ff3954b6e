-- [1/1]
SELECT
  `t1`.`_g0`,
  `t1`.`_p`,
  `t1`.`_y`,
  `t1`.`_b`,
  COUNT(*) AS `n`,
  SUM(`t1`.`_s`) AS `s1`
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
    `t0`.`region` AS `_g0`,
    IF(
      `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
      `t0`.`prediction`,
      CAST(`t0`.`score` >= 0.5 AS DOUBLE)
    ) AS `_p`,
    `t0`.`label` AS `_y`,
    CAST(IF(
      NOT IF(
        `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
        `t0`.`prediction`,
        CAST(`t0`.`score` >= 0.5 AS DOUBLE)
      ) IS NULL
      AND NOT ISNAN(
        IF(
          `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
          `t0`.`prediction`,
          CAST(`t0`.`score` >= 0.5 AS DOUBLE)
        )
      )
      AND (
        NOT `t0`.`label` IS NULL AND NOT ISNAN(`t0`.`label`)
      )
      AND (
        NOT `t0`.`score` IS NULL AND NOT ISNAN(`t0`.`score`)
      ),
      LEAST(CAST(FLOOR(`t0`.`score` * 100) AS BIGINT), 99),
      CAST(NULL AS DOUBLE)
    ) AS SMALLINT) AS `_b`,
    IF(
      NOT IF(
        `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
        `t0`.`prediction`,
        CAST(`t0`.`score` >= 0.5 AS DOUBLE)
      ) IS NULL
      AND NOT ISNAN(
        IF(
          `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
          `t0`.`prediction`,
          CAST(`t0`.`score` >= 0.5 AS DOUBLE)
        )
      )
      AND (
        NOT `t0`.`label` IS NULL AND NOT ISNAN(`t0`.`label`)
      )
      AND (
        NOT `t0`.`score` IS NULL AND NOT ISNAN(`t0`.`score`)
      ),
      `t0`.`score`,
      CAST(NULL AS DOUBLE)
    ) AS `_s`
  FROM `main`.`credit` AS `t0`
  WHERE
    `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
    AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
) AS `t1`
GROUP BY
  1,
  2,
  3,
  4
