"""Every note's own history: a version per save (coalesced), pruned, restorable."""
