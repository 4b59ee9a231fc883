"""The conductor engine: tickets and their DAG, tier prompts, the ConductorEngine on a worker thread, its events
and the track store. It emits events and never touches GUI or ledger state.
"""
