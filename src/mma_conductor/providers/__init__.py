"""Provider clients behind `mma_conductor.ai_client`: one module per provider, plus the shared call machinery.

Nothing here imports a provider SDK at import time; each client imports its SDK when it is constructed.
Use `mma_conductor.ai_client` as the public entry point.
"""
