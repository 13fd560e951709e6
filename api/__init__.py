"""FastAPI service: HTTP wiring over ``core`` (POST /match for external callers, lookups,
health, readiness and metrics). Create the app with ``api.main.create_app()``."""
