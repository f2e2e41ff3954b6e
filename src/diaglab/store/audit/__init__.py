"""The audit trail: every segment file is chained by a hash, per stream, so tampering shows.

A stream is one ``<kind>/<model>`` directory of segments (predictions, labels, reference, spans,
findings, ...). Its chain is ``audit/<kind>/<model>.chain``: one JSON record per line, appended
by whichever process writes a segment, under an exclusive file lock (the same ``flock`` the schema
registry uses), right after the segment has been renamed into place::

    {"seq": 0, "segment": "<id>.parquet", "sha256": "…", "bytes": 123, "rows": 1000,
     "prev": null, "hash": "…"}

``hash`` is the HMAC-SHA256, under the store's audit key (:mod:`diaglab.store.audit_key`, kept
outside the store), of the record's canonical JSON without ``hash``; such records carry ``"v": 2``.
Records written before keys existed (no ``v``) hold a plain SHA-256 and are accepted only up to
the head the key file recorded when the store was first keyed. ``prev`` is the hash of
the record before it. Changing a segment's bytes breaks its ``sha256``; removing one leaves a record
without a file; a segment no record names is unchained; swapping two segments' files, or editing,
dropping or reordering records, breaks the ``sha256``/``prev``/``hash`` links. :func:`verify`
reports each problem with the segment's path and stream. Without the key, anyone who can write
the store could rewrite a chain consistently; with it, they cannot, and the head log beside the key
(or an ``anchor`` the user kept) also catches records cut from the end of a chain.

Registered model files are chained the same way, in ``audit/registry/<model>.chain`` (one record
per registration: version, file, SHA-256), so a model file swapped together with the digest in its
``model.json`` is caught at load and by :func:`verify`.

Cost on the write path: the bytes are hashed once, after the fsync, while they are still in
the page cache (hashlib releases the GIL, and ``Store.log`` writes the file on a thread beside the
DuckDB insert), plus one appended line.
"""

from diaglab.store.audit.chain import (
    AUDIT_DIR,
    CHAIN_SUFFIX,
    REGISTRY,
    append,
    append_registration,
    append_threshold,
    chain_path,
    file_sha256,
    is_sealed,
    path_sha256,
    read_chain,
    record_hash,
    registered_digest,
    seal,
    store_key,
    threshold_records,
)
from diaglab.store.audit.verify import Problem, VerifyReport, verify

__all__ = [
    "AUDIT_DIR",
    "CHAIN_SUFFIX",
    "REGISTRY",
    "Problem",
    "VerifyReport",
    "append",
    "append_registration",
    "append_threshold",
    "chain_path",
    "file_sha256",
    "is_sealed",
    "path_sha256",
    "read_chain",
    "record_hash",
    "registered_digest",
    "seal",
    "store_key",
    "threshold_records",
    "verify",
]
