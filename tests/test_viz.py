"""`draw_graph` gives well-formed SVG with one box per tensor, one ellipse per op, the right
arrows, readable labels, and a layout in which every arrow points forward."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from course_lib.engine import Tensor, no_grad
from course_lib.viz import Graph, draw_graph

SVG = "{http://www.w3.org/2000/svg}"


def micrograd_example():
    """Karpathy's example: L = (a * b + c) * f."""
    a, b = Tensor(2.0, requires_grad=True), Tensor(-3.0, requires_grad=True)
    c, f = Tensor(10.0, requires_grad=True), Tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    loss = d * f
    d.retain_grad()
    loss.backward()
    return dict(a=a, b=b, c=c, f=f, e=e, d=d, L=loss)


def parse(graph: Graph):
    root = ET.fromstring(graph.svg)
    groups = root.iter(f"{SVG}g")
    nodes, edges = {}, set()
    for g in groups:
        kind = g.get("class", "")
        if kind.startswith("node"):
            text = " | ".join(span.text for span in g.iter(f"{SVG}tspan"))
            nodes[g.get("id")] = (kind, text)
        elif kind == "edge":
            edges.add((g.get("data-source"), g.get("data-target")))
    return root, nodes, edges


def test_svg_has_a_box_per_tensor_an_ellipse_per_op_and_the_arrows_between():
    tensors = micrograd_example()
    graph = draw_graph(tensors["L"], labels=tensors)
    root, nodes, edges = parse(graph)
    assert root.tag == f"{SVG}svg" and float(root.get("width")) > 0
    boxes = {text.split(" | ")[0]: node_id for node_id, (kind, text) in nodes.items()
             if kind.startswith("node tensor")}
    ops = {node_id: text for node_id, (kind, text) in nodes.items() if kind == "node op"}
    assert set(boxes) == set("abcfedL") and sorted(ops.values()) == ["add", "mul", "mul"]
    op_of = {target: source for source, target in edges if source in ops}
    assert ops[op_of[boxes["d"]]] == "add" and ops[op_of[boxes["L"]]] == "mul"
    assert {(boxes["e"], op_of[boxes["d"]]), (boxes["c"], op_of[boxes["d"]])} <= edges
    assert len(edges) == 3 * 3  # each op: two inputs in, one result out
    assert len(root.findall(f"{SVG}g[@class='node op']/{SVG}ellipse")) == 3


def test_labels_show_shape_value_and_grad_of_small_tensors():
    tensors = micrograd_example()
    _, nodes, _ = parse(draw_graph(tensors["L"], labels=tensors))
    text = {t.split(" | ")[0]: t for kind, t in nodes.values() if kind.startswith("node tensor")}
    assert text["a"] == "a | scalar | data 2. | grad 6."
    assert text["d"] == "d | scalar | data 4. | grad -2."  # retained: shown
    assert "grad" not in text["e"]  # a non-leaf without retain_grad has none, as in torch
    _, plain, _ = parse(draw_graph(tensors["L"], show_values=False, show_grads=False))
    assert all(t == "scalar" for kind, t in plain.values() if kind.startswith("node tensor"))


def test_big_tensors_show_their_shape_only_and_constants_are_marked():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = (x * 2).sum(axis=0)
    _, nodes, _ = parse(draw_graph(y))
    kinds = sorted((kind, text) for kind, text in nodes.values() if kind != "node op")
    assert kinds == [("node tensor const", "scalar | data 2."),
                     ("node tensor leaf", "shape (2, 3)"),
                     ("node tensor result", "shape (3,) | data [10., 14., 18.]"),
                     ("node tensor tensor", "shape (2, 3)")]


@pytest.mark.parametrize("rankdir, axis", [("LR", "x"), ("TB", "y")])
def test_every_arrow_points_forward_and_nodes_do_not_overlap(rankdir, axis):
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * x).tanh()
    loss = (h + x).sum() * h.sum()  # x and h are reused across layers: long arrows
    graph = draw_graph(loss, rankdir=rankdir)
    position = {node.id: getattr(node, axis) for node in graph.nodes}
    assert all(position[source] < position[target] for source, target in graph.edges)
    boxes = [(n.x - n.width / 2, n.x + n.width / 2, n.y - n.height / 2, n.y + n.height / 2)
             for n in graph.nodes]
    for i, (l1, r1, t1, b1) in enumerate(boxes):
        for l2, r2, t2, b2 in boxes[i + 1:]:
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, "two nodes overlap"


def test_renders_in_jupyter_and_saves(tmp_path):
    graph = draw_graph(micrograd_example()["L"])
    assert graph._repr_svg_() == graph.svg and graph.svg in graph._repr_html_()
    path = graph.save(tmp_path / "graph.svg")
    ET.parse(path)
    assert path.read_text() == graph.svg and repr(graph) == "Graph(10 nodes, 9 edges)"


def test_deep_graphs_are_drawn_without_recursion_or_refused_with_a_reason():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(300):
        y = y.tanh()
    with pytest.raises(ValueError, match="more than 200 tensors; pass max_nodes"):
        draw_graph(y)
    assert len(draw_graph(y, max_nodes=400).nodes) == 301 + 300


def test_nothing_recorded_nothing_drawn_and_bad_rankdir_is_named():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert len(draw_graph(y).nodes) == 1
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'; got 'XY'"):
        draw_graph(x, rankdir="XY")
