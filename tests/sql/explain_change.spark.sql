-- [1/12]
SELECT
  `t4`.`w`,
  COUNT(*) AS `n`,
  COUNT(`t4`.`v`) AS `n_lab`,
  MIN(`t4`.`t`) AS `t0`,
  MAX(`t4`.`t`) AS `t1`
FROM (
  SELECT
    `t3`.`prediction_id`,
    `t3`.`timestamp`,
    `t3`.`model_version`,
    `t3`.`prediction`,
    `t3`.`score`,
    `t3`.`latency_ms`,
    `t3`.`trace_id`,
    `t3`.`error`,
    `t3`.`metadata`,
    `t3`.`label`,
    `t3`.`label_timestamp`,
    `t3`.`cpu_ms`,
    `t3`.`wall_ms`,
    `t3`.`rss_peak_mb`,
    `t3`.`rss_peak_delta_mb`,
    `t3`.`gpu_memory_mb`,
    `t3`.`gpu_utilization`,
    `t3`.`batch_rows`,
    `t3`.`input_values`,
    `t3`.`age`,
    `t3`.`income`,
    `t3`.`debt_to_income`,
    `t3`.`credit_utilization`,
    `t3`.`loan_amount`,
    `t3`.`loan_term_months`,
    `t3`.`num_credit_lines`,
    `t3`.`employment_years`,
    `t3`.`region`,
    `t3`.`employment`,
    `t3`.`purpose`,
    `t3`.`channel`,
    `t3`.`home_ownership`,
    `t3`.`w`,
    CAST(`t3`.`prediction` <> `t3`.`label` AS DOUBLE) AS `v`,
    CAST(UNIX_TIMESTAMP(CAST(`t3`.`timestamp` AS TIMESTAMP)) AS DOUBLE) AS `t`
  FROM (
    SELECT
      *
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
        0 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t1`
    UNION ALL
    SELECT
      *
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
        1 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t2`
  ) AS `t3`
  WHERE
    NOT `t3`.`prediction` IS NULL AND NOT ISNAN(`t3`.`prediction`)
) AS `t4`
GROUP BY
  1

