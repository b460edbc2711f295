"""One exception hierarchy; the CLI maps each class to an exit code and a clean message."""

from __future__ import annotations


class ParkscopeError(Exception):
    """Base class of every error parkscope raises on purpose.

    The message is one paragraph that names the problem and the fix.
    """

    exit_code = 1


class InputError(ParkscopeError):
    """A file or argument given by the user is missing, unreadable or malformed."""

    exit_code = 2


class ExtractError(InputError):
    """The OpenStreetMap extract is missing, not OSM data, or truncated."""

    exit_code = 3


class AreaError(InputError):
    """The study area (bbox, boundary or park name) is invalid or outside the extract."""

    exit_code = 4


class NetworkError(ParkscopeError):
    """No usable walking network in the study area."""

    exit_code = 5


class ConfigError(InputError):
    """A configuration file has an unknown key or an invalid value."""

    exit_code = 6
