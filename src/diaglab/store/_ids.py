"""Time-ordered unique ids for segments and generated prediction ids.

A segment id is 12 hex digits of milliseconds since the epoch followed by 12 random hex digits, so
ids sort by creation time across processes and collide with probability ~2^-48 per millisecond.
A generated prediction id is its segment id followed by the row number in 8 hex digits.
"""

from __future__ import annotations

import secrets
import time

import numpy as np
import pyarrow as pa

# the two hex digits of every byte value, as one uint16 each: byte -> its two ASCII digits
_HEX_PAIRS = np.frombuffer(b"".join(f"{b:02x}".encode() for b in range(256)), dtype=np.uint16)
ROW_DIGITS = 8
MAX_ROWS_PER_SEGMENT = 16**ROW_DIGITS


def new_segment_id() -> str:
    """A fresh, time-ordered segment id (24 hex characters)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


def row_ids(segment_id: str, n: int, *, start: int = 0) -> pa.StringArray:
    """``n`` ids ``segment_id + row number`` (from ``start``) built without a Python loop."""
    if start < 0 or start + n > MAX_ROWS_PER_SEGMENT:
        raise ValueError(f"at most {MAX_ROWS_PER_SEGMENT} rows per segment, got {start + n}")
    prefix = np.frombuffer(segment_id.encode("ascii"), dtype=np.uint8)
    width = prefix.size + ROW_DIGITS
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : prefix.size] = prefix
    # the row number's 4 big-endian bytes, each looked up as its two hex digits at once
    row_bytes = np.arange(start, start + n, dtype=">u4").view(np.uint8).reshape(n, 4)
    buf[:, prefix.size :] = _HEX_PAIRS[row_bytes].view(np.uint8).reshape(n, ROW_DIGITS)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    # zero-copy: the Arrow buffers keep the NumPy arrays alive
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))
