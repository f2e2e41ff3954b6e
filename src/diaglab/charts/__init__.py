"""Chart parts every diagnostic's chart uses (``_common``); each chart lives with its diagnostic."""
