"""``syncready create`` and ``syncready ideas``: composition (issue 9). Their commands are registered here."""
