"""Who owns the data. One local user for now; accounts come with server mode."""
