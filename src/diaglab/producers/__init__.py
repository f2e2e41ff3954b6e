"""Producers: code that runs inside a live service and appends segments to a store.

Producers never open the store's DuckDB file, so any number of processes can log at once.
"""

from diaglab.producers.instrument import Instrumented, instrument
from diaglab.producers.logger import Logger

__all__ = ["Instrumented", "Logger", "instrument"]
