-- [1/1]
SELECT
  `t2`.`prediction_id`,
  `t2`.`timestamp`,
  `t2`.`model_version`,
  `t2`.`score`,
  `t2`.`prediction`,
  `t2`.`label`,
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
  `t2`.`home_ownership`
FROM (
  SELECT
    *
  FROM `main`.`credit` AS `t0`
  WHERE
    `t0`.`timestamp` >= CAST('2026-01-12T00:00:00+00:00' AS TIMESTAMP)
    AND `t0`.`timestamp` < CAST('2026-01-19T00:00:00+00:00' AS TIMESTAMP)
  ORDER BY
    HASH(`t0`.`prediction_id`) ASC NULLS LAST
  LIMIT 50
) AS `t2`
