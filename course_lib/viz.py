"""Draw the computational graph behind a result, as SVG that JupyterLab shows inline.

    >>> loss = ((x @ w).relu() - y).abs().mean()
    >>> loss.backward()
    >>> draw_graph(loss, labels={"x": x, "w": w, "loss": loss})   # the cell shows the picture

Tensors are boxes (their shape, and their values and gradients when they have at most four
elements); operations are ellipses between their inputs and their result. Only what autograd
recorded is drawn: a graph exists where some input requires grad, and not under `no_grad()`.
Non-leaf tensors show a gradient only after `retain_grad()`, as in torch.

No graphviz needed: the layout is the classic layered (Sugiyama) one, done here in a few steps.
Each node goes in a layer (the longest path from it to the result: every arrow then points
forward), arrows that skip layers get invisible waypoints, the order within each layer is
improved by a few barycentric sweeps (each node moves toward the average position of its
neighbours, which untangles crossings), and layers are centred on one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

__all__ = ["draw_graph", "Graph"]

CHAR_WIDTH, LINE_HEIGHT, PADDING = 7.2, 15.0, 8.0  # 12px monospace
LAYER_GAP, NODE_GAP, SWEEPS = 36.0, 14.0, 8
STYLE = {
    "leaf": "#dbeafe", "const": "#f1f5f9", "tensor": "#ffffff", "result": "#fef9c3",
    "op": "#fde68a",
}


@dataclass
class Node:
    """A box (tensor), an ellipse (op) or an invisible waypoint of a long arrow."""

    id: str
    kind: str  # "leaf", "const", "tensor", "result", "op" or "waypoint"
    lines: list = field(default_factory=list)
    layer: int = 0
    x: float = 0.0  # centre
    y: float = 0.0
    thickness: float = 0.0  # of its layer: a waypoint crosses it straight, clear of the boxes

    @property
    def width(self) -> float:
        if self.kind == "waypoint":
            return 0.0
        text = max((len(line) for line in self.lines), default=0) * CHAR_WIDTH
        return text + (4 if self.kind == "op" else 2) * PADDING

    @property
    def height(self) -> float:
        return 8.0 if self.kind == "waypoint" else len(self.lines) * LINE_HEIGHT + 2 * PADDING


class Graph:
    """A drawn graph: `.svg` (text), `.save(path)`, and inline display in Jupyter."""

    def __init__(self, svg: str, nodes: list, edges: list):
        self.svg = svg
        self.nodes = nodes  # the tensor and op Nodes, with their layout
        self.edges = edges  # (source id, target id) pairs

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        return f'<div style="overflow:auto">{self.svg}</div>'

    def save(self, path) -> Path:
        """Write the SVG to `path` (open it in any browser) and return the path."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges)"


def _format(values: np.ndarray) -> str:
    text = np.array2string(np.asarray(values), precision=4, separator=", ", suppress_small=True)
    return " ".join(text.split())


def _tensor_lines(t, name, show_values, show_grads) -> list:
    lines = [name] if name else []
    lines.append(f"shape {t.shape}" if t.ndim else "scalar")
    if show_values and t.size <= 4:
        lines.append(f"data {_format(t.data)}")
    if show_grads and t.grad is not None and t.size <= 4:
        lines.append(f"grad {_format(t.grad)}")
    return lines


def _collect(root, max_nodes: int) -> list:
    """Every tensor the result was computed from, found without recursion, result first."""
    found, seen, stack = [], {id(root)}, [root]
    while stack:
        t = stack.pop()
        found.append(t)
        if len(found) > max_nodes:
            raise ValueError(f"draw_graph: the graph has more than {max_nodes} tensors; pass "
                             "max_nodes=... to draw it anyway (it will be hard to read)")
        for parent in reversed(t._parents):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return found


def _build(root, labels, show_values, show_grads, max_nodes):
    names = {id(t): name for name, t in (labels or {}).items()}
    tensors = _collect(root, max_nodes)
    node_of = {id(t): f"t{i}" for i, t in enumerate(tensors)}
    nodes, edges = {}, []
    for i, t in enumerate(tensors):
        kind = ("result" if t is root else "const" if not t.requires_grad else
                "leaf" if not t._parents else "tensor")
        nodes[f"t{i}"] = Node(f"t{i}", kind, _tensor_lines(t, names.get(id(t)), show_values,
                                                           show_grads))
        if t._parents:
            nodes[f"op{i}"] = Node(f"op{i}", "op", [t._op])
            edges.append((f"op{i}", f"t{i}"))
            for parent in dict.fromkeys(node_of[id(p)] for p in t._parents):  # x * x: one arrow
                edges.append((parent, f"op{i}"))
    return nodes, edges


