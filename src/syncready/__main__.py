"""``python -m syncready``: the same as the ``syncready`` command."""

from .cli import main

main()
