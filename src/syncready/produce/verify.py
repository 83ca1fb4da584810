"""Self-verification: every production command measures what it wrote before it reports success.

A command states its contract as a function from the written file's
:class:`~syncready.analysis.Analysis` to a list of broken promises (empty when the output is
good). :func:`verified` analyses the output (the analysis is cached by content hash, so a
later ``syncready check`` of the output is free), and deletes the file and raises
:class:`ContractError` when a promise is broken: a failed output never looks like a result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..analysis import Analysis, analyze
from ..errors import ContractError


def verified(path: str | Path, contract: Callable[[Analysis], list[str]]) -> Analysis:
    """Analyse the written file ``path`` and hold it to ``contract``.

    Raises
    ------
    ContractError
        Naming the file and every broken promise, after deleting the file.
    """
    result = analyze(path)
    broken = contract(result)
    if broken:
        Path(path).unlink(missing_ok=True)
        raise ContractError(f"{path}: the output missed its contract and was not kept: {'; '.join(broken)}")
    return result
