"""The durable cost ledger: SQLite store, schema and rollups, queries, periods, the batching writer, exports and
reports, milestones, the local API and the `costs` CLI. Imports pricing only.
"""
