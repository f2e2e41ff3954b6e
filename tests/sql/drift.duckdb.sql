-- [1/6]
SELECT DISTINCT
  "t0"."model_version"
FROM "reference"."credit" AS "t0"

-- [2/6]
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

-- [3/6]
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

-- [4/6]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."region",
    CAST(CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END AS BIGINT) AS TEXT) AS "decision"
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
      "t1"."v",
      "t1"."n",
      0 AS "i"
    FROM (
      SELECT
        "t0"."region" AS "v",
        COUNT(*) AS "n"
      FROM "_diaglab_rows" AS "t0"
      GROUP BY
        1
    ) AS "t1"
  ) AS "t3"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t2"."v",
      "t2"."n",
      1 AS "i"
    FROM (
      SELECT
        "t0"."decision" AS "v",
        COUNT(*) AS "n"
      FROM "_diaglab_rows" AS "t0"
      GROUP BY
        1
    ) AS "t2"
  ) AS "t4"
) AS "_q"

-- [5/6]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."income",
    "t0"."score" AS "prediction",
    "t0"."label"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
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

-- [6/6]
WITH "_diaglab_rows" AS (
  SELECT
    "t0"."region",
    CAST(CAST(CASE
      WHEN "t0"."score" IS NULL
      THEN "t0"."prediction"
      ELSE CAST("t0"."score" >= 0.5 AS DOUBLE)
    END AS BIGINT) AS TEXT) AS "decision"
  FROM "main"."credit" AS "t0"
  WHERE
    "t0"."timestamp" >= MAKE_TIMESTAMPTZ(2026, 2, 10, 0, 0, 0.0, 'UTC')
    AND "t0"."timestamp" < MAKE_TIMESTAMPTZ(2026, 3, 2, 0, 0, 0.0, 'UTC')
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t1"."v",
      "t1"."n",
      0 AS "i"
    FROM (
      SELECT
        "t0"."region" AS "v",
        COUNT(*) AS "n"
      FROM "_diaglab_rows" AS "t0"
      GROUP BY
        1
    ) AS "t1"
  ) AS "t3"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t2"."v",
      "t2"."n",
      1 AS "i"
    FROM (
      SELECT
        "t0"."decision" AS "v",
        COUNT(*) AS "n"
      FROM "_diaglab_rows" AS "t0"
      GROUP BY
        1
    ) AS "t2"
  ) AS "t4"
) AS "_q"
