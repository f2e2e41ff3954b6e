"""The local Spark session's settings, sized for the machine (no Spark needed)."""

from __future__ import annotations

import os

import pytest

from diaglab.store.spark_session import driver_memory_gib, local_settings

GIB = 2**30


@pytest.mark.parametrize(
    ("memory", "expected"),
    [(4 * GIB, "2g"), (int(23.5 * GIB), "5g"), (16 * GIB, "4g"), (256 * GIB, "8g")],
)
def test_driver_memory_is_a_quarter_of_the_machine_within_bounds(
    memory: int, expected: str
) -> None:
    # 2g whatever the machine was too little for 10M cached rows (full GCs, no result)
    assert local_settings(2, memory=memory)["spark.driver.memory"] == expected


def test_driver_memory_defaults_to_this_machine() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert driver_memory_gib() == driver_memory_gib(physical)
    assert local_settings(2)["spark.driver.memory"] == f"{driver_memory_gib(physical)}g"
