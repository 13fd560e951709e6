"""HTTP routes; each one calls one ``core`` function and returns its result."""
