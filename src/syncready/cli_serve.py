"""``syncready serve``: the local web studio (issue 8). Its command is registered here."""
