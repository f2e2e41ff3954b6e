"""The shared query core: scope, windows, the time grid, filters, binning and the per-day cube, as
Ibis expressions over a store's tables (no SQL strings). Each diagnostic's queries live in its
package under ``diaglab.diagnostics``."""
