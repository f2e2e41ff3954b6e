-- [1/8]
SELECT
  COUNT(*) AS `n`,
  SUM(`t1`.`l`) AS `s1`,
  SUM(`t1`.`l` * `t1`.`l`) AS `s2`,
  MAX(`t1`.`l`) AS `emax`
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
    CAST(IF(
      `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
      `t0`.`prediction`,
      CAST(`t0`.`score` >= 0.5 AS DOUBLE)
    ) <> `t0`.`label` AS DOUBLE) AS `l`
  FROM `main`.`credit` AS `t0`
  WHERE
    `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
    AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
    AND (
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
    )
    AND (
      NOT `t0`.`label` IS NULL AND NOT ISNAN(`t0`.`label`)
    )
    AND (
      NOT CAST(IF(
        `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
        `t0`.`prediction`,
        CAST(`t0`.`score` >= 0.5 AS DOUBLE)
      ) <> `t0`.`label` AS DOUBLE) IS NULL
      AND NOT ISNAN(
        CAST(IF(
          `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
          `t0`.`prediction`,
          CAST(`t0`.`score` >= 0.5 AS DOUBLE)
        ) <> `t0`.`label` AS DOUBLE)
      )
    )
) AS `t1`

-- [2/8]
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

-- [3/8]
SELECT
  BOOL_OR(`t1`.`age` IS NULL OR ISNAN(`t1`.`age`)) AS `m0`,
  BOOL_OR(`t1`.`income` IS NULL OR ISNAN(`t1`.`income`)) AS `m1`,
  BOOL_OR(`t1`.`debt_to_income` IS NULL OR ISNAN(`t1`.`debt_to_income`)) AS `m2`,
  BOOL_OR(`t1`.`credit_utilization` IS NULL OR ISNAN(`t1`.`credit_utilization`)) AS `m3`,
  BOOL_OR(`t1`.`loan_amount` IS NULL OR ISNAN(`t1`.`loan_amount`)) AS `m4`,
  BOOL_OR(`t1`.`loan_term_months` IS NULL OR ISNAN(`t1`.`loan_term_months`)) AS `m5`,
  BOOL_OR(`t1`.`num_credit_lines` IS NULL OR ISNAN(`t1`.`num_credit_lines`)) AS `m6`,
  BOOL_OR(`t1`.`employment_years` IS NULL OR ISNAN(`t1`.`employment_years`)) AS `m7`,
  BOOL_OR(NOT `t1`.`age` IS NULL AND NOT ISNAN(`t1`.`age`)) AS `v0`,
  BOOL_OR(NOT `t1`.`income` IS NULL AND NOT ISNAN(`t1`.`income`)) AS `v1`,
  BOOL_OR(NOT `t1`.`debt_to_income` IS NULL AND NOT ISNAN(`t1`.`debt_to_income`)) AS `v2`,
  BOOL_OR(NOT `t1`.`credit_utilization` IS NULL AND NOT ISNAN(`t1`.`credit_utilization`)) AS `v3`,
  BOOL_OR(NOT `t1`.`loan_amount` IS NULL AND NOT ISNAN(`t1`.`loan_amount`)) AS `v4`,
  BOOL_OR(NOT `t1`.`loan_term_months` IS NULL AND NOT ISNAN(`t1`.`loan_term_months`)) AS `v5`,
  BOOL_OR(NOT `t1`.`num_credit_lines` IS NULL AND NOT ISNAN(`t1`.`num_credit_lines`)) AS `v6`,
  BOOL_OR(NOT `t1`.`employment_years` IS NULL AND NOT ISNAN(`t1`.`employment_years`)) AS `v7`
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
  WHERE
    `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
    AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
) AS `t1`

-- [4/8]
WITH `_diaglab_rows` AS (
  SELECT
    `t0`.`region`,
    `t0`.`employment`,
    `t0`.`purpose`,
    `t0`.`channel`,
    `t0`.`home_ownership`
  FROM `main`.`credit` AS `t0`
  WHERE
    `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
    AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
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

