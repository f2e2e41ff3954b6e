"""``python -m diaglab.sample PATH [--rows N] [--seed S]``."""

from diaglab.sample._build import main

raise SystemExit(main())
