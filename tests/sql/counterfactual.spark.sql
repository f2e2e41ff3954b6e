-- [1/8]
SELECT
  *
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`prediction_id` = 'p0-000000003'
LIMIT 1

-- [2/8]
SELECT DISTINCT
  `t0`.`model_version`
FROM `reference`.`credit` AS `t0`

-- [3/8]
SELECT
  PERCENTILE(`t1`.`age`, 0.1) AS `q0_0`,
  PERCENTILE(`t1`.`age`, 0.2) AS `q0_1`,
  PERCENTILE(`t1`.`age`, 0.3) AS `q0_2`,
  PERCENTILE(`t1`.`age`, 0.4) AS `q0_3`,
  PERCENTILE(`t1`.`age`, 0.5) AS `q0_4`,
  PERCENTILE(`t1`.`age`, 0.6) AS `q0_5`,
  PERCENTILE(`t1`.`age`, 0.7) AS `q0_6`,
  PERCENTILE(`t1`.`age`, 0.8) AS `q0_7`,
  PERCENTILE(`t1`.`age`, 0.9) AS `q0_8`,
  PERCENTILE(`t1`.`income`, 0.1) AS `q1_0`,
  PERCENTILE(`t1`.`income`, 0.2) AS `q1_1`,
  PERCENTILE(`t1`.`income`, 0.3) AS `q1_2`,
  PERCENTILE(`t1`.`income`, 0.4) AS `q1_3`,
  PERCENTILE(`t1`.`income`, 0.5) AS `q1_4`,
  PERCENTILE(`t1`.`income`, 0.6) AS `q1_5`,
  PERCENTILE(`t1`.`income`, 0.7) AS `q1_6`,
  PERCENTILE(`t1`.`income`, 0.8) AS `q1_7`,
  PERCENTILE(`t1`.`income`, 0.9) AS `q1_8`,
  PERCENTILE(`t1`.`debt_to_income`, 0.1) AS `q2_0`,
  PERCENTILE(`t1`.`debt_to_income`, 0.2) AS `q2_1`,
  PERCENTILE(`t1`.`debt_to_income`, 0.3) AS `q2_2`,
  PERCENTILE(`t1`.`debt_to_income`, 0.4) AS `q2_3`,
  PERCENTILE(`t1`.`debt_to_income`, 0.5) AS `q2_4`,
  PERCENTILE(`t1`.`debt_to_income`, 0.6) AS `q2_5`,
  PERCENTILE(`t1`.`debt_to_income`, 0.7) AS `q2_6`,
  PERCENTILE(`t1`.`debt_to_income`, 0.8) AS `q2_7`,
  PERCENTILE(`t1`.`debt_to_income`, 0.9) AS `q2_8`,
  PERCENTILE(`t1`.`credit_utilization`, 0.1) AS `q3_0`,
  PERCENTILE(`t1`.`credit_utilization`, 0.2) AS `q3_1`,
  PERCENTILE(`t1`.`credit_utilization`, 0.3) AS `q3_2`,
  PERCENTILE(`t1`.`credit_utilization`, 0.4) AS `q3_3`,
  PERCENTILE(`t1`.`credit_utilization`, 0.5) AS `q3_4`,
  PERCENTILE(`t1`.`credit_utilization`, 0.6) AS `q3_5`,
  PERCENTILE(`t1`.`credit_utilization`, 0.7) AS `q3_6`,
  PERCENTILE(`t1`.`credit_utilization`, 0.8) AS `q3_7`,
  PERCENTILE(`t1`.`credit_utilization`, 0.9) AS `q3_8`,
  PERCENTILE(`t1`.`loan_amount`, 0.1) AS `q4_0`,
  PERCENTILE(`t1`.`loan_amount`, 0.2) AS `q4_1`,
  PERCENTILE(`t1`.`loan_amount`, 0.3) AS `q4_2`,
  PERCENTILE(`t1`.`loan_amount`, 0.4) AS `q4_3`,
  PERCENTILE(`t1`.`loan_amount`, 0.5) AS `q4_4`,
  PERCENTILE(`t1`.`loan_amount`, 0.6) AS `q4_5`,
  PERCENTILE(`t1`.`loan_amount`, 0.7) AS `q4_6`,
  PERCENTILE(`t1`.`loan_amount`, 0.8) AS `q4_7`,
  PERCENTILE(`t1`.`loan_amount`, 0.9) AS `q4_8`,
  PERCENTILE(`t1`.`loan_term_months`, 0.1) AS `q5_0`,
  PERCENTILE(`t1`.`loan_term_months`, 0.2) AS `q5_1`,
  PERCENTILE(`t1`.`loan_term_months`, 0.3) AS `q5_2`,
  PERCENTILE(`t1`.`loan_term_months`, 0.4) AS `q5_3`,
  PERCENTILE(`t1`.`loan_term_months`, 0.5) AS `q5_4`,
  PERCENTILE(`t1`.`loan_term_months`, 0.6) AS `q5_5`,
  PERCENTILE(`t1`.`loan_term_months`, 0.7) AS `q5_6`,
  PERCENTILE(`t1`.`loan_term_months`, 0.8) AS `q5_7`,
  PERCENTILE(`t1`.`loan_term_months`, 0.9) AS `q5_8`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.1) AS `q6_0`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.2) AS `q6_1`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.3) AS `q6_2`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.4) AS `q6_3`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.5) AS `q6_4`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.6) AS `q6_5`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.7) AS `q6_6`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.8) AS `q6_7`,
  PERCENTILE(`t1`.`num_credit_lines`, 0.9) AS `q6_8`,
  PERCENTILE(`t1`.`employment_years`, 0.1) AS `q7_0`,
  PERCENTILE(`t1`.`employment_years`, 0.2) AS `q7_1`,
  PERCENTILE(`t1`.`employment_years`, 0.3) AS `q7_2`,
  PERCENTILE(`t1`.`employment_years`, 0.4) AS `q7_3`,
  PERCENTILE(`t1`.`employment_years`, 0.5) AS `q7_4`,
  PERCENTILE(`t1`.`employment_years`, 0.6) AS `q7_5`,
  PERCENTILE(`t1`.`employment_years`, 0.7) AS `q7_6`,
  PERCENTILE(`t1`.`employment_years`, 0.8) AS `q7_7`,
  PERCENTILE(`t1`.`employment_years`, 0.9) AS `q7_8`
FROM (
  SELECT
    *
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`

-- [4/8]
SELECT
  `t1`.`region`,
  COUNT(*) AS `region_count`
FROM (
  SELECT
    `t0`.`region`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`
GROUP BY
  1

-- [5/8]
SELECT
  `t1`.`employment`,
  COUNT(*) AS `employment_count`
FROM (
  SELECT
    `t0`.`employment`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`
GROUP BY
  1

-- [6/8]
SELECT
  `t1`.`purpose`,
  COUNT(*) AS `purpose_count`
FROM (
  SELECT
    `t0`.`purpose`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`
GROUP BY
  1

-- [7/8]
SELECT
  `t1`.`channel`,
  COUNT(*) AS `channel_count`
FROM (
  SELECT
    `t0`.`channel`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`
GROUP BY
  1

-- [8/8]
SELECT
  `t1`.`home_ownership`,
  COUNT(*) AS `home_ownership_count`
FROM (
  SELECT
    `t0`.`home_ownership`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`
GROUP BY
  1