-- [5/8]
SELECT
  CAST(CASE
    WHEN `t0`.`age` IS NULL OR ISNAN(`t0`.`age`)
    THEN -1
    WHEN `t0`.`age` < 32.0
    THEN 0
    WHEN `t0`.`age` < 40.0
    THEN 1
    WHEN `t0`.`age` < 46.0
    THEN 2
    WHEN `t0`.`age` < 55.0
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c0`,
  CAST(CASE
    WHEN `t0`.`income` IS NULL OR ISNAN(`t0`.`income`)
    THEN -1
    WHEN `t0`.`income` < 31000.0
    THEN 0
    WHEN `t0`.`income` < 43000.0
    THEN 1
    WHEN `t0`.`income` < 56000.0
    THEN 2
    WHEN `t0`.`income` < 76000.0
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c1`,
  CAST(CASE
    WHEN `t0`.`debt_to_income` IS NULL OR ISNAN(`t0`.`debt_to_income`)
    THEN -1
    WHEN `t0`.`debt_to_income` < 0.16
    THEN 0
    WHEN `t0`.`debt_to_income` < 0.24
    THEN 1
    WHEN `t0`.`debt_to_income` < 0.32
    THEN 2
    WHEN `t0`.`debt_to_income` < 0.42
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c2`,
  CAST(CASE
    WHEN `t0`.`credit_utilization` IS NULL OR ISNAN(`t0`.`credit_utilization`)
    THEN -1
    WHEN `t0`.`credit_utilization` < 0.2
    THEN 0
    WHEN `t0`.`credit_utilization` < 0.32
    THEN 1
    WHEN `t0`.`credit_utilization` < 0.43
    THEN 2
    WHEN `t0`.`credit_utilization` < 0.56
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c3`,
  CAST(CASE
    WHEN `t0`.`loan_amount` IS NULL OR ISNAN(`t0`.`loan_amount`)
    THEN -1
    WHEN `t0`.`loan_amount` < 6800.0
    THEN 0
    WHEN `t0`.`loan_amount` < 10000.0
    THEN 1
    WHEN `t0`.`loan_amount` < 14000.0
    THEN 2
    WHEN `t0`.`loan_amount` < 22000.0
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c4`,
  CAST(CASE
    WHEN `t0`.`loan_term_months` IS NULL OR ISNAN(`t0`.`loan_term_months`)
    THEN -1
    WHEN `t0`.`loan_term_months` < 24.0
    THEN 0
    WHEN `t0`.`loan_term_months` < 36.0
    THEN 1
    WHEN `t0`.`loan_term_months` < 60.0
    THEN 2
    ELSE 3
  END AS SMALLINT) AS `c5`,
  CAST(CASE
    WHEN `t0`.`num_credit_lines` IS NULL OR ISNAN(`t0`.`num_credit_lines`)
    THEN -1
    WHEN `t0`.`num_credit_lines` < 5.0
    THEN 0
    WHEN `t0`.`num_credit_lines` < 6.0
    THEN 1
    WHEN `t0`.`num_credit_lines` < 7.0
    THEN 2
    WHEN `t0`.`num_credit_lines` < 9.0
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c6`,
  CAST(CASE
    WHEN `t0`.`employment_years` IS NULL OR ISNAN(`t0`.`employment_years`)
    THEN -1
    WHEN `t0`.`employment_years` < 2.3
    THEN 0
    WHEN `t0`.`employment_years` < 5.0
    THEN 1
    WHEN `t0`.`employment_years` < 8.0
    THEN 2
    WHEN `t0`.`employment_years` < 13.0
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c7`,
  CAST(CASE
    WHEN `t0`.`region` IS NULL
    THEN -1
    WHEN `t0`.`region` = 'north'
    THEN 0
    WHEN `t0`.`region` = 'south'
    THEN 1
    WHEN `t0`.`region` = 'east'
    THEN 2
    WHEN `t0`.`region` = 'west'
    THEN 3
    WHEN `t0`.`region` = 'central'
    THEN 4
    ELSE 5
  END AS SMALLINT) AS `c8`,
  CAST(CASE
    WHEN `t0`.`employment` IS NULL
    THEN -1
    WHEN `t0`.`employment` = 'employed'
    THEN 0
    WHEN `t0`.`employment` = 'self_employed'
    THEN 1
    WHEN `t0`.`employment` = 'retired'
    THEN 2
    WHEN `t0`.`employment` = 'unemployed'
    THEN 3
    WHEN `t0`.`employment` = 'student'
    THEN 4
    ELSE 5
  END AS SMALLINT) AS `c9`,
  CAST(CASE
    WHEN `t0`.`purpose` IS NULL
    THEN -1
    WHEN `t0`.`purpose` = 'debt_consolidation'
    THEN 0
    WHEN `t0`.`purpose` = 'other'
    THEN 1
    WHEN `t0`.`purpose` = 'car'
    THEN 2
    WHEN `t0`.`purpose` = 'home_improvement'
    THEN 3
    WHEN `t0`.`purpose` = 'small_business'
    THEN 4
    WHEN `t0`.`purpose` = 'education'
    THEN 5
    WHEN `t0`.`purpose` = 'medical'
    THEN 6
    ELSE 7
  END AS SMALLINT) AS `c10`,
  CAST(CASE
    WHEN `t0`.`channel` IS NULL
    THEN -1
    WHEN `t0`.`channel` = 'web'
    THEN 0
    WHEN `t0`.`channel` = 'mobile'
    THEN 1
    WHEN `t0`.`channel` = 'branch'
    THEN 2
    WHEN `t0`.`channel` = 'partner_api'
    THEN 3
    WHEN `t0`.`channel` = 'broker'
    THEN 4
    ELSE 5
  END AS SMALLINT) AS `c11`,
  CAST(CASE
    WHEN `t0`.`home_ownership` IS NULL
    THEN -1
    WHEN `t0`.`home_ownership` = 'mortgage'
    THEN 0
    WHEN `t0`.`home_ownership` = 'rent'
    THEN 1
    WHEN `t0`.`home_ownership` = 'own'
    THEN 2
    WHEN `t0`.`home_ownership` = 'other'
    THEN 3
    ELSE 4
  END AS SMALLINT) AS `c12`,
  CAST(IF(
    `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
    `t0`.`prediction`,
    CAST(`t0`.`score` >= 0.5 AS DOUBLE)
  ) <> `t0`.`label` AS DOUBLE) AS `l`
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
  AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
  AND (
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
  )
  AND (
    NOT `t0`.`label` IS NULL AND NOT ISNAN(`t0`.`label`)
  )
  AND (
    NOT CAST(IF(
      `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
      `t0`.`prediction`,
      CAST(`t0`.`score` >= 0.5 AS DOUBLE)
    ) <> `t0`.`label` AS DOUBLE) IS NULL
    AND NOT ISNAN(
      CAST(IF(
        `t0`.`score` IS NULL OR ISNAN(`t0`.`score`),
        `t0`.`prediction`,
        CAST(`t0`.`score` >= 0.5 AS DOUBLE)
      ) <> `t0`.`label` AS DOUBLE)
    )
  )

-- [6/8]
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
        10 AS `block`,
        `t1`.`k0`,
        `t1`.`n`,
        `t1`.`s1`,
        `t1`.`s2`,
        `t1`.`emax`
      FROM (
        SELECT
          `t0`.`c10` AS `k0`,
          COUNT(*) AS `n`,
          SUM(`t0`.`l`) AS `s1`,
          SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
          MAX(`t0`.`l`) AS `emax`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1
      ) AS `t1`
    ) AS `t14`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        11 AS `block`,
        `t2`.`k0`,
        `t2`.`n`,
        `t2`.`s1`,
        `t2`.`s2`,
        `t2`.`emax`
      FROM (
        SELECT
          `t0`.`c11` AS `k0`,
          COUNT(*) AS `n`,
          SUM(`t0`.`l`) AS `s1`,
          SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
          MAX(`t0`.`l`) AS `emax`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1
      ) AS `t2`
    ) AS `t15`
  ) AS `t27`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        12 AS `block`,
        `t3`.`k0`,
        `t3`.`n`,
        `t3`.`s1`,
        `t3`.`s2`,
        `t3`.`emax`
      FROM (
        SELECT
          `t0`.`c12` AS `k0`,
          COUNT(*) AS `n`,
          SUM(`t0`.`l`) AS `s1`,
          SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
          MAX(`t0`.`l`) AS `emax`
        FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
        GROUP BY
          1
      ) AS `t3`
    ) AS `t16`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          0 AS `block`,
          `t4`.`k0`,
          `t4`.`n`,
          `t4`.`s1`,
          `t4`.`s2`,
          `t4`.`emax`
        FROM (
          SELECT
            `t0`.`c0` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t4`
      ) AS `t17`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          1 AS `block`,
          `t5`.`k0`,
          `t5`.`n`,
          `t5`.`s1`,
          `t5`.`s2`,
          `t5`.`emax`
        FROM (
          SELECT
            `t0`.`c1` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t5`
      ) AS `t18`
    ) AS `t28`
  ) AS `t33`
) AS `t36`
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
        *
      FROM (
        SELECT
          2 AS `block`,
          `t6`.`k0`,
          `t6`.`n`,
          `t6`.`s1`,
          `t6`.`s2`,
          `t6`.`emax`
        FROM (
          SELECT
            `t0`.`c2` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t6`
      ) AS `t19`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          3 AS `block`,
          `t7`.`k0`,
          `t7`.`n`,
          `t7`.`s1`,
          `t7`.`s2`,
          `t7`.`emax`
        FROM (
          SELECT
            `t0`.`c3` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t7`
      ) AS `t20`
    ) AS `t29`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          4 AS `block`,
          `t8`.`k0`,
          `t8`.`n`,
          `t8`.`s1`,
          `t8`.`s2`,
          `t8`.`emax`
        FROM (
          SELECT
            `t0`.`c4` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t8`
      ) AS `t21`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          5 AS `block`,
          `t9`.`k0`,
          `t9`.`n`,
          `t9`.`s1`,
          `t9`.`s2`,
          `t9`.`emax`
        FROM (
          SELECT
            `t0`.`c5` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t9`
      ) AS `t22`
    ) AS `t30`
  ) AS `t34`
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
          6 AS `block`,
          `t10`.`k0`,
          `t10`.`n`,
          `t10`.`s1`,
          `t10`.`s2`,
          `t10`.`emax`
        FROM (
          SELECT
            `t0`.`c6` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t10`
      ) AS `t23`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          7 AS `block`,
          `t11`.`k0`,
          `t11`.`n`,
          `t11`.`s1`,
          `t11`.`s2`,
          `t11`.`emax`
        FROM (
          SELECT
            `t0`.`c7` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t11`
      ) AS `t24`
    ) AS `t31`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          8 AS `block`,
          `t12`.`k0`,
          `t12`.`n`,
          `t12`.`s1`,
          `t12`.`s2`,
          `t12`.`emax`
        FROM (
          SELECT
            `t0`.`c8` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t12`
      ) AS `t25`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          9 AS `block`,
          `t13`.`k0`,
          `t13`.`n`,
          `t13`.`s1`,
          `t13`.`s2`,
          `t13`.`emax`
        FROM (
          SELECT
            `t0`.`c9` AS `k0`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1
        ) AS `t13`
      ) AS `t26`
    ) AS `t32`
  ) AS `t35`
) AS `t37`

