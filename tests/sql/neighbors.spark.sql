-- [1/4]
SELECT
  *
FROM `main`.`credit` AS `t0`
WHERE
  `t0`.`prediction_id` = 'p0-000000001'
LIMIT 1

-- [2/4]
SELECT DISTINCT
  `t0`.`model_version`
FROM `reference`.`credit` AS `t0`

-- [3/4]
SELECT
  AVG(`t1`.`age`) AS `m0`,
  STDDEV_SAMP(`t1`.`age`) AS `s0`,
  AVG(`t1`.`income`) AS `m1`,
  STDDEV_SAMP(`t1`.`income`) AS `s1`,
  AVG(`t1`.`debt_to_income`) AS `m2`,
  STDDEV_SAMP(`t1`.`debt_to_income`) AS `s2`,
  AVG(`t1`.`credit_utilization`) AS `m3`,
  STDDEV_SAMP(`t1`.`credit_utilization`) AS `s3`,
  AVG(`t1`.`loan_amount`) AS `m4`,
  STDDEV_SAMP(`t1`.`loan_amount`) AS `s4`,
  AVG(`t1`.`loan_term_months`) AS `m5`,
  STDDEV_SAMP(`t1`.`loan_term_months`) AS `s5`,
  AVG(`t1`.`num_credit_lines`) AS `m6`,
  STDDEV_SAMP(`t1`.`num_credit_lines`) AS `s6`,
  AVG(`t1`.`employment_years`) AS `m7`,
  STDDEV_SAMP(`t1`.`employment_years`) AS `s7`
FROM (
  SELECT
    *
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
) AS `t1`

-- [4/4]
WITH `_diaglab_rows` AS (
  SELECT
    68.0 AS `_diaglab_p0`,
    60000.0 AS `_diaglab_p1`,
    0.299 AS `_diaglab_p2`,
    0.392 AS `_diaglab_p3`,
    17600.0 AS `_diaglab_p4`,
    60.0 AS `_diaglab_p5`,
    11.0 AS `_diaglab_p6`,
    34.0 AS `_diaglab_p7`,
    'north' AS `_diaglab_p8`,
    'retired' AS `_diaglab_p9`,
    'debt_consolidation' AS `_diaglab_p10`,
    'branch' AS `_diaglab_p11`,
    'own' AS `_diaglab_p12`,
    'p0-000000001' AS `_diaglab_pid`
  FROM `reference`.`credit` AS `t0`
  WHERE
    `t0`.`model_version` = 'v1'
  LIMIT 1
)
SELECT
  *
