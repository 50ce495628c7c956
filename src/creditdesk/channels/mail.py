"""E-mail: sending over SMTP with STARTTLS, and a local SMTP server for the demo and the tests.

:func:`send_mail` builds one UTF-8 message (:class:`email.message.EmailMessage`: Hindi text, ``₹`` and
a Hindi subject survive; text, and HTML as an alternative) and hands it to the tenant's SMTP server
with :mod:`smtplib`, upgrading the connection with STARTTLS when the config asks (the default) and
verifying the server's certificate. Credentials go only over TLS. Failures are the channel errors of
:mod:`creditdesk.channels.providers` with ``provider="email"``: a 4xx reply, a dropped connection or a
timeout is :class:`ChannelUnavailable` (retry later), a 5xx reply :class:`ChannelRejected`, refused
credentials :class:`ChannelAuthError`, a server that offers no STARTTLS or an untrusted certificate
:class:`ChannelConfigError`.

:class:`LocalSmtpServer` is aiosmtpd's :class:`~aiosmtpd.controller.Controller` on 127.0.0.1 and a free
port, with STARTTLS under a self-signed certificate made at start (the ``cryptography`` package; the
client trusts it through :meth:`LocalSmtpServer.client_ssl_context`), optional AUTH, and the messages
it received kept in memory (:meth:`LocalSmtpServer.messages`, parsed).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from creditdesk.channels.providers import (
    ChannelAuthError,
    ChannelConfigError,
    ChannelError,
    ChannelRejected,
    ChannelTimeout,
    ChannelUnavailable,
)

PROVIDER = "email"
MAX_SUBJECT = 998


@dataclass(frozen=True, kw_only=True)
class SmtpConfig:
    """A tenant's outgoing mail server (``ssl_context``: whom to trust; default the system's CAs)."""

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    from_address: str
    from_name: str | None = None
    starttls: bool = True
    timeout_s: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.host or not 0 < self.port < 65536:
            raise ValueError("host and a port from 1 to 65535 are required")
        if not _is_address(self.from_address):
            raise ValueError("from_address must be an e-mail address")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        if self.username is not None and not self.starttls:
            raise ValueError("credentials are sent only over TLS: set starttls=True")
        if not 0 < self.timeout_s <= 300:
            raise ValueError("timeout_s must be in (0, 300]")


def _is_address(value: str) -> bool:
    name, address = parseaddr(value)
    return bool(address) and address == value.strip() and "@" in address and not any(c in value for c in "\r\n")


def build_message(
    config: SmtpConfig,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    message_id: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The message :func:`send_mail` sends (UTF-8 text, HTML as an alternative, a Message-ID)."""
    if not _is_address(to):
        raise ValueError("to must be one e-mail address")
    if not subject or len(subject) > MAX_SUBJECT:
        raise ValueError("the subject must be 1 to 998 characters")
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr((config.from_name, config.from_address)) if config.from_name else config.from_address
    message["To"] = to
    message["Subject"] = subject  # raises ValueError for a line break: no header injection
    message["Date"] = formatdate(usegmt=True)
    domain = config.from_address.rsplit("@", 1)[1]
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    if reply_to is not None:
        if not _is_address(reply_to):
            raise ValueError("reply_to must be an e-mail address")
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send_mail(
    config: SmtpConfig,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str | None = None,
    *,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Send one e-mail to ``to``; returns its Message-ID (the provider id of the message log).

    ``message_id`` (``<…@domain>``) lets a retried send keep the id of the first attempt.
    """
    message = build_message(config, to, subject, text, html, message_id=message_id, reply_to=reply_to, headers=headers)
    with _connected(config) as smtp:
        refused = smtp.send_message(message)
    if refused:  # pragma: no cover - one recipient: smtplib raises SMTPRecipientsRefused instead
        raise ChannelRejected(f"the mail server refused {', '.join(refused)}", provider=PROVIDER)
    return str(message["Message-ID"])


@contextmanager
def _connected(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """An SMTP session as a send needs it: EHLO, STARTTLS, login; failures as channel errors."""
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=config.ssl_context or trust(None))
                smtp.ehlo()
            if config.username is not None and config.password is not None:
                smtp.login(config.username, config.password)
            yield smtp
    except smtplib.SMTPException as exc:
        raise _smtp_error(exc) from None
    except ssl.SSLCertVerificationError as exc:
        raise ChannelConfigError(
            f"the mail server's certificate is not trusted: {exc.verify_message}", provider=PROVIDER
        ) from None
    except TimeoutError:
        raise ChannelTimeout("the mail server did not answer in time", provider=PROVIDER) from None
    except OSError as exc:
        raise ChannelUnavailable(
            f"the mail server could not be reached ({type(exc).__name__})", provider=PROVIDER
        ) from None


@lru_cache(maxsize=64)
def trust(ca_pem: str | None) -> ssl.SSLContext:
    """A client context trusting the system's CAs and ``ca_pem`` (a lender's private CA), made once per CA
    (loading the CA bundle costs about 20 ms of CPU; a context is safe to share between connections)."""
    context = ssl.create_default_context()
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    return context


def check_server(config: SmtpConfig) -> str:
    """Connect, say EHLO, upgrade to TLS and log in as a send would — and send nothing (the live test)."""
    with _connected(config) as smtp:
        smtp.noop()
    tls = "over STARTTLS" if config.starttls else "without TLS"
    return f"the mail server {config.host}:{config.port} accepted the connection {tls}"


def _by_code(code: int, what: str) -> ChannelError:
    if 400 <= code < 500:
        return ChannelUnavailable(
            f"the mail server deferred {what} ({code})", provider=PROVIDER, provider_code=str(code)
        )
    return ChannelRejected(f"the mail server refused {what} ({code})", provider=PROVIDER, provider_code=str(code))


def _smtp_error(exc: smtplib.SMTPException) -> ChannelError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ChannelAuthError("the mail server refused the username and password", provider=PROVIDER)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ChannelConfigError(f"the mail server does not support {exc}", provider=PROVIDER)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return _by_code(min(codes) if codes else 550, "the recipient")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(exc.smtp_code, "the sender")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, "the message")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if "timed out" in str(exc):  # smtplib reports a read timeout as a disconnection
            return ChannelTimeout("the mail server did not answer in time", provider=PROVIDER)
        return ChannelUnavailable("the mail server closed the connection", provider=PROVIDER)
    if "STARTTLS" in str(exc):
        return ChannelConfigError("the mail server does not offer STARTTLS", provider=PROVIDER)
    return ChannelUnavailable(f"the mail exchange failed ({type(exc).__name__})", provider=PROVIDER)


# -- the local server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message the local server accepted: the envelope, the raw bytes, whether it came over TLS."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    tls: bool
    auth_user: str | None = None

    @property
    def message(self) -> EmailMessage:
        """The message parsed (headers decoded: ``message["Subject"]`` is text)."""
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        """The decoded subject."""
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        """The Message-ID header."""
        return str(self.message["Message-ID"])

    def body(self, subtype: str = "plain") -> str | None:
        """The decoded ``text/plain`` (or ``text/html``) part, if any, with ``\n`` line ends (CRLF on the wire)."""
        part = self.message.get_body(preferencelist=(subtype,))
        return None if part is None else str(part.get_content()).replace("\r\n", "\n")


def self_signed_certificate(hostname: str = "localhost") -> tuple[bytes, bytes]:
    """A certificate (PEM) for ``hostname`` and 127.0.0.1, valid one day, and its EC P-256 key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class _Store:
    """The handler aiosmtpd calls: keeps every accepted message."""

    def __init__(self) -> None:
        self.items: list[ReceivedMail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content or b""
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw if isinstance(raw, bytes) else raw.encode("utf-8"),
            tls=session.ssl is not None,
            auth_user=user,
        )
        with self.lock:
            self.items.append(mail)
        return "250 Message accepted for delivery"


