"""Who may use the local API: the rules ``wenku serve`` enforces before and while it listens.

* Loopback (127.0.0.0/8, ::1, ``localhost``) needs no token; any other address (``0.0.0.0``, a
  LAN address, a host name) refuses to start without one (``--token-file`` or
  ``WENKU_API_TOKEN``), of at least :data:`MIN_TOKEN_LENGTH` characters.
* With a token, every request but ``GET /health`` needs ``Authorization: Bearer <token>``,
  compared in constant time (:func:`token_matches`), on loopback too.
* A loopback server only answers requests whose ``Host`` is a loopback name (a web page that
  rebinds its own domain to 127.0.0.1 gets 403), and requests from web pages (an ``Origin``
  header) only from origins allowed with ``--allow-origin``.
* Imports by server-side path: any path on loopback; off loopback only under ``--import-root``
  folders (without one, only uploads), so a token holder cannot read arbitrary server files.

Pure functions and a frozen options object; no web framework is imported here.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import ServeError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_ENV = "WENKU_API_TOKEN"
MIN_TOKEN_LENGTH = 16
#: Largest upload accepted (bytes); a bigger body gets 413.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class ServeOptions:
    """How ``wenku serve`` listens and whom it lets in (see the module docstring)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    #: Folders server-side path imports must lie under; None: any path (loopback only).
    import_roots: tuple[Path, ...] | None = None
    allowed_origins: tuple[str, ...] = ()
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or name (anything else counts as reachable)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def read_token(token_file: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The API token: the first line of ``token_file``, else ``$WENKU_API_TOKEN``, else None."""
    if token_file is not None:
        try:
            lines = token_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ServeError(f"cannot read the token file {token_file}: {error}") from error
        token = lines[0].strip() if lines else ""
        if not token:
            raise ServeError(f"the token file {token_file} is empty")
        return token
    value = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    return value or None


def checked(options: ServeOptions) -> ServeOptions:
    """The options made safe to listen with, or :class:`ServeError` saying what is missing."""
    if options.token is not None and len(options.token) < MIN_TOKEN_LENGTH:
        raise ServeError(f"the API token is too short: use at least {MIN_TOKEN_LENGTH} characters "
                         "(e.g. python -c \"import secrets; print(secrets.token_urlsafe(32))\")")
    if not options.loopback:
        if options.token is None:
            raise ServeError(
                f"refusing to listen on {options.host} without a token: other machines could read your "
                f"documents. Give one with --token-file FILE or the {TOKEN_ENV} environment variable "
                f"(or listen on {DEFAULT_HOST}, the default)")
        if options.import_roots is None:
            options = replace(options, import_roots=())  # off loopback: uploads only, unless roots are given
    if not 0 <= options.port <= 65535:
        raise ServeError(f"invalid port {options.port}")
    roots = options.import_roots
    if roots is not None:
        resolved = tuple(Path(r).expanduser().resolve() for r in roots)
        missing = [str(r) for r in resolved if not r.is_dir()]
        if missing:
            raise ServeError(f"--import-root must name existing folders: {', '.join(missing)}")
        options = replace(options, import_roots=resolved)
    return options


def token_matches(expected: str, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <expected>`` (constant-time compare)."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def host_allowed(options: ServeOptions, host_header: str | None) -> bool:
    """A loopback server answers only requests addressed to a loopback name (DNS rebinding)."""
    if not options.loopback:
        return True
    if not host_header:
        return False
    host = host_header.strip()
    if host.startswith("["):  # [::1]:8765
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return is_loopback(host)


def origin_allowed(options: ServeOptions, origin: str | None) -> bool:
    """Requests without ``Origin`` (scripts, SDKs, curl) pass; from a web page only if allowed."""
    return origin is None or origin in options.allowed_origins


def path_allowed(options: ServeOptions, path: Path) -> bool:
    """Whether a server-side path may be imported (see ``import_roots``)."""
    roots = options.import_roots
    if roots is None:
        return True
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(root) for root in roots)