FROM (
  SELECT
    `t8`.`distance`,
    `t8`.`model_version`,
    `t8`.`age`,
    `t8`.`income`,
    `t8`.`debt_to_income`,
    `t8`.`credit_utilization`,
    `t8`.`loan_amount`,
    `t8`.`loan_term_months`,
    `t8`.`num_credit_lines`,
    `t8`.`employment_years`,
    `t8`.`region`,
    `t8`.`employment`,
    `t8`.`purpose`,
    `t8`.`channel`,
    `t8`.`home_ownership`,
    `t8`.`score`,
    `t8`.`prediction`,
    `t8`.`label`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        `t5`.`model_version`,
        `t5`.`prediction`,
        `t5`.`score`,
        `t5`.`label`,
        `t5`.`segment`,
        `t5`.`age`,
        `t5`.`income`,
        `t5`.`debt_to_income`,
        `t5`.`credit_utilization`,
        `t5`.`loan_amount`,
        `t5`.`loan_term_months`,
        `t5`.`num_credit_lines`,
        `t5`.`employment_years`,
        `t5`.`region`,
        `t5`.`employment`,
        `t5`.`purpose`,
        `t5`.`channel`,
        `t5`.`home_ownership`,
        `t5`.`_diaglab_p0`,
        `t5`.`_diaglab_p1`,
        `t5`.`_diaglab_p2`,
        `t5`.`_diaglab_p3`,
        `t5`.`_diaglab_p4`,
        `t5`.`_diaglab_p5`,
        `t5`.`_diaglab_p6`,
        `t5`.`_diaglab_p7`,
        `t5`.`_diaglab_p8`,
        `t5`.`_diaglab_p9`,
        `t5`.`_diaglab_p10`,
        `t5`.`_diaglab_p11`,
        `t5`.`_diaglab_p12`,
        `t5`.`_diaglab_pid`,
        SQRT(
          0.0 + IF(
            `t5`.`_diaglab_p0` IS NULL OR ISNAN(`t5`.`_diaglab_p0`),
            IF(`t5`.`age` IS NULL OR ISNAN(`t5`.`age`), 0.0, 1.0),
            COALESCE(
              POWER((
                (
                  `t5`.`age` - `t5`.`_diaglab_p0`
                ) / 13.590620485619105
              ), 2),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p1` IS NULL OR ISNAN(`t5`.`_diaglab_p1`),
            IF(`t5`.`income` IS NULL OR ISNAN(`t5`.`income`), 0.0, 1.0),
            COALESCE(
              POWER((
                (
                  `t5`.`income` - `t5`.`_diaglab_p1`
                ) / 34370.014100909444
              ), 2),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p2` IS NULL OR ISNAN(`t5`.`_diaglab_p2`),
            IF(`t5`.`debt_to_income` IS NULL OR ISNAN(`t5`.`debt_to_income`), 0.0, 1.0),
            COALESCE(
              POWER(
                (
                  (
                    `t5`.`debt_to_income` - `t5`.`_diaglab_p2`
                  ) / 0.14782350117327367
                ),
                2
              ),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p3` IS NULL OR ISNAN(`t5`.`_diaglab_p3`),
            IF(`t5`.`credit_utilization` IS NULL OR ISNAN(`t5`.`credit_utilization`), 0.0, 1.0),
            COALESCE(
              POWER(
                (
                  (
                    `t5`.`credit_utilization` - `t5`.`_diaglab_p3`
                  ) / 0.19581697700221629
                ),
                2
              ),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p4` IS NULL OR ISNAN(`t5`.`_diaglab_p4`),
            IF(`t5`.`loan_amount` IS NULL OR ISNAN(`t5`.`loan_amount`), 0.0, 1.0),
            COALESCE(
              POWER((
                (
                  `t5`.`loan_amount` - `t5`.`_diaglab_p4`
                ) / 11477.989585589316
              ), 2),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p5` IS NULL OR ISNAN(`t5`.`_diaglab_p5`),
            IF(`t5`.`loan_term_months` IS NULL OR ISNAN(`t5`.`loan_term_months`), 0.0, 1.0),
            COALESCE(
              POWER(
                (
                  (
                    `t5`.`loan_term_months` - `t5`.`_diaglab_p5`
                  ) / 14.159427978383007
                ),
                2
              ),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p6` IS NULL OR ISNAN(`t5`.`_diaglab_p6`),
            IF(`t5`.`num_credit_lines` IS NULL OR ISNAN(`t5`.`num_credit_lines`), 0.0, 1.0),
            COALESCE(
              POWER(
                (
                  (
                    `t5`.`num_credit_lines` - `t5`.`_diaglab_p6`
                  ) / 2.6563004522601155
                ),
                2
              ),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p7` IS NULL OR ISNAN(`t5`.`_diaglab_p7`),
            IF(`t5`.`employment_years` IS NULL OR ISNAN(`t5`.`employment_years`), 0.0, 1.0),
            COALESCE(
              POWER(
                (
                  (
                    `t5`.`employment_years` - `t5`.`_diaglab_p7`
                  ) / 8.785885399039172
                ),
                2
              ),
              1.0
            )
          ) + IF(
            `t5`.`_diaglab_p8` IS NULL,
            IF(`t5`.`region` IS NULL, 0.0, 1.0),
            COALESCE(IF(`t5`.`region` = `t5`.`_diaglab_p8`, 0.0, 1.0), 1.0)
          ) + IF(
            `t5`.`_diaglab_p9` IS NULL,
            IF(`t5`.`employment` IS NULL, 0.0, 1.0),
            COALESCE(IF(`t5`.`employment` = `t5`.`_diaglab_p9`, 0.0, 1.0), 1.0)
          ) + IF(
            `t5`.`_diaglab_p10` IS NULL,
            IF(`t5`.`purpose` IS NULL, 0.0, 1.0),
            COALESCE(IF(`t5`.`purpose` = `t5`.`_diaglab_p10`, 0.0, 1.0), 1.0)
          ) + IF(
            `t5`.`_diaglab_p11` IS NULL,
            IF(`t5`.`channel` IS NULL, 0.0, 1.0),
            COALESCE(IF(`t5`.`channel` = `t5`.`_diaglab_p11`, 0.0, 1.0), 1.0)
          ) + IF(
            `t5`.`_diaglab_p12` IS NULL,
            IF(`t5`.`home_ownership` IS NULL, 0.0, 1.0),
            COALESCE(IF(`t5`.`home_ownership` = `t5`.`_diaglab_p12`, 0.0, 1.0), 1.0)
          )
        ) AS `distance`
      FROM (
        SELECT
          `t4`.`model_version`,
          `t4`.`prediction`,
          `t4`.`score`,
          `t4`.`label`,
          `t4`.`segment`,
          `t4`.`age`,
          `t4`.`income`,
          `t4`.`debt_to_income`,
          `t4`.`credit_utilization`,
          `t4`.`loan_amount`,
          `t4`.`loan_term_months`,
          `t4`.`num_credit_lines`,
          `t4`.`employment_years`,
          `t4`.`region`,
          `t4`.`employment`,
          `t4`.`purpose`,
          `t4`.`channel`,
          `t4`.`home_ownership`,
          `t2`.`_diaglab_p0`,
          `t2`.`_diaglab_p1`,
          `t2`.`_diaglab_p2`,
          `t2`.`_diaglab_p3`,
          `t2`.`_diaglab_p4`,
          `t2`.`_diaglab_p5`,
          `t2`.`_diaglab_p6`,
          `t2`.`_diaglab_p7`,
          `t2`.`_diaglab_p8`,
          `t2`.`_diaglab_p9`,
          `t2`.`_diaglab_p10`,
          `t2`.`_diaglab_p11`,
          `t2`.`_diaglab_p12`,
          `t2`.`_diaglab_pid`
        FROM (
          SELECT
            *
          FROM `reference`.`credit` AS `t0`
          WHERE
            `t0`.`model_version` = 'v1'
        ) AS `t4`
        CROSS JOIN `_diaglab_rows` AS `t2`
      ) AS `t5`
    ) AS `t6`
    ORDER BY
      `t6`.`distance` ASC NULLS LAST
    LIMIT 5
  ) AS `t8`
) AS `_q`
