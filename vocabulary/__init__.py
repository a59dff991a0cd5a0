"""The shared vocabulary every layer may use: regions, dates, metrics, errors, text limits.

Nothing here imports another package of the project, so the model core, storage, experiments
and interfaces can all speak of a jurisdiction, a month, a metric or an input error in the same
terms.
"""
