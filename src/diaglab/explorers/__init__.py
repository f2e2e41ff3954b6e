"""The parts every explorer shares: the one client lifecycle (``coordinator``), the base explorer,
controls, tables, Vega views, selections and the panel. Each explorer lives with its diagnostic
(``diaglab.diagnostics.<name>.explorer``) and is exported lazily by ``diaglab``."""
