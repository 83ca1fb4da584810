"""One exception family for everything a user can get wrong.

Messages are written for musicians: they name the file and the problem in one line
("demo.wav: this file has no audio stream"), never a traceback. The command line maps
:class:`BadInputError` and :class:`UsageError` to exit code 2, :class:`ContractError` to 1.
"""


class SyncreadyError(Exception):
    """Base class of every error syncready raises on purpose."""


class BadInputError(SyncreadyError):
    """An input file cannot be used: unreadable, corrupt, empty, unsupported or not audio."""


class UsageError(SyncreadyError):
    """Wrong arguments: an unknown profile, an output that would overwrite an input..."""


class ContractError(SyncreadyError):
    """An output could not be made to its promise (a master that would need crushing, an edit
    that measured wrong); nothing was kept. The command line maps it to exit code 1."""
