-- [1/3]
SELECT
  BOOL_OR(NOT `t0`.`score` IS NULL AND NOT ISNAN(`t0`.`score`)) AS `Any(NotNull(score))`
FROM `main`.`credit` AS `t0`

-- [2/3]
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

-- [3/3]
SELECT
  `t3`.`_s`,
  `t3`.`_w`,
  `t3`.`model_version`,
  `t3`.`score_bin`,
  `t3`.`prediction`,
  `t3`.`label`,
  COUNT(*) AS `n`,
  SUM(`t3`.`score`) AS `s1`,
  SUM(`t3`.`score` * `t3`.`score`) AS `s2`,
  SUM(`t3`.`_brier`) AS `b1`,
  SUM(`t3`.`_brier` * `t3`.`_brier`) AS `b2`,
  SUM(`t3`.`_loss`) AS `l1`,
  SUM(`t3`.`_loss` * `t3`.`_loss`) AS `l2`
FROM (
  SELECT
    `t2`.`prediction_id`,
    `t2`.`timestamp`,
    `t2`.`model_version`,
    `t2`.`prediction`,
    `t2`.`score`,
    `t2`.`latency_ms`,
    `t2`.`trace_id`,
    `t2`.`error`,
    `t2`.`metadata`,
    `t2`.`label`,
    `t2`.`label_timestamp`,
    `t2`.`cpu_ms`,
    `t2`.`wall_ms`,
    `t2`.`rss_peak_mb`,
    `t2`.`rss_peak_delta_mb`,
    `t2`.`gpu_memory_mb`,
    `t2`.`gpu_utilization`,
    `t2`.`batch_rows`,
    `t2`.`input_values`,
    `t2`.`age`,
    `t2`.`income`,
    `t2`.`debt_to_income`,
    `t2`.`credit_utilization`,
    `t2`.`loan_amount`,
    `t2`.`loan_term_months`,
    `t2`.`num_credit_lines`,
    `t2`.`employment_years`,
    `t2`.`region`,
    `t2`.`employment`,
    `t2`.`purpose`,
    `t2`.`channel`,
    `t2`.`home_ownership`,
    `t2`.`_s`,
    `t2`.`_w`,
    CAST(IF(
      NOT `t2`.`score` IS NULL
      AND NOT ISNAN(`t2`.`score`)
      AND (
        NOT `t2`.`prediction` IS NULL AND NOT ISNAN(`t2`.`prediction`)
      ),
      LEAST(CAST(FLOOR(`t2`.`score` * 100) AS BIGINT), 99),
      CAST(NULL AS DOUBLE)
    ) AS SMALLINT) AS `score_bin`,
    IF(
      NOT `t2`.`score` IS NULL
      AND NOT ISNAN(`t2`.`score`)
      AND (
        NOT `t2`.`prediction` IS NULL AND NOT ISNAN(`t2`.`prediction`)
      )
      AND (
        NOT `t2`.`label` IS NULL AND NOT ISNAN(`t2`.`label`)
      ),
      -(
        LN(
          IF(
            `t2`.`label` = 1,
            IF(
              IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`)) IS NULL,
              IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`)),
              GREATEST(
                2.220446049250313e-16,
                IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`))
              )
            ),
            1 - IF(
              IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`)) IS NULL,
              IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`)),
              GREATEST(
                2.220446049250313e-16,
                IF(`t2`.`score` IS NULL, `t2`.`score`, LEAST(0.9999999999999998, `t2`.`score`))
              )
            )
          )
        )
      ),
      CAST(NULL AS DOUBLE)
    ) AS `_loss`,
    IF(
      NOT `t2`.`score` IS NULL
      AND NOT ISNAN(`t2`.`score`)
      AND (
        NOT `t2`.`prediction` IS NULL AND NOT ISNAN(`t2`.`prediction`)
      )
      AND (
        NOT `t2`.`label` IS NULL AND NOT ISNAN(`t2`.`label`)
      ),
      (
        `t2`.`score` - `t2`.`label`
      ) * (
        `t2`.`score` - `t2`.`label`
      ),
      CAST(NULL AS DOUBLE)
    ) AS `_brier`
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
      'all' AS `_s`,
      CAST(FLOOR((
        EPOCH_US(`t1`.`timestamp`) - 1767225600000000
      ) / (
        604800000000
      )) AS BIGINT) AS `_w`
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
) AS `t3`
GROUP BY
  1,
  2,
  3,
  4,
  5,
  6
