-- [1/5]
SELECT DISTINCT
  "t0"."model_version"
FROM "reference"."credit" AS "t0"

-- [2/5]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."income",
    "t0"."score" AS "prediction",
    "t0"."label"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v2'
)
SELECT
  *
FROM (
  SELECT
    MIN("t0"."income") AS "min0",
    MAX("t0"."income") AS "max0",
    STDDEV_POP("t0"."income") AS "std0",
    AVG("t0"."income") AS "mean0",
    BOOL_AND(CAST(CAST(FLOOR("t0"."income") AS BIGINT) = "t0"."income" AS BOOLEAN)) AS "int0",
    MIN("t0"."prediction") AS "min1",
    MAX("t0"."prediction") AS "max1",
    STDDEV_POP("t0"."prediction") AS "std1",
    AVG("t0"."prediction") AS "mean1",
    BOOL_AND(CAST(CAST(FLOOR("t0"."prediction") AS BIGINT) = "t0"."prediction" AS BOOLEAN)) AS "int1",
    MIN("t0"."label") AS "min2",
    MAX("t0"."label") AS "max2",
    STDDEV_POP("t0"."label") AS "std2",
    AVG("t0"."label") AS "mean2",
    BOOL_AND(CAST(CAST(FLOOR("t0"."label") AS BIGINT) = "t0"."label" AS BOOLEAN)) AS "int2"
  FROM "_diaglab_rows" AS "t0"
) AS "_q"

-- [3/5]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."income",
    "t0"."score" AS "prediction",
    "t0"."label"
  FROM "reference"."credit" AS "t0"
  WHERE
    "t0"."model_version" = 'v2'
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t1"."i",
      "t1"."b",
      COUNT(*) AS "n",
      MIN("t1"."x") AS "lo",
      MAX("t1"."x") AS "hi"
    FROM (
      SELECT
        2 AS "i",
        CASE
          WHEN "t0"."label" < 0.0
          THEN -1099511627776
          WHEN "t0"."label" > 1.0
          THEN 1099511627776
          WHEN (
            (
              "t0"."label" - 0.0
            ) / 1.0
          ) < 0
          THEN -1
          WHEN (
            (
              "t0"."label" - 0.0
            ) / 1.0
          ) >= 2
          THEN 2
          ELSE CAST(FLOOR((
            "t0"."label" - 0.0
          ) / 1.0) AS BIGINT)
        END AS "b",
        "t0"."label" AS "x"
      FROM "_diaglab_rows" AS "t0"
    ) AS "t1"
    GROUP BY
      1,
      2
  ) AS "t4"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t2"."i",
        "t2"."b",
        COUNT(*) AS "n",
        MIN("t2"."x") AS "lo",
        MAX("t2"."x") AS "hi"
      FROM (
        SELECT
          0 AS "i",
          CASE
            WHEN "t0"."income" < 5000.0
            THEN -1099511627776
            WHEN "t0"."income" > 524700.0
            THEN 1099511627776
            WHEN (
              (
                "t0"."income" - 5000.0
              ) / 520.0
            ) < 0
            THEN -1
            WHEN (
              (
                "t0"."income" - 5000.0
              ) / 520.0
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t0"."income" - 5000.0
            ) / 520.0) AS BIGINT)
          END AS "b",
          "t0"."income" AS "x"
        FROM "_diaglab_rows" AS "t0"
      ) AS "t2"
      GROUP BY
        1,
        2
    ) AS "t5"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        "t3"."i",
        "t3"."b",
        COUNT(*) AS "n",
        MIN("t3"."x") AS "lo",
        MAX("t3"."x") AS "hi"
      FROM (
        SELECT
          1 AS "i",
          CASE
            WHEN "t0"."prediction" < 0.004407032955538922
            THEN -1099511627776
            WHEN "t0"."prediction" > 0.9809641117101271
            THEN 1099511627776
            WHEN (
              (
                "t0"."prediction" - 0.004407032955538922
              ) / 0.0009765570787545882
            ) < 0
            THEN -1
            WHEN (
              (
                "t0"."prediction" - 0.004407032955538922
              ) / 0.0009765570787545882
            ) >= 1000
            THEN 1000
            ELSE CAST(FLOOR((
              "t0"."prediction" - 0.004407032955538922
            ) / 0.0009765570787545882) AS BIGINT)
          END AS "b",
          "t0"."prediction" AS "x"
        FROM "_diaglab_rows" AS "t0"
      ) AS "t3"
      GROUP BY
        1,
        2
    ) AS "t6"
  ) AS "t7"
) AS "_q"

