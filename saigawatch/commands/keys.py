"""`saigawatch keys`: create and show the organisation's key (ECDSA P-384 or Ed25519) that signs evidence."""
from __future__ import annotations

from pathlib import Path

import click

from alerts.evidence import keys as keymod
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(keys)


@click.group("keys")
def keys() -> None:
    """The organisation's signing key for evidence manifests (ECDSA P-384 by default, or Ed25519)."""


def _inside_repo(path: Path) -> bool:
    here = Path(__file__).resolve().parents[2]
    return here == path.resolve() or here in path.resolve().parents


@keys.command("generate")
@click.option("--path", "path", type=click.Path(path_type=Path), default=None,
              help="Where to write the private key (default: evidence.signing_key_path).")
@click.option("--force", is_flag=True, help="Replace an existing key (bundles signed with the old one stay valid "
                                            "only against the old public key: keep it).")
@click.option("--type", "key_type", type=click.Choice(keymod.KEY_TYPES), default="ecdsa-p384", show_default=True,
              help="ecdsa-p384: what the WACZ signing specification names; ed25519: smaller and faster.")
def generate(path: Path | None, force: bool, key_type: str) -> None:
    """Write a new private key (mode 0600) and its public key beside it (*.pub.pem)."""
    settings = get_context().settings
    target = Path(path).expanduser() if path else keymod.private_key_path(settings)
    if _inside_repo(target):
        raise UserError(f"{target} is inside the source tree: keep the private key outside it "
                        "(set evidence.signing_key_path)")
    try:
        made = keymod.generate_key(target, force=force, key_type=key_type)
    except keymod.SigningKeyError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"private key: {made.private_path} (mode 600; back it up somewhere safe, never share it)")
    click.echo(f"public key:  {made.public_path} (publish it)")
    click.echo(f"key type:    {key_type}")
    click.echo(f"fingerprint: {made.key_id}")


@keys.command("show")
def show() -> None:
    """Print the key's path and fingerprint (what to publish so others can check bundles)."""
    settings = get_context().settings
    path = keymod.private_key_path(settings)
    try:
        key = keymod.load_private_key(path)
    except keymod.SigningKeyError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"private key: {path}")
    click.echo(f"public key:  {keymod.public_key_path_for(path)}")
    click.echo(f"fingerprint: {keymod.key_id(key.public_key())}")
    click.echo(f"key type:    {keymod.algorithm_label(key)}")
    click.echo(keymod.public_key_pem(key.public_key()).decode("ascii").rstrip())
