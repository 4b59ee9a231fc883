"""mma-conductor: conducts a four-tier multi-model agent hierarchy and prices every call exactly."""

__version__ = "0.1.0"
