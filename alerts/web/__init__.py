"""The analyst review web UI: a Starlette app with server-rendered pages (see alerts.web.app)."""
