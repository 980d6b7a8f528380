"""The one HTTP client every part of zdsync shares: auth, origin guard, limits, retries, stats."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from zdsync import __version__
from zdsync.client import errors, operations
from zdsync.client.auth import Authenticator, authenticator_for
from zdsync.client.pagination import Page, PageRequest, Paginator
from zdsync.client.ratelimit import RateLimiter, Slot
from zdsync.client.responses import error_for, json_object
from zdsync.client.settings import RetrySettings, Settings
from zdsync.client.stats import RequestStats

log = logging.getLogger(__name__)

_RETRYABLE = (errors.RetryLaterError,)


class ZendeskClient:
    """Talks to one Zendesk origin.

    Thread-safe: the rate limiters, stats and OAuth refresh are shared by every thread using the
    same client. Use as a context manager, or call ``close()``.

    Args:
        settings: Origin, credentials, limits and retry policy.
        transport: An httpx transport to use instead of the network (for tests).
        rate_limiter: Share limiters between clients of the same account.
        sleep: Injected for tests that must not wait.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        rate_limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.origin = settings.origin
        self.stats = RequestStats()
        self.limits = rate_limiter or RateLimiter(settings.rate_limits)
        self._auth: Authenticator = authenticator_for(settings.credentials)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.origin,
            transport=transport,
            timeout=settings.timeout_seconds,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": f"zdsync/{__version__}"},
        )

    def __enter__(self) -> ZendeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"ZendeskClient(origin={self.origin!r})"

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return json_object(self.request("GET", url, params=params))

    def get_bytes(self, url: str, params: Mapping[str, Any] | None = None) -> bytes:
        """The raw body, for callers that parse it themselves."""
        return self.request("GET", url, params=params).content

    def post_json(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return json_object(self.request("POST", url, json=body))

    def call(self, operation: str, /, **arguments: Any) -> dict[str, Any]:
        """Run a catalog operation by name, e.g. ``call("users.show", user_id=7)``.

        The arguments are checked before anything is sent. A list operation is read to its
        end and comes back as ``{response_key: [every record]}``; an answer without a body
        (204) as ``{}``.

        Raises:
            InvalidArgumentsError: An argument is missing or wrong; no request was sent.
            ZendeskError: What Zendesk answered, as for any request.
        """
        return operations.run(self, operation, arguments)

    def records(self, operation: str, /, **arguments: Any) -> Iterator[dict[str, Any]]:
        """Every record of a catalog list operation, read page by page as it is consumed.

        Raises:
            InvalidArgumentsError: Not a list operation, or an argument is wrong.
        """
        return operations.records(self, operation, arguments)

    def paginate(self, paginator: Paginator) -> Iterator[Page]:
        """Yield pages until the paginator's stop rule says the stream is done."""
        request: PageRequest | None = paginator.first_request()
        while request is not None:
            try:
                body = self.get_json(request.url, params=request.params)
            except errors.ZendeskError as exc:
                yield paginator.recover(exc)
                return
            page, request = paginator.read(body)
            yield page

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request, retrying what is transient, and raise what is not."""
        target = self._resolve(url)
        if params:
            # httpx would replace a URL's own query with ``params``; Zendesk's next-page URLs
            # carry their cursor in the query, so merge instead.
            target = target.copy_merge_params(dict(params))
        slots = self.limits.for_request(method, target.path)
        policy = self.settings.retry
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._auth.before_request(self._post_token_request)
            header = self._auth.header()
            outcome = self._send(method, target, json, header, slots)
            if isinstance(outcome, httpx.Response) and outcome.status_code < 400:
                return outcome
            error = (
                outcome
                if isinstance(outcome, errors.ZendeskError)
                else (error_for(method, target.path, outcome))
            )
            if error.code:
                self.stats.record_code(target.path, error.code)
            if error.status == 401 and not refreshed:
                refreshed = self._auth.after_unauthorized(header, self._post_token_request)
                if refreshed:
                    attempt -= 1
                    continue
            if not isinstance(error, _RETRYABLE) or attempt >= policy.max_attempts:
                raise error
            delay = _delay(policy, attempt, error)
            if error.status == 429:
                for slot in slots:
                    slot.limiter.pause(delay)
            self.stats.record_retry()
            log.warning("%s; retry %d in %.1fs", error, attempt, delay)
            self._sleep(delay)

    def _send(
        self,
        method: str,
        target: httpx.URL,
        json: Any,
        header: str,
        slots: list[Slot],
    ) -> httpx.Response | errors.ZendeskError:
        for slot in slots:
            slot.limiter.acquire(slot.reserve)
        try:
            response = self._http.request(
                method, target, json=json, headers={"Authorization": header}
            )
        except httpx.TransportError as exc:
            _release(slots)
            self.stats.record(method, target.path, None)
            return errors.ConnectionFailedError(
                f"{type(exc).__name__} talking to {self.origin} ({method} {target.path})"
            )
        except BaseException:
            _release(slots)
            raise
        try:
            # What the server says of its budget is learned before the slots are given back,
            # so a request waiting for one is sent knowing it.
            self.limits.observe(method, target.path, response.status_code, response.headers)
        finally:
            _release(slots)
        self.stats.record(method, target.path, response.status_code)
        log.debug("%s %s -> %d", method, target.path, response.status_code)
        return response

    def _resolve(self, url: str) -> httpx.URL:
        """Keep credentials on the configured origin: refuse any other host, port or scheme."""
        parts = urlsplit(url)
        if not parts.scheme and not parts.netloc:
            return httpx.URL(self.origin + ("" if url.startswith("/") else "/") + url)
        candidate = f"{parts.scheme}://{parts.netloc}".lower()
        if candidate != self.origin:
            # Named without any user:password@ the URL may carry.
            where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
            raise errors.UnsafeURLError(
                f"refusing to send credentials to {where}: "
                f"the server pointed outside the configured origin {self.origin}"
            )
        return httpx.URL(url)

    def _post_token_request(self, path: str, body: dict[str, Any]) -> httpx.Response:
        # The OAuth endpoint sits outside /api/v2 and its own rate limits; it gets one retry on a
        # dropped connection and no Authorization header.
        for _ in range(2):
            try:
                return self._http.post(path, json=body)
            except httpx.TransportError:
                continue
        raise errors.ConnectionFailedError(
            f"could not reach {self.origin}/oauth/tokens to refresh the token"
        )


def _delay(policy: RetrySettings, attempt: int, error: errors.ZendeskError) -> float:
    if error.retry_after is not None:
        return min(error.retry_after, policy.retry_after_cap_seconds)
    if error.status == 429:
        return policy.retry_after_default_seconds
    backoff = min(policy.backoff_cap_seconds, policy.backoff_base_seconds * 2 ** (attempt - 1))
    # Full jitter keeps parallel workers from retrying in lockstep.
    return random.uniform(backoff / 2, backoff)


def _release(slots: list[Slot]) -> None:
    for slot in slots:
        slot.limiter.release()
