"""The developer network: who sees whose provider.

Developers copy the stacks of people they know, and they mostly know people of their own region.
The default graph is a Watts-Strogatz small world laid out over developers sorted by region, so
ring neighbours share a region (homophily) and the rewired share of ties crosses regions. Any
networkx graph over the developer ids can be passed instead. The step itself only uses the
row-normalised sparse adjacency.
"""

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulator.errors import InputError


def homophily_graph(regions: np.ndarray, degree: int, rewire: float,
                    rng: np.random.Generator) -> nx.Graph:
    """A small world whose ring neighbours mostly share a region.

    Args:
        regions: (N,) region index of each developer.
        degree: neighbours per developer before rewiring (rounded down to even).
        rewire: probability that a tie is rewired to a random developer.
        rng: source of randomness.

    Returns:
        A graph on nodes ``0 .. N-1`` (developer ids).
    """
    n = len(regions)
    # Shuffle within regions, then sort by region: ring positions -> developer ids.
    order = np.lexsort((rng.random(n), regions))
    ring = nx.watts_strogatz_graph(n, max(2, degree - degree % 2), rewire,
                                   seed=int(rng.integers(2**31)))
    return nx.relabel_nodes(ring, dict(enumerate(order.tolist())), copy=True)


def row_normalised_adjacency(graph: nx.Graph, n: int) -> sp.csr_array:
    """The (N, N) adjacency with each row summing to one (zero rows for isolated developers)."""
    if graph.number_of_nodes() != n or set(graph.nodes) != set(range(n)):
        raise InputError(f"graph: nodes must be the developer ids 0..{n - 1} "
                         f"({n} developers), got {graph.number_of_nodes()} nodes")
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(n), weight=None,
                                         dtype=np.float64, format="csr")
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    scale = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return sp.csr_array(sp.diags_array(scale) @ adjacency)
