"""`saigawatch evidence`: capture a listing now, export a case bundle, verify a bundle, record a hand-over."""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(evidence)


@click.group("evidence")
def evidence() -> None:
    """Evidence for police: captures, signed case bundles, offline verification."""


@evidence.command("capture")
@click.argument("listing_ids", nargs=-1, type=int, required=True)
@click.option("--operator", default=None, help="Name recorded in capture_env.json and the custody log (default: login name).")
def capture(listing_ids: tuple[int, ...], operator: str | None) -> None:
    """Run the capture chain now on LISTING_IDS (database ids), e.g. for a listing found by hand."""
    from alerts.evidence.capture import browser_for, capture_listings

    ctx = get_context()
    settings, store = ctx.settings, ctx.store()
    failed = False
    with browser_for(settings) as browser:
        for lid, cap in capture_listings(settings, store, list(listing_ids), operator=operator or getpass.getuser(),
                                         reason="manual", browser=browser):
            if isinstance(cap, LookupError):
                raise UserError(str(cap))
            if isinstance(cap, Exception):
                raise cap
            status = ", ".join(f"{k}={v['status']}" for k, v in cap.steps.items())
            click.echo(f"listing {lid}: capture {cap.id} in {settings.storage.data_path / cap.directory} ({status})")
            for name, step in cap.steps.items():
                if step["status"] == "error":
                    failed = True
                    click.echo(f"  {name} failed: {step['error']}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@evidence.command("export")
@click.argument("listing_ids", nargs=-1, type=int, required=True)
@click.option("--case", "case_name", default=None, help="Case name shown in the report and the file name "
                                                        "(default: 'listing-<ids>').")
@click.option("--lang", "language", type=click.Choice(["ru", "kk"]), default=None,
              help="Report language: ru, or kk for a Kazakh report in addition to the Russian one "
                   "(default: evidence.report_language).")
@click.option("--operator", default=None, help="Who exports (custody log; default: login name).")
@click.option("--no-capture", is_flag=True, help="Do not capture listings that were never captured (fail instead).")
def export(listing_ids: tuple[int, ...], case_name: str | None, language: str, operator: str | None,
           no_capture: bool) -> None:
    """Write one signed ZIP for LISTING_IDS: captures, WACZ, custody log, report PDF, VERIFY.txt."""
    from alerts.evidence.export import ExportError, export_case
    from store.models import EvidenceCapture

    ctx = get_context()
    settings, store = ctx.settings, ctx.store()
    if no_capture:
        with store.session() as session:
            captured = set(session.scalars(select(EvidenceCapture.listing_id)
                                           .where(EvidenceCapture.listing_id.in_(listing_ids))))
        missing = [i for i in listing_ids if i not in captured]
        if missing:
            raise UserError(f"listing(s) {', '.join(map(str, missing))} were never captured (drop --no-capture to capture them)")
    name = case_name or "listing-" + "-".join(map(str, listing_ids[:5]))
    try:
        path = export_case(settings, store, list(listing_ids), name, operator or getpass.getuser(), language)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    click.echo(str(path))


@evidence.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--public-key", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="The organisation's public key, obtained from it directly: the signature must be by this key.")
@click.option("--fingerprint", "fingerprints", multiple=True, metavar="SHA256",
              help="A trusted key fingerprint, e.g. the one printed in the appeal letter (repeatable).")
@click.option("--tsa-ca", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="The TSA's certificate (PEM) to check the timestamp with (default: evidence.tsa_ca_file).")
@click.option("--lang", "lang", type=click.Choice(["ru", "kk", "en"]), default=None,
              help="Language of the result: ru, kk or en (default: evidence.report_language).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(bundle: Path, public_key: Path | None, fingerprints: tuple[str, ...], tsa_ca: Path | None,
           lang: str | None, as_json: bool) -> None:
    """Check BUNDLE (ZIP, folder or a bare archive.wacz): who signed it, every hash, the timestamp and the custody log.

    Exit status 0: verified (intact and signed by a trusted key); 2: intact, but origin NOT checked (no trusted key
    given, or no trusted TSA for its timestamp); 1: not intact, with one line per failing file or entry.
    """
    from alerts.evidence.keys import SigningKeyError
    from alerts.evidence.verify import Trust, verify_bundle

    ev = get_context().settings.evidence
    if not bundle.exists():
        raise UserError(f"{bundle}: no such file or directory")
    try:
        trust = Trust.build(public_key=public_key,
                            fingerprints=[(f, "--fingerprint") for f in fingerprints]
                            + [(f, "evidence.trusted_keys") for f in ev.trusted_keys],
                            tsa_files=[tsa_ca or (Path(ev.tsa_ca_file).expanduser() if ev.tsa_ca_file else None)])
    except SigningKeyError as exc:
        raise UserError(str(exc)) from None
    report = verify_bundle(bundle, max_member_bytes=ev.max_member_bytes, max_bundle_bytes=ev.max_bundle_bytes,
                           trust=trust, lang=lang or ev.report_language)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for note in report.notes:
            click.echo(f"ok    {note}")
        for problem in report.problems:
            click.echo(f"FAIL  {problem}")
        click.echo(report.verdict(), err=not report.ok)
    sys.stdout.flush()
    if report.exit_code:
        raise click.exceptions.Exit(report.exit_code)


@evidence.command("handover")
@click.argument("listing_ids", nargs=-1, type=int, required=True)
@click.option("--to", "recipient", required=True, help="Who received the evidence (authority, officer).")
@click.option("--number", default=None, help="Police registration number (КУСП / ЕРДР), when known.")
@click.option("--operator", default=None, help="Who handed it over (default: login name).")
@click.option("--bundle", "bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="The exported ZIP handed over: the entries are appended to its custody.jsonl too.")
def handover(listing_ids: tuple[int, ...], recipient: str, number: str | None, operator: str | None,
             bundle: Path | None) -> None:
    """Record in the custody log that LISTING_IDS' evidence was handed over (and the registration number)."""
    from alerts.evidence.custody import use_signing_key
    from alerts.evidence.handover import HandoverError, record_handover

    ctx = get_context()
    signer = use_signing_key(ctx.settings)
    with ctx.store().session() as session:
        try:
            entries = record_handover(session, list(listing_ids), actor=operator or getpass.getuser(),
                                      recipient=recipient, number=number, bundle=bundle, signer=signer)
        except HandoverError as exc:
            raise UserError(str(exc)) from None
    for entry in entries:
        click.echo(f"{entry['listing']}: custody entry {entry['entry_hash']}")
    if bundle:
        click.echo(f"appended to {bundle}")


@evidence.command("custody")
@click.argument("listing_id", type=int)
def custody_show(listing_id: int) -> None:
    """Print LISTING_ID's custody log as JSON lines and check its hash chain."""
    from alerts.evidence.custody import bundle_entry, check_listing_chain, events_for, listing_key
    from store.models import Listing

    ctx = get_context()
    with ctx.store().session() as session:
        listing = session.get(Listing, listing_id)
        if listing is None:
            raise UserError(f"no listing with id {listing_id}")
        for event in events_for(session, listing.id):
            click.echo(json.dumps(bundle_entry(event, listing_key(listing)), ensure_ascii=False, sort_keys=True))
        problems = check_listing_chain(session, listing)
    for problem in problems:
        click.echo(f"FAIL  {problem}", err=True)
    if problems:
        raise click.exceptions.Exit(1)
