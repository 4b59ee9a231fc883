"""Pricing: exact money, usage normalization, prices and their sources, the PriceBook, session accumulators.

Pure Python and the bottom layer: nothing here imports another layer of mma_conductor.
"""