def _assign_layers(nodes: dict, edges: list) -> None:
    """Layer = (longest path from the node to the result) counted backwards from the right."""
    successors = {n: [] for n in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for source, target in edges:
        successors[source].append(target)
        indegree[target] += 1
    order, ready = [], [n for n in nodes if indegree[n] == 0]
    while ready:  # Kahn's topological sort
        n = ready.pop()
        order.append(n)
        for s in successors[n]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    depth = dict.fromkeys(nodes, 0)
    for n in reversed(order):
        depth[n] = max((depth[s] + 1 for s in successors[n]), default=0)
    deepest = max(depth.values())
    for n, node in nodes.items():
        node.layer = deepest - depth[n]


def _add_waypoints(nodes: dict, edges: list) -> dict:
    """Split arrows that skip layers into one-layer hops; return each arrow's chain of ids."""
    paths = {}
    for source, target in edges:
        chain = [source]
        for layer in range(nodes[source].layer + 1, nodes[target].layer):
            waypoint = Node(f"w{len(nodes)}", "waypoint", layer=layer)
            nodes[waypoint.id] = waypoint
            chain.append(waypoint.id)
        paths[source, target] = chain + [target]
    return paths


def _order_layers(nodes: dict, paths: dict) -> list:
    """Barycentric sweeps: each node moves toward the mean position of its neighbours."""
    layers = [[] for _ in range(max(node.layer for node in nodes.values()) + 1)]
    for n, node in nodes.items():
        layers[node.layer].append(n)
    before, after = {n: [] for n in nodes}, {n: [] for n in nodes}
    for chain in paths.values():
        for u, v in zip(chain, chain[1:], strict=False):
            after[u].append(v)
            before[v].append(u)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for index in range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1):
            neighbour_layer = layers[index - 1] if forward else layers[index + 1]
            position = {n: i for i, n in enumerate(neighbour_layer)}
            current = {n: i for i, n in enumerate(layers[index])}
            neighbours = before if forward else after

            def barycentre(n, position=position, current=current, neighbours=neighbours):
                linked = [position[m] for m in neighbours[n]]
                return sum(linked) / len(linked) if linked else current[n]

            layers[index].sort(key=barycentre)
    return layers


def _place(nodes: dict, layers: list, rankdir: str) -> tuple:
    """Centre coordinates for every node; returns the drawing's (width, height)."""
    across = (lambda node: node.width) if rankdir == "LR" else (lambda node: node.height)
    along = (lambda node: node.height) if rankdir == "LR" else (lambda node: node.width)
    extents = [sum(along(nodes[n]) for n in layer) + NODE_GAP * (len(layer) - 1)
               for layer in layers]
    span = max(extents)
    layer_start = PADDING
    for layer, extent in zip(layers, extents, strict=True):
        thickness = max(across(nodes[n]) for n in layer)
        offset = PADDING + (span - extent) / 2
        for n in layer:
            node = nodes[n]
            main, cross = layer_start + thickness / 2, offset + along(node) / 2
            node.x, node.y = (main, cross) if rankdir == "LR" else (cross, main)
            node.thickness = thickness
            offset += along(node) + NODE_GAP
        layer_start += thickness + LAYER_GAP
    size = (layer_start - LAYER_GAP + PADDING, span + 2 * PADDING)
    return size if rankdir == "LR" else size[::-1]


def _edge_svg(chain: list, nodes: dict, rankdir: str) -> str:
    first, last, waypoints = nodes[chain[0]], nodes[chain[-1]], [nodes[w] for w in chain[1:-1]]
    if rankdir == "LR":
        points = [(first.x + first.width / 2, first.y)]
        for w in waypoints:
            points += [(w.x - w.thickness / 2, w.y), (w.x + w.thickness / 2, w.y)]
        points.append((last.x - last.width / 2 - 2, last.y))
    else:
        points = [(first.x, first.y + first.height / 2)]
        for w in waypoints:
            points += [(w.x, w.y - w.thickness / 2), (w.x, w.y + w.thickness / 2)]
        points.append((last.x, last.y - last.height / 2 - 2))
    d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
    return (f'<g class="edge" data-source="{first.id}" data-target="{last.id}">'
            f"<title>{first.id}-&gt;{last.id}</title>"
            f'<path d="{d}" fill="none" stroke="#475569" marker-end="url(#arrow)"/></g>')


def _node_svg(node: Node) -> str:
    top = node.y - (len(node.lines) - 1) * LINE_HEIGHT / 2
    text = "".join(f'<tspan x="{node.x:.1f}" y="{top + i * LINE_HEIGHT:.1f}">{escape(line)}'
                   "</tspan>" for i, line in enumerate(node.lines))
    if node.kind == "op":
        shape = (f'<ellipse cx="{node.x:.1f}" cy="{node.y:.1f}" rx="{node.width / 2:.1f}" '
                 f'ry="{node.height / 2:.1f}" fill="{STYLE["op"]}" stroke="#92400e"/>')
    else:
        shape = (f'<rect x="{node.x - node.width / 2:.1f}" y="{node.y - node.height / 2:.1f}" '
                 f'width="{node.width:.1f}" height="{node.height:.1f}" rx="4" '
                 f'fill="{STYLE[node.kind]}" stroke="#334155"/>')
    kind = "op" if node.kind == "op" else f"tensor {node.kind}"
    return (f'<g class="node {kind}" id="{node.id}"><title>{escape(" | ".join(node.lines))}'
            f'</title>{shape}<text text-anchor="middle" dominant-baseline="central">{text}'
            "</text></g>")


def draw_graph(tensor, *, show_values: bool = True, show_grads: bool = True,
               rankdir: str = "LR", labels: dict | None = None,
               max_nodes: int = 200) -> Graph:
    """The graph that computed `tensor`, laid out left to right (`rankdir="TB"`: top down).

    `labels` names tensors in the picture, e.g. `{"x": x, "loss": loss}`. Values and gradients
    are shown for tensors of at most four elements; `max_nodes` guards against drawing an
    unreadable graph of thousands of tensors by accident.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB'; got {rankdir!r}")
    nodes, edges = _build(tensor, labels, show_values, show_grads, max_nodes)
    _assign_layers(nodes, edges)
    paths = _add_waypoints(nodes, edges)
    width, height = _place(nodes, _order_layers(nodes, paths), rankdir)
    drawn = [node for node in nodes.values() if node.kind != "waypoint"]
    svg = "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="monospace" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/>'
        "</marker></defs>",
        *(_edge_svg(chain, nodes, rankdir) for chain in paths.values()),
        *(_node_svg(node) for node in drawn),
        "</svg>",
    ])
    return Graph(svg, drawn, list(edges))
