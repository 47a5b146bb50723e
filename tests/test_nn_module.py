"""The `nn.Module` API: registration, traversal, modes, state_dict, hooks, repr, layers."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import course_lib
from course_lib import Tensor, nn
from course_lib.nn import functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(8, 2, bias=False)
        self.scale = 3.0  # a plain attribute is not registered

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x)))))


def _mlp(sizes=(4, 8, 8, 3), act=nn.Tanh):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def test_attributes_register_parameters_and_modules_in_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert [name for name, _ in model.named_children()] == ["fc1", "bn", "drop", "fc2"]
    assert list(model.children())[0] is model.fc1
    assert [type(m).__name__ for m in model.modules()] == [
        "TwoLayer",
        "Linear",
        "BatchNorm1d",
        "Dropout",
        "Linear",
    ]
    assert [name for name, _ in model.named_buffers()] == [
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    ]
    assert model.fc2.bias is None and model.scale == 3.0


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_setattr_errors():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Forgot"):
        Forgot()
    layer = nn.Linear(2, 3)
    with pytest.raises(
        TypeError,
        match="cannot assign Tensor as parameter 'weight' "
        r"\(nn.Parameter or None expected\)",
    ):
        layer.weight = Tensor(np.zeros((3, 2)))
    assert isinstance(layer.weight, nn.Parameter), "a rejected assignment must keep the weight"
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
        layer.wieght  # noqa: B018
    with pytest.raises(TypeError, match="expected a Module instance, got type"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(
        NotImplementedError,
        match=r"Module \[Module\] is missing the required "
        '"forward" function',
    ):
        nn.Module()(Tensor(1.0))


def test_train_eval_propagate_and_change_behaviour():
    course_lib.manual_seed(0)
    model = TwoLayer()
    x = Tensor(np.random.default_rng(0).normal(size=(16, 4)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    np.testing.assert_array_equal(model(x).data, model(x).data)  # eval: deterministic
    model.train()
    assert all(m.training for m in model.modules())
    assert not np.array_equal(model(x).data, model(x).data)  # dropout masks differ
    model.fc1.train(False)
    assert not model.fc1.training and model.bn.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train("no")


def test_zero_grad_sets_none_and_requires_grad_freezes():
    model = _mlp()
    F.cross_entropy(model(Tensor(np.ones((2, 4)))), [0, 2]).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model[0].requires_grad_(False)
    F.cross_entropy(model(Tensor(np.ones((2, 4)))), [0, 2]).backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None


def test_state_dict_round_trip_and_snapshot():
    course_lib.manual_seed(1)
    source, target = TwoLayer(), TwoLayer()
    source(Tensor(np.random.default_rng(1).normal(size=(8, 4))))  # moves the running stats
    state = source.state_dict()
    assert list(state) == [
        "fc1.weight",
        "fc1.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
        "fc2.weight",
    ]
    weight_storage = target.fc1.weight.data
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value.data, state[key].data, err_msg=key)
    assert target.fc1.weight.data is weight_storage, "loading must copy in place"
    assert int(target.bn.num_batches_tracked.item()) == 1
    snapshot = copy.deepcopy(source.state_dict())
    source.fc1.weight.data += 1.0
    assert not np.array_equal(snapshot["fc1.weight"].data, source.fc1.weight.data)
    np.testing.assert_array_equal(state["fc1.weight"].data, source.fc1.weight.data)  # shared


def test_load_state_dict_errors_name_keys_and_shapes_and_change_nothing():
    model = _mlp()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    state = {k: v.data + 1.0 for k, v in model.state_dict().items()}
    del state["2.bias"]
    state["2.weihgt"] = np.zeros(3)
    state["0.weight"] = np.zeros((8, 5))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "2.bias".' in message
    assert 'Unexpected key(s) in state_dict: "2.weihgt".' in message
    assert (
        "size mismatch for 0.weight: copying a param with shape (8, 5) from checkpoint, "
        "the shape in current model is (8, 4)."
    ) in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[key], err_msg=f"{key} changed")
    state["0.weight"] = np.zeros((8, 4))
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["2.weihgt"]
    assert np.all(model[0].weight.data == 0)


def test_state_dict_loads_from_torch_and_matches_torch_keys():
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    ).double()
    ours = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    assert list(ours.state_dict()) == list(torch_model.state_dict())
    ours.load_state_dict(torch_model.state_dict())
    x = np.random.default_rng(2).normal(size=(5, 4))
    ours.eval(), torch_model.eval()
    np.testing.assert_allclose(
        ours(Tensor(x)).data, torch_model(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_repr_is_nested_like_torch():
    model = nn.Sequential(
        nn.Linear(8, 16),
        nn.LeakyReLU(0.2),
        nn.Sequential(nn.BatchNorm1d(16), nn.Dropout(0.1)),
        nn.Linear(16, 3, bias=False),
    )
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=8, out_features=16, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Sequential(\n"
        "    (0): BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, "
        "track_running_stats=True)\n"
        "    (1): Dropout(p=0.1)\n"
        "  )\n"
        "  (3): Linear(in_features=16, out_features=3, bias=False)\n"
        ")"
    )
    torch_repr = repr(torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh()))
    assert repr(nn.Sequential(nn.Linear(8, 16), nn.Tanh())) == torch_repr
    assert repr(nn.Parameter(np.zeros(2))).startswith("Parameter containing:\ntensor(")


def test_sequential_indexing_len_iteration_and_ordered_dict():
    model = _mlp((4, 8, 8, 3))
    assert len(model) == 5 and model[-1] is list(model)[4]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[0]
    with pytest.raises(IndexError, match="index 5 is out of range for a Sequential of length 5"):
        model[5]
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert named.append(nn.Linear(3, 1)) is named and len(named) == 3


def test_linear_default_init_matches_torch_bounds():
    course_lib.manual_seed(3)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.99 * bound
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert abs(float(layer.weight.data.std()) - bound / math.sqrt(3)) < 0.03 * bound / 3**0.5
    course_lib.manual_seed(3)
    assert np.array_equal(nn.Linear(400, 300).weight.data, layer.weight.data)


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    model = _mlp()
    seen = []
    handle = model[1].register_forward_hook(
        lambda module, inputs, output: seen.append((module, inputs[0].shape, output.shape))
    )
    model(Tensor(np.ones((3, 4))))
    assert seen == [(model[1], (3, 8), (3, 8))]
    handle.remove()
    model(Tensor(np.ones((3, 4))))
    assert len(seen) == 1
    model[0].register_forward_hook(lambda module, inputs, output: output * 0.0)
    assert np.all(model[0](Tensor(np.ones((1, 4)))).data == 0), "a returned value replaces it"


def _record(model, modules, framework):
    """Per-layer activation and gradient recorder: the initialization lesson's recipe."""
    activations, gradients = {}, {}

    def hook(name):
        def forward_hook(module, inputs, output):
            activations[name] = np.array(output.detach().numpy())

            def grad_hook(grad):
                gradients[name] = np.array(grad.numpy() if framework == "torch" else grad)

            output.register_hook(grad_hook)

        return forward_hook

    handles = [m.register_forward_hook(hook(name)) for name, m in modules]
    return activations, gradients, handles


