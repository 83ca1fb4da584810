"""Delivery: reports now; packages, naming and manifests as they arrive."""
