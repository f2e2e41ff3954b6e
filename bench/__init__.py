"""diaglab's benchmarks: ``python -m bench`` (or ``make bench``); results in bench/RESULTS.md."""
