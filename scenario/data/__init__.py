"""Packaged inputs: roster, chips, products, capability, presets, targets, each with its source."""
