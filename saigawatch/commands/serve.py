"""`saigawatch serve`: run the analyst review web UI."""
from __future__ import annotations

import click

from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(serve)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: web.host from config, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on (default: web.port from config, 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (each opens its own database connections).")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the review UI (queue, listings, seller dossiers, statistics) until Ctrl+C."""
    from alerts.web.app import run_server
    from alerts.web.security import SecretKeyError

    ctx = get_context()
    settings = ctx.settings
    store = ctx.store()
    url = f"http://{host or settings.web.host}:{port or settings.web.port}/"
    click.echo(f"SaigaWatch review UI on {url} (Ctrl+C to stop)")
    try:
        run_server(settings, host=host, port=port, store=store, workers=workers)
    except SecretKeyError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot listen on {url}: {exc.strerror or exc}") from None
