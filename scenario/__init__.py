"""The inputs of a run: typed, validated, sourced, readable from files and changed by ``--set``.

Below the model core and above the vocabulary: ``agents/``, ``policies/`` and ``simulator/``
import it, and it imports none of them.
"""
