"""A producer process for tests/test_object_storage.py: logs predictions with the ids
``<name>-<i>`` through a dl.Logger into the store at ``url``, ``batch`` at a time, until the file
``stop`` exists; after each batch is durable (drain() returned 0) it appends how many rows are
durable to ``acked``, so the last line is every row it logged once it exits cleanly.

    python s3_producer.py URL NAME BATCH ACKED STOP
"""

import sys
import time
from pathlib import Path

import diaglab as dl


def main() -> None:
    url, name, batch, acked, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:6]
    logger = dl.Logger(url, model="m", flush_rows=batch, flush_seconds=0.2)
    end = 0
    with open(acked, "a") as out:
        while not Path(stop).exists():
            for i in range(end, end + batch):
                logger.log({"x": float(i), "c": "ab"[i % 2]}, (i % 100) / 100, f"{name}-{i}")
            end += batch
            if logger.drain(timeout=120) != 0:
                raise SystemExit(f"{name}: rows still pending after 120 s")
            out.write(f"{end}\n")
            out.flush()
            time.sleep(0.01)
    logger.close(timeout=60)


if __name__ == "__main__":
    main()
