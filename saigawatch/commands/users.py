"""`saigawatch users add|list|disable|enable|passwd|role`: review-UI accounts."""
from __future__ import annotations

import getpass
import json
import sys

import click

from alerts.review.users import LANGUAGES, ROLES, UserError as AccountError, create_user, list_users, set_disabled, \
    set_password, set_role
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(users)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _password(password_stdin: bool) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise UserError("no password on standard input")
        return value
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users() -> None:
    """Manage review-UI accounts (roles: analyst, admin, viewer)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="analyst", show_default=True,
              help="analyst: review and export evidence; admin: also users and sources; viewer: statistics only.")
@click.option("--language", type=click.Choice(LANGUAGES), default="ru", show_default=True, help="UI language of the user.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def add(username: str, role: str, language: str, password_stdin: bool) -> None:
    """Create an account; the password is asked for twice (or read with --password-stdin)."""
    store = get_context().store()
    password = _password(password_stdin)
    try:
        with store.session() as session:
            create_user(session, username, password, role, language=language, actor=_actor())
    except AccountError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"user {username} created with role {role}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(as_json: bool) -> None:
    """List accounts with role, language and state."""
    store = get_context().store()
    with store.session() as session:
        rows = [{"username": u.username, "role": u.role, "language": u.language,
                 "state": "disabled" if u.disabled else "active", "created_at": u.created_at.isoformat()}
                for u in list_users(session)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no users yet: add one with 'saigawatch users add NAME --role admin'")
        return
    width = max(len(r["username"]) for r in rows)
    for r in rows:
        click.echo(f"{r['username']:<{width}}  {r['role']:<8} {r['language']:<3} {r['state']:<8} {r['created_at'][:19]}")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account: it can no longer log in and its open sessions stop working."""
    _change(lambda s: set_disabled(s, username, True, actor=_actor()), f"user {username} disabled")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Re-enable a disabled account."""
    _change(lambda s: set_disabled(s, username, False, actor=_actor()), f"user {username} enabled")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input instead of prompting.")
def passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (this ends the user's open sessions)."""
    password = _password(password_stdin)
    _change(lambda s: set_password(s, username, password, actor=_actor()), f"password of {username} changed")


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def role(username: str, role: str) -> None:
    """Change the role of an account."""
    _change(lambda s: set_role(s, username, role, actor=_actor()), f"user {username} is now {role}")


def _change(operation, message: str) -> None:
    store = get_context().store()
    try:
        with store.session() as session:
            operation(session)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    click.echo(message)
