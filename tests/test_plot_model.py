"""model_to_dot's graph (nodes, edges, labels) and plot_model's PNG/SVG files."""

import shutil

import pytest

pydot = pytest.importorskip("pydot", reason="pip install pydot")

import core  # noqa: E402
from core import layers  # noqa: E402
from core.utils import model_to_dot, plot_model, vis_utils  # noqa: E402


def _graph(dot):
    """{label: node name} and the set of (source label, target label) edges, cluster contents included."""
    labels, edges = {}, set()

    def walk(g):
        for node in g.get_nodes():
            name = node.get_name().strip('"')
            if name in ("node", "edge", "graph"):
                continue
            labels[name] = node.get("label").strip('"')
        for edge in g.get_edges():
            edges.add((edge.get_source().strip('"'), edge.get_destination().strip('"')))
        for sub in g.get_subgraphs():
            walk(sub)

    walk(dot)
    title = {name: label.split("|")[0].strip("{") for name, label in labels.items()}
    return title, {(title[a], title[b]) for a, b in edges}


def _branchy():
    inner = core.Sequential([layers.Dense(4, input_shape=(3,), name="in_d1"), layers.Dense(2, name="in_d2")],
                            name="inner")
    a, b = core.Input((3,), name="a"), core.Input((3,), name="b")
    shared = layers.Dense(3, name="shared")
    x = layers.Concatenate(name="cat")([shared(a), shared(b)])
    y = inner(layers.Dense(3, name="proj")(x))
    return core.Model([a, b], [y, layers.Dense(1, name="aux")(x)])


def test_functional_graph_with_shared_layer_and_two_outputs():
    title, edges = _graph(model_to_dot(_branchy()))
    assert sorted(title.values()) == sorted(["a: InputLayer", "b: InputLayer", "shared: Dense", "cat: Concatenate",
                                             "proj: Dense", "inner: Sequential", "aux: Dense"])
    assert edges == {("a: InputLayer", "shared: Dense"), ("b: InputLayer", "shared: Dense"),
                     ("shared: Dense", "cat: Concatenate"), ("cat: Concatenate", "proj: Dense"),
                     ("proj: Dense", "inner: Sequential"), ("cat: Concatenate", "aux: Dense")}


def test_expand_nested_draws_a_cluster():
    dot = model_to_dot(_branchy(), expand_nested=True)
    clusters = dot.get_subgraphs()
    assert len(clusters) == 1 and clusters[0].get("label") == "inner"
    title, edges = _graph(dot)
    assert "inner: Sequential" not in title.values()
    assert ("proj: Dense", "in_d1_input: InputLayer") in edges
    assert ("in_d1: Dense", "in_d2: Dense") in edges


def test_labels_show_shapes_dtype_and_names():
    model = core.Sequential([layers.Dense(5, activation="relu", input_shape=(7,), name="hidden"),
                             layers.Dense(2, name="out")])
    dot = model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True)
    labels = [n.get("label") for n in dot.get_nodes() if n.get("label")]
    hidden = next(lbl for lbl in labels if "hidden: Dense" in lbl)
    assert "(None, 7)" in hidden and "(None, 5)" in hidden and "float32" in hidden and "relu" in hidden
    _, edges = _graph(dot)
    assert edges == {("hidden_input: InputLayer", "hidden: Dense"), ("hidden: Dense", "out: Dense")}
    plain = model_to_dot(model, show_layer_names=False)
    assert all("hidden" not in (n.get("label") or "") for n in plain.get_nodes())
    assert model_to_dot(model, rankdir="LR").get("rankdir") == "LR"
    with pytest.raises(ValueError, match="rankdir"):
        model_to_dot(model, rankdir="XY")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` missing: apt-get install graphviz")
def test_plot_model_writes_png_and_svg(tmp_path):
    model = _branchy()
    png = tmp_path / "model.png"
    plot_model(model, to_file=str(png), show_shapes=True, expand_nested=True)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    svg = tmp_path / "model.svg"
    plot_model(model, to_file=str(svg), rankdir="LR")
    text = svg.read_text()
    assert "<svg" in text and "shared: Dense" in text and "aux: Dense" in text


def test_missing_graphviz_and_pydot_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(vis_utils.shutil, "which", lambda name: None)
    with pytest.raises(OSError, match="apt-get install graphviz"):
        plot_model(_branchy(), to_file=str(tmp_path / "m.png"))
    import builtins

    real_import = builtins.__import__

    def no_pydot(name, *args, **kwargs):
        if name == "pydot":
            raise ImportError("No module named 'pydot'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pydot)
    with pytest.raises(ImportError, match="pip install pydot"):
        model_to_dot(_branchy())
