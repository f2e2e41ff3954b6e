"""``diaglab report`` and ``diaglab recheck``: findings for CI, without a browser.

Exit codes (both commands)

- 0: the report was written and every check passed / every finding still holds;
- 1: a check failed / a finding changed or cannot be evaluated any more (each is printed);
- 2: bad input: a missing or damaged file, an unknown model, a bad window, filter or check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from diaglab.errors import DiaglabError, InputError
from diaglab.store import layout

OK, FAILED, BAD_INPUT = 0, 1, 2


def _open_store(path: str) -> Any:
    import diaglab as dl

    root = Path(path)
    if not (root / layout.SEGMENTS).is_dir():
        raise InputError(f"{root} is not a diaglab store (no segments/ in it)")
    return dl.open(root)


def cmd_report(args: argparse.Namespace) -> int:
    from diaglab.findings.export import export
    from diaglab.findings.report import load_checks, run_checks, standard_findings
    from diaglab.queries.timegrid import Freq
    from diaglab.queries.window import parse_window

    try:
        if args.current is not None:
            raise InputError("--current is now --window (the period the report judges)")
        window = parse_window(args.window)
        Freq.parse(args.freq)
        checks = load_checks(args.checks) if args.checks else []
        out = Path(args.out)
        store = _open_store(args.store)
    except DiaglabError as exc:
        print(f"diaglab report: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    try:
        try:
            # Checks first: a bad check is bad input, reported before the longer work.
            results = run_checks(store, args.model, checks, window=window)
            items = standard_findings(
                store,
                args.model,
                window=window,
                freq=args.freq,
                author=args.author,
                save=args.save,
            )
            export(items, out, title=f"diaglab report: {args.model}")
        except DiaglabError as exc:
            print(f"diaglab report: error: {exc}", file=sys.stderr)
            return BAD_INPUT
    finally:
        store.close()
    for f in items:
        print(f"- {f.title}")
    print(f"wrote {len(items)} findings to {out}")
    for r in results:
        print(r)
    failed = [r for r in results if not r.passed]
    if failed:
        print(f"{len(failed)} of {len(results)} checks failed", file=sys.stderr)
        return FAILED
    if results:
        print(f"all {len(results)} checks passed")
    return OK


def cmd_recheck(args: argparse.Namespace) -> int:
    from diaglab.findings import read
    from diaglab.findings.replay import recheck

    try:
        items = read(args.findings)
        store = _open_store(args.store)
    except DiaglabError as exc:
        print(f"diaglab recheck: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    try:
        checks = [recheck(f, store) for f in items]
    finally:
        store.close()
    for c in checks:
        print(c)
    counts = {s: sum(c.status == s for c in checks) for s in ("holds", "changed")}
    other = len(checks) - counts["holds"] - counts["changed"]
    print(
        f"{len(checks)} finding(s): {counts['holds']} hold, {counts['changed']} changed, "
        f"{other} cannot be evaluated"
    )
    return OK if all(c.ok for c in checks) else FAILED


def add_commands(sub: Any) -> None:
    """Add ``report`` and ``recheck`` to the ``diaglab`` command line."""
    rep = sub.add_parser(
        "report",
        help="standard findings as a report (.html, .md, .json, .pdf), with CI checks",
        description="Exit 0: written, checks passed; 1: a check failed; 2: bad input.",
    )
    rep.add_argument("store")
    rep.add_argument("--model", required=True)
    rep.add_argument("--out", required=True, help="report path: .html, .md, .json or .pdf")
    rep.add_argument(
        "--window", help="the period judged, 'START .. END' (or START to END; default: everything)"
    )
    rep.add_argument("--current", help=argparse.SUPPRESS)
    rep.add_argument("--checks", help="a YAML file of checks (see docs/findings.md)")
    rep.add_argument(
        "--freq",
        default="7D",
        help="window length of metrics over time: 1h, 1D, 7D (fixed), W (weeks), M (months), Q",
    )
    rep.add_argument(
        "--author", help="who the findings are by (default: git's user.name, else the login)"
    )
    rep.add_argument("--save", action="store_true", help="also store the findings in the store")
    rep.set_defaults(func=cmd_report)

    rec = sub.add_parser(
        "recheck",
        help="re-run each finding of a .json export on today's data",
        description="Exit 0: every finding holds; 1: one changed or cannot be evaluated; "
        "2: bad input.",
    )
    rec.add_argument("findings", help="a findings .json export")
    rec.add_argument("store")
    rec.set_defaults(func=cmd_recheck)
