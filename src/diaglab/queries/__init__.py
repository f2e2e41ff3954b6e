"""Queries: Ibis expressions over a store's tables, built without SQL strings."""
