"""`saigawatch demo`: start the demo marketplace, run the daily pipeline on simulated days, open the review UI."""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import click

from saigawatch.context import UserError, get_context

log = logging.getLogger("saigawatch.demo")

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
DEMO_USER = "analyst"
# The fake credentials the demo marketplace accepts, handed to the crawler the way a real install hands it
# real ones: through the environment variables named by the sources' `credentials_env` in config/demo.yaml.
DEMO_CREDENTIALS = {
    "SAIGAWATCH_DEMO_VK_TOKEN": "demo-vk-service-token",
    "SAIGAWATCH_DEMO_WEIBO_COOKIE": "SUB=demo-cookie; SUBP=demo",
}


def register(app: click.Group) -> None:
    app.add_command(demo_command)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def demo_origin(settings) -> tuple[str, int]:
    """The demo marketplace origin the config's sources point at (host, port); default 127.0.0.1:8089."""
    for source in settings.sources:
        if source.base_url and source.base_url.startswith("http://127.0.0.1:"):
            parts = urlsplit(source.base_url)
            return parts.hostname or "127.0.0.1", parts.port or 80
    return "127.0.0.1", 8089


def set_demo_credentials(environ=os.environ) -> None:
    """Put the demo's fake VK token and Weibo cookie into the environment (values already set are kept)."""
    for name, value in DEMO_CREDENTIALS.items():
        environ.setdefault(name, value)


def point_sources_at(settings, old_origin: str, new_origin: str) -> None:
    """Rewrite the sources' base_url/api_url from the configured demo origin to the running one."""
    for source in settings.sources:
        for attr in ("base_url", "api_url"):
            value = getattr(source, attr)
            if value and value.startswith(old_origin):
                setattr(source, attr, new_origin + value[len(old_origin):])


def _flagged(results: dict) -> int:
    classify = results.get("classify") or {}
    if isinstance(classify.get("flagged"), int):
        return classify["flagged"]
    return len(classify.get("flagged_listing_ids") or [])


def _fresh_start(settings) -> None:
    """Remove the demo database file (never a PostgreSQL database) so the demo starts empty."""
    url = settings.storage.database_url()
    if not url.startswith("sqlite:///"):
        click.echo(f"note: {settings.storage.database_url_env} is set; the demo keeps that database's contents")
        return
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()


@click.command("demo")
@click.option("--days", default=2, show_default=True, type=click.IntRange(1, 10),
              help="Simulated days to run, one daily pipeline each: listings appear, change and disappear.")
@click.option("--port", default=None, type=int,
              help="Port of the demo marketplace (default: the one in the demo config, 8089; a free one if busy).")
@click.option("--keep", is_flag=True, help="Keep the previous demo database instead of starting empty.")
@click.option("--no-serve", is_flag=True, help="Stop after the pipeline instead of starting the review UI.")
def demo_command(days: int, port: int | None, keep: bool, no_serve: bool) -> None:
    """Run SaigaWatch end to end on the built-in demo marketplace, then serve the review UI."""
    from config import load_config
    from demo_marketplace.server import serve_in_thread
    from saigawatch.pipeline import run_daily
    from saigawatch.runlock import RunLocked, run_lock
    from store import Store
    from store.models import utcnow

    ctx = get_context()
    settings = ctx.settings if ctx.config_path else load_config(DEMO_CONFIG)
    host, configured_port = demo_origin(settings)
    set_demo_credentials()
    wanted = port or configured_port
    if not _port_free(host, wanted):
        click.echo(f"port {wanted} is busy: the demo marketplace uses a free port instead")
        wanted = 0
    if not keep:
        _fresh_start(settings)
    store = Store.from_settings(settings)
    store.init()
    from alerts.evidence.keys import ensure_key

    if ensure_key(settings):
        click.echo(f"demo signing key created: {settings.evidence.signing_key_path}")
    started = utcnow()
    with serve_in_thread(port=wanted, host=host) as base_url:
        point_sources_at(settings, f"http://{host}:{configured_port}", base_url)
        click.echo(f"demo marketplace: {base_url}/ (OLX at {base_url}/olx-kz/, {base_url}/olx-uz/, {base_url}/olx-ua/)")
        totals = {"pages": 0, "stored": 0, "flagged": 0}
        try:
            with run_lock(settings.schedule.lock_file):
                for day in range(days):
                    base_url.set_day(day)
                    now = started - dt.timedelta(days=days - 1 - day)
                    report = run_daily(settings, store, operator="demo", trigger="demo", now=now)
                    crawl = report.results.get("crawl") or {}
                    flagged = _flagged(report.results)
                    totals["pages"] += int(crawl.get("pages_fetched") or 0)
                    totals["stored"] += int(crawl.get("listings_new") or 0)
                    totals["flagged"] += flagged
                    click.echo(
                        f"day {day} ({now.date().isoformat()}): {crawl.get('pages_fetched', 0)} pages fetched, "
                        f"{crawl.get('listings_new', 0)} new and {crawl.get('listings_changed', 0)} changed "
                        f"listings stored, {crawl.get('listings_touched', 0)} seen again unchanged, "
                        f"{crawl.get('listings_removed', 0)} removed, {flagged} listings flagged"
                        + (f"; failed steps: {', '.join(report.failed_steps)}" if report.failed_steps else ""))
                    for alert in crawl.get("alerts") or []:
                        click.echo(f"  ALERT {alert}")
        except RunLocked as exc:
            raise UserError(str(exc)) from None
        click.echo(f"total over {days} day(s): {totals['pages']} pages fetched, {totals['stored']} listings stored, "
                   f"{totals['flagged']} flags raised")
        _print_queue(store)
        if no_serve:
            return
        password = _demo_analyst(store)
        from alerts.web.app import run_server

        web_host, web_port = settings.web.host, settings.web.port
        if not _port_free(web_host, web_port):
            with socket.socket() as sock:
                sock.bind((web_host, 0))
                web_port = sock.getsockname()[1]
        click.echo(f"review UI: http://{web_host}:{web_port}/  (user {DEMO_USER!r}, password {password!r})")
        click.echo("press Ctrl-C to stop (the demo marketplace stops with it)")
        run_server(settings, host=web_host, port=web_port, store=store)


def _demo_analyst(store) -> str:
    """Create (or reset) the demo analyst account; returns its password."""
    from alerts.review.users import create_user, get_user, set_password

    password = "demo-" + secrets.token_urlsafe(9)
    with store.session() as session:
        if get_user(session, DEMO_USER) is None:
            create_user(session, DEMO_USER, password, "analyst", actor="demo")
        else:
            set_password(session, DEMO_USER, password, actor="demo")
    return password


def _print_queue(store) -> None:
    """Today's flagged queue, as `saigawatch queue` would show it (top 15)."""
    from alerts.review.queue import flagged_queue

    with store.session() as session:
        page = flagged_queue(session, status="open", page_size=15)
        click.echo(f"flagged queue ({page.total} open):")
        for item in page.items:
            listing = item.listing
            price = f"{listing.price:,.0f} {listing.currency}".replace(",", " ") if listing.price is not None else None
            details = ", ".join(x for x in (price, listing.location) if x)
            click.echo(f"  {item.classification.score:.2f}  [{listing.platform}] {listing.title[:60]}"
                       f"{f'  ({details})' if details else ''}  {listing.url}")
