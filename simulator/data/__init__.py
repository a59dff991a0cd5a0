"""Packaged data: roster, chip catalogue, capability timeline, each figure with its source."""