-- [7/8]
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
        *
      FROM (
        SELECT
          2 AS `block`,
          `t1`.`k0`,
          `t1`.`k1`,
          `t1`.`k2`,
          `t1`.`k3`,
          `t1`.`n`,
          `t1`.`s1`,
          `t1`.`s2`,
          `t1`.`emax`
        FROM (
          SELECT
            `t0`.`c0` AS `k0`,
            `t0`.`c7` AS `k1`,
            `t0`.`c8` AS `k2`,
            `t0`.`c9` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t1`
      ) AS `t18`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          3 AS `block`,
          `t2`.`k0`,
          `t2`.`k1`,
          `t2`.`k2`,
          `t2`.`k3`,
          `t2`.`n`,
          `t2`.`s1`,
          `t2`.`s2`,
          `t2`.`emax`
        FROM (
          SELECT
            `t0`.`c0` AS `k0`,
            `t0`.`c10` AS `k1`,
            `t0`.`c11` AS `k2`,
            `t0`.`c12` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t2`
      ) AS `t19`
    ) AS `t35`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          4 AS `block`,
          `t3`.`k0`,
          `t3`.`k1`,
          `t3`.`k2`,
          `t3`.`k3`,
          `t3`.`n`,
          `t3`.`s1`,
          `t3`.`s2`,
          `t3`.`emax`
        FROM (
          SELECT
            `t0`.`c1` AS `k0`,
            `t0`.`c4` AS `k1`,
            `t0`.`c7` AS `k2`,
            `t0`.`c10` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t3`
      ) AS `t20`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          5 AS `block`,
          `t4`.`k0`,
          `t4`.`k1`,
          `t4`.`k2`,
          `t4`.`k3`,
          `t4`.`n`,
          `t4`.`s1`,
          `t4`.`s2`,
          `t4`.`emax`
        FROM (
          SELECT
            `t0`.`c1` AS `k0`,
            `t0`.`c5` AS `k1`,
            `t0`.`c8` AS `k2`,
            `t0`.`c11` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t4`
      ) AS `t21`
    ) AS `t36`
  ) AS `t43`
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
          6 AS `block`,
          `t5`.`k0`,
          `t5`.`k1`,
          `t5`.`k2`,
          `t5`.`k3`,
          `t5`.`n`,
          `t5`.`s1`,
          `t5`.`s2`,
          `t5`.`emax`
        FROM (
          SELECT
            `t0`.`c1` AS `k0`,
            `t0`.`c6` AS `k1`,
            `t0`.`c9` AS `k2`,
            `t0`.`c12` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t5`
      ) AS `t22`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          7 AS `block`,
          `t6`.`k0`,
          `t6`.`k1`,
          `t6`.`k2`,
          `t6`.`k3`,
          `t6`.`n`,
          `t6`.`s1`,
          `t6`.`s2`,
          `t6`.`emax`
        FROM (
          SELECT
            `t0`.`c2` AS `k0`,
            `t0`.`c4` AS `k1`,
            `t0`.`c8` AS `k2`,
            `t0`.`c12` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t6`
      ) AS `t23`
    ) AS `t37`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          8 AS `block`,
          `t7`.`k0`,
          `t7`.`k1`,
          `t7`.`k2`,
          `t7`.`k3`,
          `t7`.`n`,
          `t7`.`s1`,
          `t7`.`s2`,
          `t7`.`emax`
        FROM (
          SELECT
            `t0`.`c2` AS `k0`,
            `t0`.`c3` AS `k1`,
            `t0`.`c5` AS `k2`,
            `t0`.`c7` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t7`
      ) AS `t24`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          9 AS `block`,
          `t8`.`k0`,
          `t8`.`k1`,
          `t8`.`k2`,
          `t8`.`k3`,
          `t8`.`n`,
          `t8`.`s1`,
          `t8`.`s2`,
          `t8`.`emax`
        FROM (
          SELECT
            `t0`.`c2` AS `k0`,
            `t0`.`c3` AS `k1`,
            `t0`.`c6` AS `k2`,
            `t0`.`c10` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t8`
      ) AS `t25`
    ) AS `t38`
  ) AS `t44`
) AS `t47`
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
        *
      FROM (
        SELECT
          10 AS `block`,
          `t9`.`k0`,
          `t9`.`k1`,
          `t9`.`k2`,
          `t9`.`k3`,
          `t9`.`n`,
          `t9`.`s1`,
          `t9`.`s2`,
          `t9`.`emax`
        FROM (
          SELECT
            `t0`.`c2` AS `k0`,
            `t0`.`c3` AS `k1`,
            `t0`.`c9` AS `k2`,
            `t0`.`c11` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t9`
      ) AS `t26`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          11 AS `block`,
          `t10`.`k0`,
          `t10`.`k1`,
          `t10`.`k2`,
          `t10`.`k3`,
          `t10`.`n`,
          `t10`.`s1`,
          `t10`.`s2`,
          `t10`.`emax`
        FROM (
          SELECT
            `t0`.`c3` AS `k0`,
            `t0`.`c4` AS `k1`,
            `t0`.`c6` AS `k2`,
            `t0`.`c8` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t10`
      ) AS `t27`
    ) AS `t39`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          12 AS `block`,
          `t11`.`k0`,
          `t11`.`k1`,
          `t11`.`k2`,
          `t11`.`k3`,
          `t11`.`n`,
          `t11`.`s1`,
          `t11`.`s2`,
          `t11`.`emax`
        FROM (
          SELECT
            `t0`.`c3` AS `k0`,
            `t0`.`c5` AS `k1`,
            `t0`.`c9` AS `k2`,
            `t0`.`c12` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t11`
      ) AS `t28`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          13 AS `block`,
          `t12`.`k0`,
          `t12`.`k1`,
          `t12`.`k2`,
          `t12`.`k3`,
          `t12`.`n`,
          `t12`.`s1`,
          `t12`.`s2`,
          `t12`.`emax`
        FROM (
          SELECT
            `t0`.`c4` AS `k0`,
            `t0`.`c8` AS `k1`,
            `t0`.`c9` AS `k2`,
            `t0`.`c10` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t12`
      ) AS `t29`
    ) AS `t40`
  ) AS `t45`
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
          14 AS `block`,
          `t13`.`k0`,
          `t13`.`k1`,
          `t13`.`k2`,
          `t13`.`k3`,
          `t13`.`n`,
          `t13`.`s1`,
          `t13`.`s2`,
          `t13`.`emax`
        FROM (
          SELECT
            `t0`.`c4` AS `k0`,
            `t0`.`c6` AS `k1`,
            `t0`.`c7` AS `k2`,
            `t0`.`c11` AS `k3`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2,
            3,
            4
        ) AS `t13`
      ) AS `t30`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          15 AS `block`,
          `t14`.`k0`,
          `t14`.`k1`,
          CAST(NULL AS SMALLINT) AS `k2`,
          CAST(NULL AS SMALLINT) AS `k3`,
          `t14`.`n`,
          `t14`.`s1`,
          `t14`.`s2`,
          `t14`.`emax`
        FROM (
          SELECT
            `t0`.`c5` AS `k0`,
            `t0`.`c10` AS `k1`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2
        ) AS `t14`
      ) AS `t31`
    ) AS `t41`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          16 AS `block`,
          `t15`.`k0`,
          `t15`.`k1`,
          CAST(NULL AS SMALLINT) AS `k2`,
          CAST(NULL AS SMALLINT) AS `k3`,
          `t15`.`n`,
          `t15`.`s1`,
          `t15`.`s2`,
          `t15`.`emax`
        FROM (
          SELECT
            `t0`.`c7` AS `k0`,
            `t0`.`c12` AS `k1`,
            COUNT(*) AS `n`,
            SUM(`t0`.`l`) AS `s1`,
            SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
            MAX(`t0`.`l`) AS `emax`
          FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
          GROUP BY
            1,
            2
        ) AS `t15`
      ) AS `t32`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            0 AS `block`,
            `t16`.`k0`,
            `t16`.`k1`,
            `t16`.`k2`,
            `t16`.`k3`,
            `t16`.`n`,
            `t16`.`s1`,
            `t16`.`s2`,
            `t16`.`emax`
          FROM (
            SELECT
              `t0`.`c0` AS `k0`,
              `t0`.`c1` AS `k1`,
              `t0`.`c2` AS `k2`,
              `t0`.`c3` AS `k3`,
              COUNT(*) AS `n`,
              SUM(`t0`.`l`) AS `s1`,
              SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
              MAX(`t0`.`l`) AS `emax`
            FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
            GROUP BY
              1,
              2,
              3,
              4
          ) AS `t16`
        ) AS `t33`
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            1 AS `block`,
            `t17`.`k0`,
            `t17`.`k1`,
            `t17`.`k2`,
            `t17`.`k3`,
            `t17`.`n`,
            `t17`.`s1`,
            `t17`.`s2`,
            `t17`.`emax`
          FROM (
            SELECT
              `t0`.`c0` AS `k0`,
              `t0`.`c4` AS `k1`,
              `t0`.`c5` AS `k2`,
              `t0`.`c6` AS `k3`,
              COUNT(*) AS `n`,
              SUM(`t0`.`l`) AS `s1`,
              SUM(`t0`.`l` * `t0`.`l`) AS `s2`,
              MAX(`t0`.`l`) AS `emax`
            FROM `temp`.`main`.`_diaglab_tmp` AS `t0`
            GROUP BY
              1,
              2,
              3,
              4
          ) AS `t17`
        ) AS `t34`
      ) AS `t42`
    ) AS `t46`
  ) AS `t48`
) AS `t49`