class _QuietLoginData(logging.Filter):
    """Drops aiosmtpd's own deprecation notice, logged at every AUTH it handles (its code, not ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_QUIET = _QuietLoginData()


class _Controller(Controller):
    """aiosmtpd's threaded controller on the port the OS chose (``port=0``)."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it unannotated


class LocalSmtpServer:
    """A real SMTP server on 127.0.0.1 for the demo and tests; use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        starttls: bool = True,
        require_starttls: bool | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.starttls = starttls
        self.credentials = credentials
        self._store = _Store()
        self._certificate: bytes | None = None
        tls_context = self._server_context() if starttls else None
        require = starttls if require_starttls is None else require_starttls
        options: dict[str, Any] = {"tls_context": tls_context, "require_starttls": require and starttls}
        if credentials is not None:
            logging.getLogger("mail.log").addFilter(_QUIET)  # the same filter once, however many servers
            options.update(auth_required=True, auth_require_tls=starttls, authenticator=self._authenticate)
        self._controller = _Controller(self._store, hostname=host, port=port, **options)
        self._running = False

    def _server_context(self) -> ssl.SSLContext:
        certificate, key = self_signed_certificate()
        self._certificate = certificate
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="creditdesk-smtp-") as folder:  # load_cert_chain reads files
            cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert_file.write_bytes(certificate)
            key_file.write_bytes(key)
            key_file.chmod(0o600)
            context.load_cert_chain(cert_file, key_file)
        return context

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        expected = self.credentials
        ok = (
            expected is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login == expected[0].encode()
            and auth_data.password == expected[1].encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> LocalSmtpServer:
        """Start serving (in a thread of its own)."""
        if not self._running:
            self._controller.start()
            self._running = True
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._running:
            self._controller.stop()
            self._running = False

    def __enter__(self) -> LocalSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return int(self._controller.port)

    # -- clients ------------------------------------------------------------------------------------

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and verifies the host name)."""
        if self._certificate is None:
            raise RuntimeError("the server was started without STARTTLS")
        return ssl.create_default_context(cadata=self._certificate.decode())

    def config(self, from_address: str = "collections@creditdesk.test", **overrides: Any) -> SmtpConfig:
        """An :class:`SmtpConfig` for this server (its credentials, STARTTLS and trust), with ``overrides``."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "from_address": from_address,
            "starttls": self.starttls,
            "timeout_s": 10.0,
            "ssl_context": self.client_ssl_context() if self.starttls else None,
        }
        if self.credentials is not None:
            values.update(username=self.credentials[0], password=self.credentials[1])
        values.update(overrides)
        return SmtpConfig(**values)

    # -- what it received ---------------------------------------------------------------------------

    def messages(self) -> list[ReceivedMail]:
        """The messages received so far, oldest first."""
        with self._store.lock:
            return list(self._store.items)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[ReceivedMail]:
        """The messages once at least ``count`` have arrived; AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if len(found) < count:
            raise AssertionError(f"expected {count} messages, got {len(found)}")
        return found

    def clear(self) -> None:
        """Forget the messages received."""
        with self._store.lock:
            self._store.items.clear()
