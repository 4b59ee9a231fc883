"""Errors of the ledger's file work that every `costs` report may have to name (kept apart so reports need not
import the exporters)."""


class ExportError(Exception):
 """An export or import that cannot be done; the message names the file."""