-- [8/8]
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      `t7`.`rows`,
      4 AS `i`
    FROM (
      SELECT
        COUNT(*) AS `rows`
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
        WHERE
          `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
          AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
          AND `t0`.`employment_years` < 2.3
      ) AS `t1`
    ) AS `t7`
  ) AS `t13`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      `t8`.`rows`,
      -1 AS `i`
    FROM (
      SELECT
        COUNT(*) AS `rows`
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
        WHERE
          `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
          AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
      ) AS `t2`
    ) AS `t8`
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
      *
    FROM (
      SELECT
        `t9`.`rows`,
        0 AS `i`
      FROM (
        SELECT
          COUNT(*) AS `rows`
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
          WHERE
            `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`region` = 'north'
            AND `t0`.`employment` = 'self_employed'
        ) AS `t3`
      ) AS `t9`
    ) AS `t15`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t10`.`rows`,
        1 AS `i`
      FROM (
        SELECT
          COUNT(*) AS `rows`
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
          WHERE
            `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`income` < 31000.0
        ) AS `t4`
      ) AS `t10`
    ) AS `t16`
  ) AS `t20`
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t11`.`rows`,
        2 AS `i`
      FROM (
        SELECT
          COUNT(*) AS `rows`
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
          WHERE
            `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`region` = 'north'
        ) AS `t5`
      ) AS `t11`
    ) AS `t17`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        `t12`.`rows`,
        3 AS `i`
      FROM (
        SELECT
          COUNT(*) AS `rows`
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
          WHERE
            `t0`.`timestamp` >= CAST('2026-02-10T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`timestamp` < CAST('2026-03-02T00:00:00+00:00' AS TIMESTAMP)
            AND `t0`.`age` < 32.0
            AND `t0`.`employment_years` < 2.3
        ) AS `t6`
      ) AS `t12`
    ) AS `t18`
  ) AS `t21`
) AS `t22`