-- [4/5]
SELECT
  MIN("t1"."timestamp") AS "lo",
  MAX("t1"."timestamp") AS "hi"
FROM (
  SELECT
    "t0"."income",
    "t0"."score" AS "prediction",
    "t0"."label",
    "t0"."timestamp"
  FROM "main"."credit" AS "t0"
) AS "t1"

-- [5/5]
WITH "_diaglab_rows" AS (
  SELECT
    *
  FROM "main"."credit"
)
SELECT
  *
FROM (
  WITH "t1" AS (
    SELECT
      "t0"."income",
      "t0"."score" AS "prediction",
      "t0"."label",
      "t0"."timestamp"
    FROM "_diaglab_rows" AS "t0"
  )
  SELECT
    *
  FROM (
    SELECT
      "t3"."key",
      "t3"."i",
      "t3"."b",
      COUNT(*) AS "n"
    FROM (
      SELECT
        CAST(FLOOR((
          EPOCH_US("t2"."timestamp") - 1767225600000000
        ) / (
          604800000000
        )) AS BIGINT) AS "key",
        0 AS "i",
        CASE
          WHEN "t2"."income" IS NULL
          THEN CAST(NULL AS TEXT)
          ELSE CASE
            WHEN "t2"."income" < 23200.0
            THEN '0'
            WHEN "t2"."income" < 31000.0
            THEN '1'
            WHEN "t2"."income" < 37240.0
            THEN '2'
            WHEN "t2"."income" < 43480.0
            THEN '3'
            WHEN "t2"."income" < 49200.0
            THEN '4'
            WHEN "t2"."income" < 55960.0
            THEN '5'
            WHEN "t2"."income" < 64280.0
            THEN '6'
            WHEN "t2"."income" < 75720.0
            THEN '7'
            WHEN "t2"."income" < 96520.0
            THEN '8'
            ELSE '9'
          END
        END AS "b"
      FROM "t1" AS "t2"
    ) AS "t3"
    GROUP BY
      1,
      2,
      3
  ) AS "t5"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t4"."key",
      "t4"."i",
      "t4"."b",
      COUNT(*) AS "n"
    FROM (
      SELECT
        CAST(FLOOR((
          EPOCH_US("t2"."timestamp") - 1767225600000000
        ) / (
          604800000000
        )) AS BIGINT) AS "key",
        1 AS "i",
        CASE
          WHEN "t2"."prediction" IS NULL
          THEN CAST(NULL AS TEXT)
          ELSE CASE
            WHEN "t2"."prediction" < 0.024914731609385274
            THEN '0'
            WHEN "t2"."prediction" < 0.036633416554440336
            THEN '1'
            WHEN "t2"."prediction" < 0.04932865857824998
            THEN '2'
            WHEN "t2"."prediction" < 0.06593012891707797
            THEN '3'
            WHEN "t2"."prediction" < 0.08643782757092433
            THEN '4'
            WHEN "t2"."prediction" < 0.11475798285480739
            THEN '5'
            WHEN "t2"."prediction" < 0.1567499372412547
            THEN '6'
            WHEN "t2"."prediction" < 0.2299917181478488
            THEN '7'
            WHEN "t2"."prediction" < 0.38428773659107374
            THEN '8'
            ELSE '9'
          END
        END AS "b"
      FROM "t1" AS "t2"
    ) AS "t4"
    GROUP BY
      1,
      2,
      3
  ) AS "t6"
) AS "_q"
