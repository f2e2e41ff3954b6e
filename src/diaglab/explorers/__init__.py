"""Explorers: ipywidgets that query a store, draw the result and capture what they show.

Each explorer lives in its own module (``drift``, ``slices``, ``inspector``) and is exported
lazily by ``diaglab``; this package imports none of them, so loading one loads only what it uses.
"""
