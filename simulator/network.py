"""The developer network: who sees whose provider.

Developers copy the stacks of people they know, and they mostly know people of their own region.
The default network is a Watts-Strogatz small world laid over the developers sorted by region:
each developer is tied to its ``degree`` nearest ring neighbours (so, mostly, to its own region:
homophily), and each tie is rewired to a random developer with probability ``rewire`` (so a
share of ties crosses regions). It is built directly as a sparse matrix, which takes about a
second for a million developers; :func:`homophily_graph` gives the same network as a networkx
graph, and any networkx graph over the developer ids can be passed to the model instead. The
step itself only uses the row-normalised sparse adjacency.
"""

import networkx as nx
import numpy as np
import scipy.sparse as sp

from vocabulary.errors import InputError


def homophily_adjacency(
    regions: np.ndarray, degree: int, rewire: float, rng: np.random.Generator
) -> sp.csr_array:
    """(N, N) row-normalised adjacency of the regional small world.

    Args:
        regions: (N,) region index of each developer.
        degree: ties per developer before rewiring (rounded down to even, at least 2).
        rewire: probability that a tie's far end is replaced by a random developer.
        rng: source of randomness.
    """
    n = len(regions)
    half = max(1, degree // 2)
    # Ring position -> developer. Developers of a region are interchangeable, so keeping their
    # id order (already sorted by region for a generated population) puts ring neighbours next
    # to each other in memory, which is what makes the choice kernel fast at a million.
    order = np.argsort(regions, kind="stable").astype(np.int64)
    source = np.repeat(np.arange(n, dtype=np.int64), half)
    target = (source + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    rewired = rng.random(source.size) < rewire
    target[rewired] = rng.integers(0, n, size=int(rewired.sum()))
    keep = source != target
    source, target = order[source[keep]], order[target[keep]]
    both_ways = (np.concatenate([source, target]), np.concatenate([target, source]))
    ties = sp.coo_array((np.ones(2 * source.size), both_ways), shape=(n, n)).tocsr()
    ties.data[:] = 1.0  # a tie drawn twice is still one tie
    return _row_normalise(ties)


def homophily_graph(
    regions: np.ndarray, degree: int, rewire: float, rng: np.random.Generator
) -> nx.Graph:
    """The same network as :func:`homophily_adjacency`, as a networkx graph on ids 0..N-1."""
    graph = nx.from_scipy_sparse_array(homophily_adjacency(regions, degree, rewire, rng))
    nx.set_edge_attributes(graph, 1, "weight")
    return graph


def row_normalised_adjacency(graph: nx.Graph, n: int) -> sp.csr_array:
    """The (N, N) adjacency of a user's graph, each row summing to one (zero if isolated)."""
    if graph.number_of_nodes() != n or set(graph.nodes) != set(range(n)):
        raise InputError(
            f"graph: nodes must be the developer ids 0..{n - 1} "
            f"({n} developers), got {graph.number_of_nodes()} nodes"
        )
    adjacency = nx.to_scipy_sparse_array(
        graph, nodelist=range(n), weight=None, dtype=np.float64, format="csr"
    )
    return _row_normalise(sp.csr_array(adjacency))


def _row_normalise(adjacency: sp.csr_array) -> sp.csr_array:
    """Rows summing to one, with 32-bit indices: the choice kernel streams them every month."""
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    scale = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    normalised = sp.csr_array(sp.diags_array(scale) @ adjacency)
    if normalised.nnz < np.iinfo(np.int32).max:
        normalised.indices = normalised.indices.astype(np.int32)
        normalised.indptr = normalised.indptr.astype(np.int32)
    return normalised