def test_hooks_record_per_layer_activations_and_gradients_like_torch():
    sizes = (6, 10, 10, 10, 4)
    ours, theirs = (
        _mlp(sizes, nn.Tanh),
        torch.nn.Sequential(
            *[
                m
                for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
                for m in ((torch.nn.Linear(a, b),) + ((torch.nn.Tanh(),) if i < 3 else ()))
            ]
        ).double(),
    )
    ours.load_state_dict(theirs.state_dict())
    pick = lambda model: [(str(i), m) for i, m in enumerate(model) if i % 2 == 1]  # noqa: E731
    acts, grads, handles = _record(ours, pick(ours), "ours")
    t_acts, t_grads, _ = _record(theirs, pick(theirs), "torch")
    x, y = np.random.default_rng(4).normal(size=(7, 6)), np.array([0, 1, 2, 3, 0, 1, 2])
    F.cross_entropy(ours(Tensor(x)), y).backward()
    torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    assert list(acts) == ["1", "3", "5"] and set(grads) == set(acts)
    for name in acts:
        np.testing.assert_allclose(acts[name], t_acts[name], rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(grads[name], t_grads[name], rtol=1e-10, err_msg=name)
    assert grads["1"].std() != grads["5"].std()
    for handle in handles:
        handle.remove()
    acts.clear()
    ours(Tensor(x))
    assert acts == {}


def test_loss_modules():
    logits, y = Tensor(np.random.default_rng(5).normal(size=(4, 3))), [0, 1, 2, 1]
    assert nn.CrossEntropyLoss()(logits, y).item() == F.cross_entropy(logits, y).item()
    assert nn.MSELoss(reduction="sum")(logits, Tensor(np.zeros((4, 3)))).item() == pytest.approx(
        float((logits.data**2).sum())
    )
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_dropout_module_follows_train_and_eval():
    course_lib.manual_seed(0)
    drop, x = nn.Dropout(0.25), Tensor(np.ones((200, 100)))
    assert abs(float(np.mean(drop(x).data == 0)) - 0.25) < 0.02
    assert drop.eval()(x) is x
    assert repr(drop) == "Dropout(p=0.25)"
    with pytest.raises(ValueError, match="between 0 and 1, but got 2"):
        nn.Dropout(2)
    assert nn.Identity()(x) is x
    assert nn.utils.clip_grad_norm_ is course_lib.optim.clip_grad_norm_
