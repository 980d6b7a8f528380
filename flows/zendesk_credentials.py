"""Which Zendesk, as whom: a Prefect Block, so flows name saved credentials instead of holding them.

The fields are the settings ``zdsync.client.settings`` reads from ``ZENDESK_*`` variables, under
the same names; secrets are ``SecretStr``, which Prefect stores encrypted and never shows.
"""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from zdsync.client.settings import Settings


class ZendeskCredentials(Block):
    """A Zendesk account and the credentials to use it.

    Give ``subdomain`` (``acme`` for acme.zendesk.com) or ``base_url``, and either an OAuth
    access token (with the client id, secret and refresh token to refresh it) or an email and
    API token.
    """

    _block_type_name = "Zendesk Credentials"
    _description = "Where zdsync's Zendesk tasks connect, and with which credentials."

    subdomain: str | None = Field(default=None, description="acme for acme.zendesk.com.")
    base_url: str | None = Field(default=None, description="Any origin instead (a proxy).")
    oauth_token: SecretStr | None = Field(default=None, description="OAuth access token.")
    oauth_refresh_token: SecretStr | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_token_file: str | None = Field(
        default=None, description="Where rotated OAuth tokens are kept on the worker."
    )
    email: str | None = Field(default=None, description="With api_token: API-token auth.")
    api_token: SecretStr | None = None

    @classmethod
    def saved(cls, name: str) -> ZendeskCredentials:
        """The credentials saved under ``name``, loaded from the Prefect server."""
        found = cls.load(name)
        if not isinstance(found, cls):
            raise TypeError("ZendeskCredentials.saved() is for synchronous code; await aload()")
        return found

    def settings(self) -> Settings:
        """The client settings these credentials make.

        Raises:
            ConfigurationError: No origin, no usable credentials, or a malformed value.
        """
        values = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in self
            if isinstance(value, str | SecretStr | None)
        }
        return Settings.from_values(values)
