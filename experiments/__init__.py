"""Experiments: running a scenario into the store, sweeps, replays and validation against targets.

This layer drives the model core (``simulator``) and writes through storage (``runs``); the public
API and the interfaces above it call it, and nothing below it imports it.
"""
