"""The sandbox HTTP server: routing, auth, limits and faults in Zendesk's order."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from zdsync import catalog
from zdsync.sandbox import (
    lists,
    passwords,
    zis,
)
from zdsync.sandbox.accounts import Accounts
from zdsync.sandbox.bulk import Jobs
from zdsync.sandbox.config import ADMIN_EMAIL, SandboxConfig
from zdsync.sandbox.control import control
from zdsync.sandbox.faults import FaultPlan
from zdsync.sandbox.limits import RateLimits
from zdsync.sandbox.routes import ROUTES
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, error_reply

ZIS_PREFIX = "/api/services/zis/"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the sandbox answered it; ``operation`` is the catalog operation its
    method and path belong to, None for one no operation serves (and the control routes)."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    status: int
    user_id: int | None
    operation: str | None = None


class App:
    """Everything one sandbox account is: data, credentials, limits, jobs, faults, the log."""

    store: Store
    jobs: Jobs
    selections: lists.Selections

    def __init__(self, config: SandboxConfig, origin: str) -> None:
        self.config = config
        self.store = Store(config, origin)
        self.accounts = Accounts(config, self.store)
        self.limits = RateLimits(config, self.store.clock.now)
        self.jobs = Jobs(config, self.store, self.limits)
        self.faults = FaultPlan(config.faults, config.seed)
        self.selections = lists.Selections()
        self.log: deque[LoggedRequest] = deque(maxlen=500_000)
        self.zis = zis.Registry()
        self.passwords = passwords.Passwords()
        # What endpoints without a visible effect did: mails sent, reminders, sessions ended.
        self.verification_mails: list[int] = []
        self.owner_reminders: list[dict[str, Any]] = []
        self.logouts: dict[int, int] = {}

    def handle(self, request: Request) -> Reply:
        reply = self._dispatch(request)
        found = catalog.find(_matched_method(request), request.path)
        self.log.append(
            LoggedRequest(
                time.time(),
                request.method,
                request.path,
                request.query,
                reply.status,
                request.user["id"] if request.user else None,
                found.name if found else None,
            )
        )
        return reply

    def _dispatch(self, request: Request) -> Reply:
        if request.path.startswith("/_sandbox/"):
            return control(self, request)
        if request.path.startswith("/api/v2/"):
            fault = self.faults.pick(request.path)
            reply = fault.reply() if fault else None
            if reply is not None:
                return reply
        if request.method == "POST" and request.path == "/oauth/tokens":
            return self.accounts.token_endpoint(request)
        caller = self.accounts.authenticate(request)
        if isinstance(caller, Reply):
            return zis.unauthorized() if request.path.startswith(ZIS_PREFIX) else caller
        request.user = caller
        headers: dict[str, str] = {}
        limited = self.limits.check(request.method, request.path, headers)
        reply = limited or self._route(request)
        for key, value in headers.items():
            reply.headers.setdefault(key, value)
        return reply

    def _route(self, request: Request) -> Reply:
        found = catalog.match(_matched_method(request), request.path)
        handler = ROUTES.get(found[0].name) if found else None
        if found is None or handler is None:
            return error_reply(404, "InvalidEndpoint", "Not found")
        self.jobs.settle()
        return handler(self, request, found[1])

    def request_log(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in list(self.log)]


def _matched_method(request: Request) -> str:
    # HEAD reads what GET would, without the body.
    return "GET" if request.method == "HEAD" else request.method


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the second waits for
    # the client's delayed ACK and every small response costs about 40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def __getattr__(self, name: str) -> Callable[[], None]:
        # The stdlib looks up do_<METHOD> and answers an HTML 501 when it is missing; every
        # method goes to the App instead, which answers routes it lacks as Zendesk does.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                return  # the client refused the certificate or hung up
        super().handle()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(pairs),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            pairs=pairs,
        )
        reply = self.server.app.handle(request)
        if reply.drop:
            self._drop(reply)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Zendesk-API-Version", "v2")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _drop(self, reply: Reply) -> None:
        # Promise a long body, send a sliver, hang up: the client sees a broken response.
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            + reply.body
        )
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the App keeps its own request log


def tls_context(certificate: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context from PEM files, for clients that insist on HTTPS.

    Raises:
        OSError: A file cannot be read.
        ssl.SSLError: The files are not a matching certificate and key.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app_factory: Callable[[str], App],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        if tls is not None:
            # The handshake runs in the request's thread, so a slow client holds up no other.
            self.socket = tls.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )
        host, port = self.server_address[:2]
        self.origin = f"{'https' if tls else 'http'}://{host!s}:{port}"
        self.app = app_factory(self.origin)


class Sandbox:
    """A running sandbox, in-process.

    Usage::

        with Sandbox(SandboxConfig(tickets=100)).start() as sandbox:
            ZENDESK_BASE_URL = sandbox.base_url
            sandbox.store.update_user(...)
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(
        self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
    ) -> Sandbox:
        """Serve in a background thread; over HTTPS when given a server-side TLS context."""
        self._server = _Server((host, port), lambda origin: App(self.config, origin), tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="zdsync-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self, host: str, port: int) -> None:
        """Run in the foreground (the CLI)."""
        self._server = _Server((host, port), lambda origin: App(self.config, origin))
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def app(self) -> App:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return self._server.app

    @property
    def base_url(self) -> str:
        return self.app.store.origin

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def admin_email(self) -> str:
        return ADMIN_EMAIL

    @property
    def api_token(self) -> str:
        return self.app.accounts.api_token
