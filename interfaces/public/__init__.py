"""The pieces of the public Python API, one job to a module; import :mod:`interfaces.api`.

``interfaces.api`` is the one import for users, the ``sim`` command, the dashboard and the
notebooks: it re-exports these modules' names and adds nothing of its own. The API lives here,
split, so that each part can be read and changed on its own, and so that a module built on
stored runs (:mod:`interfaces.plot` draws them, the API's ``Store.plot`` calls it) can import
the part it needs without importing the whole API, which would import it back.

Their imports point one way, from the bottom up:

- :mod:`~interfaces.public.arguments`: checking what a caller passes, so that a wrong argument
  is one :class:`~vocabulary.errors.InputError` line naming it;
- :mod:`~interfaces.public.scenarios`: scenarios and policies, the input of every run;
- :mod:`~interfaces.public.databases`: which run store a call uses, and the chores on the
  database as a whole (upgrade, check);
- :mod:`~interfaces.public.stored_runs`: reading stored runs (load, compare, rank products);
- :mod:`~interfaces.public.running`: simulating one run, or replaying a stored one;
- :mod:`~interfaces.public.sweeps`: sweeps, their stored outcomes and sensitivity;
- :mod:`~interfaces.public.effects`: the policy-effects table, standard comparisons with the
  baseline run as sweeps and paired by seed;
- :mod:`~interfaces.public.calibration`: validation and calibration against the targets;
- :mod:`~interfaces.public.store`: the :class:`~interfaces.public.store.Store` handle, which
  offers all of the above on one store.
"""
