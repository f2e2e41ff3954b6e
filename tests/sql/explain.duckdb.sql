-- [1/3]
SELECT
  *
FROM "main"."credit" AS "t0"
WHERE
  "t0"."prediction_id" = 'p0-000000000'
LIMIT 1

-- [2/3]
SELECT DISTINCT
  "t0"."model_version"
FROM "reference"."credit" AS "t0"

-- [3/3]
WITH "_diaglab_rows" AS (
  SELECT
    36.0 AS "_diaglab_p0",
    76000.0 AS "_diaglab_p1",
    0.195 AS "_diaglab_p2",
    0.243 AS "_diaglab_p3",
    10700.0 AS "_diaglab_p4",
    12.0 AS "_diaglab_p5",
    4.0 AS "_diaglab_p6",
    4.8 AS "_diaglab_p7",
    'north' AS "_diaglab_p8",
    'self_employed' AS "_diaglab_p9",
    'car' AS "_diaglab_p10",
    'web' AS "_diaglab_p11",
    'mortgage' AS "_diaglab_p12"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v1'
  LIMIT 1
)
SELECT
  *
FROM (
  SELECT
    SUM(CAST(NOT "t5"."age" IS NULL AS INT)) AS "n0",
    MIN("t5"."age") AS "min0",
    MAX("t5"."age") AS "max0",
    SUM(CAST("t5"."age" < "t5"."_diaglab_p0" AS INT)) AS "lt0",
    SUM(CAST(NOT "t5"."income" IS NULL AS INT)) AS "n1",
    MIN("t5"."income") AS "min1",
    MAX("t5"."income") AS "max1",
    SUM(CAST("t5"."income" < "t5"."_diaglab_p1" AS INT)) AS "lt1",
    SUM(CAST(NOT "t5"."debt_to_income" IS NULL AS INT)) AS "n2",
    MIN("t5"."debt_to_income") AS "min2",
    MAX("t5"."debt_to_income") AS "max2",
    SUM(CAST("t5"."debt_to_income" < "t5"."_diaglab_p2" AS INT)) AS "lt2",
    SUM(CAST(NOT "t5"."credit_utilization" IS NULL AS INT)) AS "n3",
    MIN("t5"."credit_utilization") AS "min3",
    MAX("t5"."credit_utilization") AS "max3",
    SUM(CAST("t5"."credit_utilization" < "t5"."_diaglab_p3" AS INT)) AS "lt3",
    SUM(CAST(NOT "t5"."loan_amount" IS NULL AS INT)) AS "n4",
    MIN("t5"."loan_amount") AS "min4",
    MAX("t5"."loan_amount") AS "max4",
    SUM(CAST("t5"."loan_amount" < "t5"."_diaglab_p4" AS INT)) AS "lt4",
    SUM(CAST(NOT "t5"."loan_term_months" IS NULL AS INT)) AS "n5",
    MIN("t5"."loan_term_months") AS "min5",
    MAX("t5"."loan_term_months") AS "max5",
    SUM(CAST("t5"."loan_term_months" < "t5"."_diaglab_p5" AS INT)) AS "lt5",
    SUM(CAST(NOT "t5"."num_credit_lines" IS NULL AS INT)) AS "n6",
    MIN("t5"."num_credit_lines") AS "min6",
    MAX("t5"."num_credit_lines") AS "max6",
    SUM(CAST("t5"."num_credit_lines" < "t5"."_diaglab_p6" AS INT)) AS "lt6",
    SUM(CAST(NOT "t5"."employment_years" IS NULL AS INT)) AS "n7",
    MIN("t5"."employment_years") AS "min7",
    MAX("t5"."employment_years") AS "max7",
    SUM(CAST("t5"."employment_years" < "t5"."_diaglab_p7" AS INT)) AS "lt7",
    SUM(CAST(NOT "t5"."region" IS NULL AS INT)) AS "n8",
    SUM(CAST("t5"."region" = "t5"."_diaglab_p8" AS INT)) AS "eq8",
    SUM(CAST(NOT "t5"."employment" IS NULL AS INT)) AS "n9",
    SUM(CAST("t5"."employment" = "t5"."_diaglab_p9" AS INT)) AS "eq9",
    SUM(CAST(NOT "t5"."purpose" IS NULL AS INT)) AS "n10",
    SUM(CAST("t5"."purpose" = "t5"."_diaglab_p10" AS INT)) AS "eq10",
    SUM(CAST(NOT "t5"."channel" IS NULL AS INT)) AS "n11",
    SUM(CAST("t5"."channel" = "t5"."_diaglab_p11" AS INT)) AS "eq11",
    SUM(CAST(NOT "t5"."home_ownership" IS NULL AS INT)) AS "n12",
    SUM(CAST("t5"."home_ownership" = "t5"."_diaglab_p12" AS INT)) AS "eq12"
  FROM (
    SELECT
      "t4"."model_version",
      "t4"."prediction",
      "t4"."score",
      "t4"."label",
      "t4"."segment",
      "t4"."age",
      "t4"."income",
      "t4"."debt_to_income",
      "t4"."credit_utilization",
      "t4"."loan_amount",
      "t4"."loan_term_months",
      "t4"."num_credit_lines",
      "t4"."employment_years",
      "t4"."region",
      "t4"."employment",
      "t4"."purpose",
      "t4"."channel",
      "t4"."home_ownership",
      "t2"."_diaglab_p0",
      "t2"."_diaglab_p1",
      "t2"."_diaglab_p2",
      "t2"."_diaglab_p3",
      "t2"."_diaglab_p4",
      "t2"."_diaglab_p5",
      "t2"."_diaglab_p6",
      "t2"."_diaglab_p7",
      "t2"."_diaglab_p8",
      "t2"."_diaglab_p9",
      "t2"."_diaglab_p10",
      "t2"."_diaglab_p11",
      "t2"."_diaglab_p12"
    FROM (
      SELECT
        *
      FROM "reference"."credit" AS "t0"
      WHERE
        "t0"."model_version" = 'v1'
    ) AS "t4"
    CROSS JOIN "_diaglab_rows" AS "t2"
  ) AS "t5"
) AS "_q"
