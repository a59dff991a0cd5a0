"""A drawable piece of the developer network, coloured by each developer's provider.

Thousands of nodes make an unreadable hairball, so the page draws a snowball sample: breadth
first from a random developer until :data:`SAMPLE_SIZE` are reached, which keeps the clusters
of neighbours that the social term of the choice rule works through. The sample and its layout
are fixed for a model (seeded from the run's seed, never from the model's own random streams,
so drawing cannot change the simulation); each step only recolours the nodes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy.sparse.csgraph import breadth_first_order

from interfaces.plot import literal_legend

NETWORK_LIMIT = 2_000
"""Largest population whose network the page draws."""

SAMPLE_SIZE = 250
"""Developers drawn."""


@dataclass(frozen=True)
class NetworkSample:
    """Part of the developer network, laid out.

    Attributes:
        nodes: (n,) developer ids.
        edges: (E, 2) edges as positions in ``nodes``.
        positions: (n, 2) layout coordinates.
    """

    nodes: np.ndarray
    edges: np.ndarray
    positions: np.ndarray


def sample_network(adjacency: sp.csr_array, seed: int, size: int = SAMPLE_SIZE) -> NetworkSample:
    """A breadth-first snowball sample of up to ``size`` developers, with a spring layout.

    Args:
        adjacency: (N, N) the developer network (weights are ignored).
        seed: seeds the choice of start developers and the layout.
        size: most developers to draw.
    """
    rng = np.random.default_rng(seed)
    n = adjacency.shape[0]
    chosen: list[int] = []
    seen = np.zeros(n, dtype=bool)
    for start in rng.permutation(n):
        if len(chosen) >= size:
            break
        if seen[start]:
            continue
        reached = breadth_first_order(
            adjacency, int(start), directed=False, return_predecessors=False
        )
        seen[reached] = True
        chosen.extend(reached[: size - len(chosen)].tolist())
    nodes = np.array(chosen, dtype=np.int64)
    sub = sp.coo_array(sp.csr_array(adjacency)[nodes][:, nodes])
    keep = sub.row < sub.col
    edges = np.column_stack([sub.row[keep], sub.col[keep]])
    graph = nx.Graph()
    graph.add_nodes_from(range(len(nodes)))
    graph.add_edges_from(edges.tolist())
    layout = nx.spring_layout(graph, seed=seed)
    positions = np.array([layout[i] for i in range(len(nodes))])
    return NetworkSample(nodes=nodes, edges=edges, positions=positions)


def network_figure(
    sample: NetworkSample,
    provider: np.ndarray,
    names: Sequence[str],
    colours: Mapping[str, str],
    month: str | None,
) -> Figure:
    """The sample with each developer coloured by its current provider.

    Args:
        sample: from :func:`sample_network`.
        provider: (N,) each developer's provider index.
        names: provider names by index.
        colours: colour of each provider name.
        month: the month shown, for the title (None before the first step).
    """
    figure = Figure(figsize=(5.4, 3.9), dpi=90, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    xy = sample.positions
    ax.add_collection(LineCollection(xy[sample.edges], colors="#bbbbbb", linewidths=0.4, zorder=1))
    chosen = provider[sample.nodes]
    palette = to_rgba_array([colours[name] for name in names])
    ax.scatter(
        xy[:, 0], xy[:, 1], s=14, c=palette[chosen], edgecolors="white", linewidths=0.3, zorder=2
    )
    counts = np.bincount(chosen, minlength=len(names))
    shown = [p for p in np.argsort(-counts) if counts[p] > 0]
    legend = ax.legend(
        handles=[
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=colours[names[p]],
                label=f"{names[p]} ({counts[p]})",
            )
            for p in shown
        ],
        fontsize=7,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    literal_legend(legend)  # provider names
    ax.set_axis_off()
    ax.set_title(
        f"Developer network: {len(sample.nodes)} developers, by provider"
        + (f", {month}" if month else ""),
        fontsize=10,
        loc="left",
    )
    return figure
