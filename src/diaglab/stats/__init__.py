"""Pure statistics on aggregates (counts, sums, small arrays); never rows of a store."""