-- [2/12]
SELECT
  PERCENTILE(`t0`.`age`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q0`,
  PERCENTILE(`t0`.`income`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q1`,
  PERCENTILE(`t0`.`debt_to_income`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q2`,
  PERCENTILE(`t0`.`credit_utilization`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q3`,
  PERCENTILE(`t0`.`loan_amount`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q4`,
  PERCENTILE(`t0`.`loan_term_months`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q5`,
  PERCENTILE(`t0`.`num_credit_lines`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q6`,
  PERCENTILE(`t0`.`employment_years`, ARRAY(0.2, 0.4, 0.6, 0.8)) AS `q7`,
  COUNT(*) AS `n`
FROM `reference`.`credit` AS `t0`

-- [3/12]
SELECT
  BOOL_OR(`t3`.`age` IS NULL OR ISNAN(`t3`.`age`)) AS `m0`,
  BOOL_OR(`t3`.`income` IS NULL OR ISNAN(`t3`.`income`)) AS `m1`,
  BOOL_OR(`t3`.`debt_to_income` IS NULL OR ISNAN(`t3`.`debt_to_income`)) AS `m2`,
  BOOL_OR(`t3`.`credit_utilization` IS NULL OR ISNAN(`t3`.`credit_utilization`)) AS `m3`,
  BOOL_OR(`t3`.`loan_amount` IS NULL OR ISNAN(`t3`.`loan_amount`)) AS `m4`,
  BOOL_OR(`t3`.`loan_term_months` IS NULL OR ISNAN(`t3`.`loan_term_months`)) AS `m5`,
  BOOL_OR(`t3`.`num_credit_lines` IS NULL OR ISNAN(`t3`.`num_credit_lines`)) AS `m6`,
  BOOL_OR(`t3`.`employment_years` IS NULL OR ISNAN(`t3`.`employment_years`)) AS `m7`,
  BOOL_OR(NOT `t3`.`age` IS NULL AND NOT ISNAN(`t3`.`age`)) AS `v0`,
  BOOL_OR(NOT `t3`.`income` IS NULL AND NOT ISNAN(`t3`.`income`)) AS `v1`,
  BOOL_OR(NOT `t3`.`debt_to_income` IS NULL AND NOT ISNAN(`t3`.`debt_to_income`)) AS `v2`,
  BOOL_OR(NOT `t3`.`credit_utilization` IS NULL AND NOT ISNAN(`t3`.`credit_utilization`)) AS `v3`,
  BOOL_OR(NOT `t3`.`loan_amount` IS NULL AND NOT ISNAN(`t3`.`loan_amount`)) AS `v4`,
  BOOL_OR(NOT `t3`.`loan_term_months` IS NULL AND NOT ISNAN(`t3`.`loan_term_months`)) AS `v5`,
  BOOL_OR(NOT `t3`.`num_credit_lines` IS NULL AND NOT ISNAN(`t3`.`num_credit_lines`)) AS `v6`,
  BOOL_OR(NOT `t3`.`employment_years` IS NULL AND NOT ISNAN(`t3`.`employment_years`)) AS `v7`
FROM (
  SELECT
    *
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
      0 AS `w`
    FROM `main`.`credit` AS `t0`
    WHERE
      `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
      AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
  ) AS `t1`
  UNION ALL
  SELECT
    *
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
      1 AS `w`
    FROM `main`.`credit` AS `t0`
    WHERE
      `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
      AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
  ) AS `t2`
) AS `t3`

-- [4/12]
WITH `_diaglab_rows` AS (
  SELECT
    `t3`.`region`,
    `t3`.`employment`,
    `t3`.`purpose`,
    `t3`.`channel`,
    `t3`.`home_ownership`
  FROM (
    SELECT
      *
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
        0 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t1`
    UNION ALL
    SELECT
      *
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
        1 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t2`
  ) AS `t3`
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t1`.`v`,
        `t1`.`n`,
        2 AS `i`
      FROM (
        SELECT
          `t0`.`purpose` AS `v`,
          COUNT(*) AS `n`
        FROM `_diaglab_rows` AS `t0`
        GROUP BY
          1
      ) AS `t1`
    ) AS `t6`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t2`.`v`,
        `t2`.`n`,
        3 AS `i`
      FROM (
        SELECT
          `t0`.`channel` AS `v`,
          COUNT(*) AS `n`
        FROM `_diaglab_rows` AS `t0`
        GROUP BY
          1
      ) AS `t2`
    ) AS `t7`
  ) AS `t11`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t3`.`v`,
        `t3`.`n`,
        4 AS `i`
      FROM (
        SELECT
          `t0`.`home_ownership` AS `v`,
          COUNT(*) AS `n`
        FROM `_diaglab_rows` AS `t0`
        GROUP BY
          1
      ) AS `t3`
    ) AS `t8`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t4`.`v`,
          `t4`.`n`,
          0 AS `i`
        FROM (
          SELECT
            `t0`.`region` AS `v`,
            COUNT(*) AS `n`
          FROM `_diaglab_rows` AS `t0`
          GROUP BY
            1
        ) AS `t4`
      ) AS `t9`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          `t5`.`v`,
          `t5`.`n`,
          1 AS `i`
        FROM (
          SELECT
            `t0`.`employment` AS `v`,
            COUNT(*) AS `n`
          FROM `_diaglab_rows` AS `t0`
          GROUP BY
            1
        ) AS `t5`
      ) AS `t10`
    ) AS `t12`
  ) AS `t13`
) AS `_q`

-- [5/12]
SELECT
  CAST(IF(
    `t3`.`age` IS NULL OR ISNAN(`t3`.`age`),
    -1,
    CAST(`t3`.`age` >= 32.0 AS SMALLINT) + 0 + CAST(`t3`.`age` >= 40.0 AS SMALLINT) + CAST(`t3`.`age` >= 46.0 AS SMALLINT) + CAST(`t3`.`age` >= 55.0 AS SMALLINT)
  ) AS SMALLINT) AS `c0`,
  CAST(IF(
    `t3`.`income` IS NULL OR ISNAN(`t3`.`income`),
    -1,
    CAST(`t3`.`income` >= 31000.0 AS SMALLINT) + 0 + CAST(`t3`.`income` >= 43000.0 AS SMALLINT) + CAST(`t3`.`income` >= 56000.0 AS SMALLINT) + CAST(`t3`.`income` >= 76000.0 AS SMALLINT)
  ) AS SMALLINT) AS `c1`,
  CAST(IF(
    `t3`.`debt_to_income` IS NULL OR ISNAN(`t3`.`debt_to_income`),
    -1,
    CAST(`t3`.`debt_to_income` >= 0.16 AS SMALLINT) + 0 + CAST(`t3`.`debt_to_income` >= 0.24 AS SMALLINT) + CAST(`t3`.`debt_to_income` >= 0.32 AS SMALLINT) + CAST(`t3`.`debt_to_income` >= 0.42 AS SMALLINT)
  ) AS SMALLINT) AS `c2`,
  CAST(IF(
    `t3`.`credit_utilization` IS NULL OR ISNAN(`t3`.`credit_utilization`),
    -1,
    CAST(`t3`.`credit_utilization` >= 0.2 AS SMALLINT) + 0 + CAST(`t3`.`credit_utilization` >= 0.32 AS SMALLINT) + CAST(`t3`.`credit_utilization` >= 0.43 AS SMALLINT) + CAST(`t3`.`credit_utilization` >= 0.56 AS SMALLINT)
  ) AS SMALLINT) AS `c3`,
  CAST(IF(
    `t3`.`loan_amount` IS NULL OR ISNAN(`t3`.`loan_amount`),
    -1,
    CAST(`t3`.`loan_amount` >= 6800.0 AS SMALLINT) + 0 + CAST(`t3`.`loan_amount` >= 10000.0 AS SMALLINT) + CAST(`t3`.`loan_amount` >= 14000.0 AS SMALLINT) + CAST(`t3`.`loan_amount` >= 22000.0 AS SMALLINT)
  ) AS SMALLINT) AS `c4`,
  CAST(IF(
    `t3`.`loan_term_months` IS NULL OR ISNAN(`t3`.`loan_term_months`),
    -1,
    CAST(`t3`.`loan_term_months` >= 24.0 AS SMALLINT) + 0 + CAST(`t3`.`loan_term_months` >= 36.0 AS SMALLINT) + CAST(`t3`.`loan_term_months` >= 60.0 AS SMALLINT)
  ) AS SMALLINT) AS `c5`,
  CAST(IF(
    `t3`.`num_credit_lines` IS NULL OR ISNAN(`t3`.`num_credit_lines`),
    -1,
    CAST(`t3`.`num_credit_lines` >= 5.0 AS SMALLINT) + 0 + CAST(`t3`.`num_credit_lines` >= 6.0 AS SMALLINT) + CAST(`t3`.`num_credit_lines` >= 7.0 AS SMALLINT) + CAST(`t3`.`num_credit_lines` >= 9.0 AS SMALLINT)
  ) AS SMALLINT) AS `c6`,
  CAST(IF(
    `t3`.`employment_years` IS NULL OR ISNAN(`t3`.`employment_years`),
    -1,
    CAST(`t3`.`employment_years` >= 2.3 AS SMALLINT) + 0 + CAST(`t3`.`employment_years` >= 5.0 AS SMALLINT) + CAST(`t3`.`employment_years` >= 8.0 AS SMALLINT) + CAST(`t3`.`employment_years` >= 13.0 AS SMALLINT)
  ) AS SMALLINT) AS `c7`,
  `t3`.`region` AS `c8`,
  `t3`.`employment` AS `c9`,
  `t3`.`purpose` AS `c10`,
  `t3`.`channel` AS `c11`,
  `t3`.`home_ownership` AS `c12`,
  CAST(`t3`.`prediction` <> `t3`.`label` AS DOUBLE) AS `v`,
  `t3`.`w`,
  CAST(LEAST(
    CAST(FLOOR(
      (
        (
          CAST(UNIX_TIMESTAMP(CAST(`t3`.`timestamp` AS TIMESTAMP)) AS DOUBLE) - IF(`t3`.`w` = 1, 1770681621.733849, 1767571264.334407)
        ) * 20
      ) / (
        IF(`t3`.`w` = 1, 1727954.7723710537, 259086.02811598778) + 1
      )
    ) AS BIGINT),
    19
  ) AS SMALLINT) AS `blk`
FROM (
  SELECT
    *
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
      0 AS `w`
    FROM `main`.`credit` AS `t0`
    WHERE
      `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
      AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
  ) AS `t1`
  UNION ALL
  SELECT
    *
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
      1 AS `w`
    FROM `main`.`credit` AS `t0`
    WHERE
      `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
      AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
  ) AS `t2`
) AS `t3`
WHERE
  NOT `t3`.`prediction` IS NULL AND NOT ISNAN(`t3`.`prediction`)

-- [6/12]
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      `t1`.`w`,
      `t1`.`blk`,
      `t1`.`code`,
      `t1`.`n`,
      `t1`.`n_lab`,
      `t1`.`s`,
      10 AS `feature`
    FROM (
      SELECT
        `t0`.`w`,
        `t0`.`blk`,
        `t0`.`c10` AS `code`,
        COUNT(*) AS `n`,
        COUNT(`t0`.`v`) AS `n_lab`,
        SUM(`t0`.`v`) AS `s`
      FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
      GROUP BY
        1,
        2,
        3
    ) AS `t1`
  ) AS `t6`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      `t2`.`w`,
      `t2`.`blk`,
      `t2`.`code`,
      `t2`.`n`,
      `t2`.`n_lab`,
      `t2`.`s`,
      11 AS `feature`
    FROM (
      SELECT
        `t0`.`w`,
        `t0`.`blk`,
        `t0`.`c11` AS `code`,
        COUNT(*) AS `n`,
        COUNT(`t0`.`v`) AS `n_lab`,
        SUM(`t0`.`v`) AS `s`
      FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
      GROUP BY
        1,
        2,
        3
    ) AS `t2`
  ) AS `t7`
) AS `t11`
UNION ALL
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      `t3`.`w`,
      `t3`.`blk`,
      `t3`.`code`,
      `t3`.`n`,
      `t3`.`n_lab`,
      `t3`.`s`,
      12 AS `feature`
    FROM (
      SELECT
        `t0`.`w`,
        `t0`.`blk`,
        `t0`.`c12` AS `code`,
        COUNT(*) AS `n`,
        COUNT(`t0`.`v`) AS `n_lab`,
        SUM(`t0`.`v`) AS `s`
      FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
      GROUP BY
        1,
        2,
        3
    ) AS `t3`
  ) AS `t8`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t4`.`w`,
        `t4`.`blk`,
        `t4`.`code`,
        `t4`.`n`,
        `t4`.`n_lab`,
        `t4`.`s`,
        8 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c8` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t4`
    ) AS `t9`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t5`.`w`,
        `t5`.`blk`,
        `t5`.`code`,
        `t5`.`n`,
        `t5`.`n_lab`,
        `t5`.`s`,
        9 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c9` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t5`
    ) AS `t10`
  ) AS `t12`
) AS `t13`

-- [7/12]
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t1`.`w`,
        `t1`.`blk`,
        `t1`.`code`,
        `t1`.`n`,
        `t1`.`n_lab`,
        `t1`.`s`,
        0 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c0` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t1`
    ) AS `t9`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t2`.`w`,
        `t2`.`blk`,
        `t2`.`code`,
        `t2`.`n`,
        `t2`.`n_lab`,
        `t2`.`s`,
        1 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c1` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t2`
    ) AS `t10`
  ) AS `t17`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t3`.`w`,
        `t3`.`blk`,
        `t3`.`code`,
        `t3`.`n`,
        `t3`.`n_lab`,
        `t3`.`s`,
        2 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c2` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t3`
    ) AS `t11`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t4`.`w`,
        `t4`.`blk`,
        `t4`.`code`,
        `t4`.`n`,
        `t4`.`n_lab`,
        `t4`.`s`,
        3 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c3` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t4`
    ) AS `t12`
  ) AS `t18`
) AS `t21`
UNION ALL
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t5`.`w`,
        `t5`.`blk`,
        `t5`.`code`,
        `t5`.`n`,
        `t5`.`n_lab`,
        `t5`.`s`,
        4 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c4` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t5`
    ) AS `t13`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t6`.`w`,
        `t6`.`blk`,
        `t6`.`code`,
        `t6`.`n`,
        `t6`.`n_lab`,
        `t6`.`s`,
        5 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c5` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t6`
    ) AS `t14`
  ) AS `t19`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t7`.`w`,
        `t7`.`blk`,
        `t7`.`code`,
        `t7`.`n`,
        `t7`.`n_lab`,
        `t7`.`s`,
        6 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c6` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t7`
    ) AS `t15`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t8`.`w`,
        `t8`.`blk`,
        `t8`.`code`,
        `t8`.`n`,
        `t8`.`n_lab`,
        `t8`.`s`,
        7 AS `feature`
      FROM (
        SELECT
          `t0`.`w`,
          `t0`.`blk`,
          `t0`.`c7` AS `code`,
          COUNT(*) AS `n`,
          COUNT(`t0`.`v`) AS `n_lab`,
          SUM(`t0`.`v`) AS `s`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1,
          2,
          3
      ) AS `t8`
    ) AS `t16`
  ) AS `t20`
) AS `t22`

-- [8/12]
SELECT
  `t4`.`w`,
  `t4`.`b`,
  COUNT(*) AS `n`,
  SUM(CAST(`t4`.`prediction` = 1 AS BIGINT)) AS `pp`,
  SUM(
    CAST(NOT `t4`.`label` IS NULL AND NOT ISNAN(`t4`.`label`) AND (
      `t4`.`label` = 1
    ) AS BIGINT)
  ) AS `pos`,
  SUM(
    CAST(NOT `t4`.`label` IS NULL AND NOT ISNAN(`t4`.`label`) AND (
      `t4`.`label` = 0
    ) AS BIGINT)
  ) AS `neg`
FROM (
  SELECT
    `t3`.`prediction_id`,
    `t3`.`timestamp`,
    `t3`.`model_version`,
    `t3`.`prediction`,
    `t3`.`score`,
    `t3`.`latency_ms`,
    `t3`.`trace_id`,
    `t3`.`error`,
    `t3`.`metadata`,
    `t3`.`label`,
    `t3`.`label_timestamp`,
    `t3`.`cpu_ms`,
    `t3`.`wall_ms`,
    `t3`.`rss_peak_mb`,
    `t3`.`rss_peak_delta_mb`,
    `t3`.`gpu_memory_mb`,
    `t3`.`gpu_utilization`,
    `t3`.`batch_rows`,
    `t3`.`input_values`,
    `t3`.`age`,
    `t3`.`income`,
    `t3`.`debt_to_income`,
    `t3`.`credit_utilization`,
    `t3`.`loan_amount`,
    `t3`.`loan_term_months`,
    `t3`.`num_credit_lines`,
    `t3`.`employment_years`,
    `t3`.`region`,
    `t3`.`employment`,
    `t3`.`purpose`,
    `t3`.`channel`,
    `t3`.`home_ownership`,
    `t3`.`w`,
    CAST(`t3`.`prediction` <> `t3`.`label` AS DOUBLE) AS `v`,
    CAST(UNIX_TIMESTAMP(CAST(`t3`.`timestamp` AS TIMESTAMP)) AS DOUBLE) AS `t`,
    CAST(IF(`t3`.`score` >= 1, 99, CAST(FLOOR(`t3`.`score` * 100) AS BIGINT)) AS SMALLINT) AS `b`
  FROM (
    SELECT
      *
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
        0 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t1`
    UNION ALL
    SELECT
      *
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
        1 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t2`
  ) AS `t3`
  WHERE
    (
      NOT `t3`.`prediction` IS NULL AND NOT ISNAN(`t3`.`prediction`)
    )
    AND (
      NOT `t3`.`score` IS NULL AND NOT ISNAN(`t3`.`score`)
    )
) AS `t4`
GROUP BY
  1,
  2

-- [9/12]
SELECT
  COUNT(*) AS `CountStar()`
FROM (
  SELECT
    `t3`.`age`,
    `t3`.`income`,
    `t3`.`debt_to_income`,
    `t3`.`credit_utilization`,
    `t3`.`loan_amount`,
    `t3`.`loan_term_months`,
    `t3`.`num_credit_lines`,
    `t3`.`employment_years`,
    `t3`.`region`,
    `t3`.`employment`,
    `t3`.`purpose`,
    `t3`.`channel`,
    `t3`.`home_ownership`,
    CAST(`t3`.`prediction` <> `t3`.`label` AS DOUBLE) AS `v`
  FROM (
    SELECT
      *
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
        0 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t1`
    UNION ALL
    SELECT
      *
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
        1 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t2`
  ) AS `t3`
  WHERE
    (
      NOT `t3`.`prediction` IS NULL AND NOT ISNAN(`t3`.`prediction`)
    )
    AND `t3`.`w` = 0
) AS `t4`

-- [10/12]
-- does not compile for Spark: `Table.sample` with a random seed is unsupported for this backend

-- [11/12]
SELECT
  COUNT(*) AS `CountStar()`
FROM (
  SELECT
    `t3`.`age`,
    `t3`.`income`,
    `t3`.`debt_to_income`,
    `t3`.`credit_utilization`,
    `t3`.`loan_amount`,
    `t3`.`loan_term_months`,
    `t3`.`num_credit_lines`,
    `t3`.`employment_years`,
    `t3`.`region`,
    `t3`.`employment`,
    `t3`.`purpose`,
    `t3`.`channel`,
    `t3`.`home_ownership`,
    CAST(`t3`.`prediction` <> `t3`.`label` AS DOUBLE) AS `v`
  FROM (
    SELECT
      *
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
        0 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-01-05T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-01-08T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t1`
    UNION ALL
    SELECT
      *
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
        1 AS `w`
      FROM `main`.`credit` AS `t0`
      WHERE
        `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
        AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    ) AS `t2`
  ) AS `t3`
  WHERE
    (
      NOT `t3`.`prediction` IS NULL AND NOT ISNAN(`t3`.`prediction`)
    )
    AND `t3`.`w` = 1
) AS `t4`

-- [12/12]
-- does not compile for Spark: `Table.sample` with a random seed is unsupported for this backend
