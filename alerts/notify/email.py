"""Send the digest by email over SMTP (plain, STARTTLS or SSL), with the login taken from the environment."""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts.notify.digest import Digest
from alerts.notify.render import render_html, render_text
from config.schema import SmtpSettings


class ChannelError(Exception):
    """A notification channel could not deliver; the message says why in one line."""


def build_message(cfg: SmtpSettings, digest: Digest) -> EmailMessage:
    """A multipart/alternative email: plain text plus HTML."""
    msg = EmailMessage()
    msg["Subject"] = digest.subject(cfg.subject_prefix)
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=cfg.sender.rpartition("@")[2] or "saigawatch")
    msg["X-SaigaWatch-Run"] = str(digest.run_id)
    msg.set_content(render_text(digest))
    msg.add_alternative(render_html(digest), subtype="html")
    return msg


def _tls_context(cfg: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if cfg.ca_file:
        try:
            context.load_verify_locations(cafile=os.path.expanduser(cfg.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ChannelError(f"notify.smtp.ca_file {cfg.ca_file}: cannot load ({exc})") from None
    return context


def send_email(cfg: SmtpSettings, digest: Digest) -> str:
    """Deliver the digest; return a one-line description, raise ChannelError on any failure."""
    msg = build_message(cfg, digest)
    user = os.environ.get(cfg.username_env)
    password = os.environ.get(cfg.password_env)
    if user and password is None:
        raise ChannelError(f"{cfg.username_env} is set but {cfg.password_env} is not")
    where = f"{cfg.host}:{cfg.port}"
    try:
        if cfg.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s, context=_tls_context(cfg))
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        with client:
            client.ehlo()
            if cfg.security == "starttls":
                if not client.has_extn("starttls"):
                    raise ChannelError(f"SMTP server {where} does not offer STARTTLS")
                client.starttls(context=_tls_context(cfg))
                client.ehlo()
            if user:
                client.login(user, password or "")
            refused = client.send_message(msg)
    except ChannelError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"SMTP login to {where} as {user!r} refused: {exc.smtp_code} {exc.smtp_error!r}") from None
    except smtplib.SMTPException as exc:
        raise ChannelError(f"SMTP error from {where}: {exc}") from None
    except ssl.SSLCertVerificationError as exc:
        raise ChannelError(f"TLS certificate of {where} not trusted: certificate verify failed: {exc.verify_message} "
                           "(for a private CA or self-signed certificate set notify.smtp.ca_file)") from None
    except ssl.SSLError as exc:
        raise ChannelError(f"TLS error with {where}: {exc.reason or exc}") from None
    except OSError as exc:
        raise ChannelError(f"cannot reach SMTP server {where}: {exc.strerror or exc}") from None
    delivered = [r for r in cfg.recipients if r not in refused]
    if not delivered:
        raise ChannelError(f"SMTP server {where} refused every recipient")
    return f"sent to {len(delivered)} recipient(s) via {where}" + (f"; refused: {', '.join(refused)}" if refused else "")
