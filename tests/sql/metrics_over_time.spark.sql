-- [1/3]
SELECT
  BOOL_OR(NOT `t0`.`score` IS NULL AND NOT ISNAN(`t0`.`score`)) AS `Any(NotNull(score))`
FROM `main`.`credit` AS `t0`

-- [2/3]
SELECT
  MIN(`t0`.`timestamp`) AS `lo`,
  MAX(`t0`.`timestamp`) AS `hi`
FROM `main`.`credit` AS `t0`

-- [3/3]
SELECT
  `t2`.`_s`,
  `t2`.`_w`,
  `t2`.`model_version`,
  `t2`.`score_bin`,
  `t2`.`prediction`,
  `t2`.`label`,
  COUNT(*) AS `n`,
  SUM(`t2`.`score`) AS `s1`,
  SUM(`t2`.`score` * `t2`.`score`) AS `s2`,
  SUM(`t2`.`_brier`) AS `b1`,
  SUM(`t2`.`_brier` * `t2`.`_brier`) AS `b2`,
  SUM(`t2`.`_loss`) AS `l1`,
  SUM(`t2`.`_loss` * `t2`.`_loss`) AS `l2`
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
    `t1`.`_s`,
    `t1`.`_w`,
    CAST(IF(
      NOT `t1`.`score` IS NULL
      AND NOT ISNAN(`t1`.`score`)
      AND (
        NOT `t1`.`prediction` IS NULL AND NOT ISNAN(`t1`.`prediction`)
      ),
      LEAST(CAST(FLOOR(`t1`.`score` * 100) AS BIGINT), 99),
      CAST(NULL AS DOUBLE)
    ) AS SMALLINT) AS `score_bin`,
    IF(
      NOT `t1`.`score` IS NULL
      AND NOT ISNAN(`t1`.`score`)
      AND (
        NOT `t1`.`prediction` IS NULL AND NOT ISNAN(`t1`.`prediction`)
      )
      AND (
        NOT `t1`.`label` IS NULL AND NOT ISNAN(`t1`.`label`)
      ),
      -(
        LN(
          IF(
            `t1`.`label` = 1,
            IF(
              IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`)) IS NULL,
              IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`)),
              GREATEST(
                2.220446049250313e-16,
                IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`))
              )
            ),
            1 - IF(
              IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`)) IS NULL,
              IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`)),
              GREATEST(
                2.220446049250313e-16,
                IF(`t1`.`score` IS NULL, `t1`.`score`, LEAST(0.9999999999999998, `t1`.`score`))
              )
            )
          )
        )
      ),
      CAST(NULL AS DOUBLE)
    ) AS `_loss`,
    IF(
      NOT `t1`.`score` IS NULL
      AND NOT ISNAN(`t1`.`score`)
      AND (
        NOT `t1`.`prediction` IS NULL AND NOT ISNAN(`t1`.`prediction`)
      )
      AND (
        NOT `t1`.`label` IS NULL AND NOT ISNAN(`t1`.`label`)
      ),
      (
        `t1`.`score` - `t1`.`label`
      ) * (
        `t1`.`score` - `t1`.`label`
      ),
      CAST(NULL AS DOUBLE)
    ) AS `_brier`
  FROM (
    SELECT
      `t0`.`prediction_id`,
      `t0`.`timestamp`,
      `t0`.`model_version`,
      `t0`.`prediction`,
      `t0`.`score`,
      `t0`.`latency_ms`,
      `t0`.`trace_id`,
      `t0`.`error`,
      `t0`.`metadata`,
      `t0`.`label`,
      `t0`.`label_timestamp`,
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
      'all' AS `_s`,
      CAST(FLOOR((
        EPOCH_US(`t0`.`timestamp`) - 1767225600000000
      ) / (
        604800000000
      )) AS BIGINT) AS `_w`
    FROM `main`.`credit` AS `t0`
  ) AS `t1`
) AS `t2`
GROUP BY
  1,
  2,
  3,
  4,
  5,
  6
