"""Provider clients: one module per provider on its official SDK, the shared call machinery, API keys and the
offline simulated provider.

Nothing here imports a provider SDK at import time; each client imports its SDK when it is constructed.
`providers.factory.make_client` is the entry point the engine uses.
"""
