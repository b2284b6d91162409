"""The built-in Entra provider runs the contract test kit's suite."""

from trainmeuk_identity.testing.contract import *  # noqa: F403  (the kit's suite)
