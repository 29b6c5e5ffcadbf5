"""core.optimizers and core.optimizers.schedules on the active engine.

Every update is checked against a float64 numpy implementation of the rule
as Keras documents it, written below independently of the library code.
"""

import math
import warnings

import numpy as np
import pytest

import kbackend as K
from core import optimizers
from core.optimizers import schedules

RTOL, ATOL = 2e-5, 1e-6


# ---------------------------------------------------------------------------
# float64 reference rules: rule(state, g, w, lr, t, **hyper) -> new w
# (state: a dict per variable; t: the 1-based step)
# ---------------------------------------------------------------------------

def ref_sgd(s, g, w, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["m"] = momentum * s.get("m", 0.0) - lr * g
    return w + (momentum * s["m"] - lr * g if nesterov else s["m"])


def ref_rmsprop(s, g, w, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g ** 2
    denominator = s["v"]
    if centered:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = denominator - s["a"] ** 2
    increment = lr * g / np.sqrt(denominator + epsilon)
    if momentum > 0:
        s["mom"] = momentum * s.get("mom", 0.0) + increment
        increment = s["mom"]
    return w - increment


def ref_adagrad(s, g, w, lr, t, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = s.get("acc", initial_accumulator_value) + g ** 2
    return w - lr * g / np.sqrt(s["acc"] + epsilon)


def ref_adadelta(s, g, w, lr, t, rho=0.95, epsilon=1e-7):
    s["eg"] = rho * s.get("eg", 0.0) + (1 - rho) * g ** 2
    delta = -np.sqrt(s.get("ed", 0.0) + epsilon) / np.sqrt(s["eg"] + epsilon) * g
    s["ed"] = rho * s.get("ed", 0.0) + (1 - rho) * delta ** 2
    return w + lr * delta


def ref_adam(s, g, w, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g ** 2 - s.get("v", 0.0)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
        v = s["vhat"]
    lr_t = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - lr_t * s["m"] / (np.sqrt(v) + epsilon)


def ref_adamax(s, g, w, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
    return w - lr * s["m"] / ((1 - beta_1 ** t) * (s["u"] + epsilon))


def ref_nadam(s, g, w, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(k):
        return beta_1 * (1 - 0.5 * 0.96 ** k)
    product = math.prod(mu(k) for k in range(1, t + 1))
    s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
    s["v"] = s.get("v", 0.0) + (g ** 2 - s.get("v", 0.0)) * (1 - beta_2)
    m_hat = mu(t + 1) * s["m"] / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
    v_hat = s["v"] / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def ref_ftrl(s, g, w, lr, t, learning_rate_power=-0.5, initial_accumulator_value=0.1,
             l1_regularization_strength=0.0, l2_regularization_strength=0.0,
             l2_shrinkage_regularization_strength=0.0, beta=0.0):
    p = -learning_rate_power
    n = s.get("n", np.full_like(w, initial_accumulator_value))
    z = s.get("z", np.zeros_like(w))
    n_new = n + g ** 2
    z = z + g + 2 * l2_shrinkage_regularization_strength * w - (n_new ** p - n ** p) / lr * w
    l2 = l2_regularization_strength + beta / (2 * lr)
    l1 = l1_regularization_strength
    s["n"], s["z"] = n_new, z
    return (np.clip(z, -l1, l1) - z) / (n_new ** p / lr + 2 * l2)


def ref_lion(s, g, w, lr, t, beta_1=0.9, beta_2=0.99):
    m = s.get("m", 0.0)
    w = w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    s["m"] = beta_2 * m + (1 - beta_2) * g
    return w


def reference_run(rule, hyper, weights, grads, lr, weight_decay=None, clipnorm=None, clipvalue=None,
                  global_clipnorm=None):
    """The weights after each step, in float64."""
    ws = [np.asarray(w, np.float64).copy() for w in weights]
    states = [{} for _ in ws]
    history = []
    for t, step_grads in enumerate(grads, start=1):
        gs = [np.asarray(g, np.float64) for g in step_grads]
        if clipvalue:
            gs = [np.clip(g, -clipvalue, clipvalue) for g in gs]
        if clipnorm:
            gs = [g * clipnorm / max(np.linalg.norm(g), clipnorm) for g in gs]
        if global_clipnorm:
            norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in gs))
            gs = [g * global_clipnorm / max(norm, global_clipnorm) for g in gs]
        if weight_decay:
            ws = [w - w * weight_decay * lr for w in ws]
        ws = [rule(s, g, w, lr, t, **hyper) for s, g, w in zip(states, gs, ws)]
        history.append([w.copy() for w in ws])
    return history


# two variables (so global norms and shared state are exercised) and three
# steps of gradients shrinking from large to small (so amsgrad's max matters)
W0 = [np.array([0.5, -1.0, 2.0], np.float32), np.array([[1.5, -0.25], [0.75, -2.0]], np.float32)]
_rng = np.random.default_rng(7)
GRADS = [[(scale * _rng.normal(size=w.shape)).astype(np.float32) for w in W0] for scale in (2.0, 1.0, 0.3)]

CASES = {
    # id: (class, constructor kwargs, reference rule, rule hyperparameters, base options for the reference)
    "sgd": (optimizers.SGD, {}, ref_sgd, {}, {}),
    "sgd_momentum": (optimizers.SGD, {"momentum": 0.9}, ref_sgd, {"momentum": 0.9}, {}),
    "sgd_nesterov": (optimizers.SGD, {"momentum": 0.9, "nesterov": True}, ref_sgd,
                     {"momentum": 0.9, "nesterov": True}, {}),
    "rmsprop": (optimizers.RMSprop, {}, ref_rmsprop, {}, {}),
    "rmsprop_centered_momentum": (optimizers.RMSprop, {"centered": True, "momentum": 0.5, "rho": 0.8}, ref_rmsprop,
                                  {"centered": True, "momentum": 0.5, "rho": 0.8}, {}),
    "adagrad": (optimizers.Adagrad, {"initial_accumulator_value": 0.2}, ref_adagrad,
                {"initial_accumulator_value": 0.2}, {}),
    "adadelta": (optimizers.Adadelta, {"rho": 0.9}, ref_adadelta, {"rho": 0.9}, {}),
    "adam": (optimizers.Adam, {}, ref_adam, {}, {}),
    "adam_amsgrad": (optimizers.Adam, {"amsgrad": True, "beta_2": 0.9}, ref_adam,
                     {"amsgrad": True, "beta_2": 0.9}, {}),
    "adamw": (optimizers.AdamW, {}, ref_adam, {}, {"weight_decay": 0.004}),
    "adamw_wd": (optimizers.AdamW, {"weight_decay": 0.3, "beta_1": 0.8}, ref_adam, {"beta_1": 0.8},
                 {"weight_decay": 0.3}),
    "adamax": (optimizers.Adamax, {}, ref_adamax, {}, {}),
    "nadam": (optimizers.Nadam, {}, ref_nadam, {}, {}),
    "ftrl": (optimizers.Ftrl, {}, ref_ftrl, {}, {}),
    "ftrl_regularized": (optimizers.Ftrl, {
        "learning_rate_power": -0.6, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
        "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}, ref_ftrl, {
        "learning_rate_power": -0.6, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
        "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}, {}),
    "lion": (optimizers.Lion, {}, ref_lion, {}, {}),
    "sgd_momentum_weight_decay": (optimizers.SGD, {"momentum": 0.9, "weight_decay": 0.1}, ref_sgd,
                                  {"momentum": 0.9}, {"weight_decay": 0.1}),
    "adam_clipnorm": (optimizers.Adam, {"clipnorm": 0.5}, ref_adam, {}, {"clipnorm": 0.5}),
    "rmsprop_clipvalue": (optimizers.RMSprop, {"clipvalue": 0.3}, ref_rmsprop, {}, {"clipvalue": 0.3}),
    "sgd_global_clipnorm": (optimizers.SGD, {"global_clipnorm": 0.7}, ref_sgd, {}, {"global_clipnorm": 0.7}),
    # a norm below the limit leaves the gradients as they are
    "sgd_global_clipnorm_inactive": (optimizers.SGD, {"global_clipnorm": 50.0}, ref_sgd, {},
                                     {"global_clipnorm": 50.0}),
    "lion_global_clipnorm": (optimizers.Lion, {"global_clipnorm": 1.0, "beta_1": 0.5}, ref_lion, {"beta_1": 0.5},
                             {"global_clipnorm": 1.0}),
    "adagrad_clipvalue_and_clipnorm": (optimizers.Adagrad, {"clipvalue": 0.8, "clipnorm": 0.6}, ref_adagrad, {},
                                       {"clipvalue": 0.8, "clipnorm": 0.6}),
}


def make_variables():
    return [K.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(W0)]


def run_steps(optimizer, variables, grads=GRADS):
    history = []
    for step_grads in grads:
        optimizer.apply_gradients(zip(step_grads, variables))
        history.append([v.numpy() for v in variables])
    return history


@pytest.mark.parametrize("case", sorted(CASES))
def test_three_updates_match_the_documented_rule(case):
    cls, kwargs, rule, hyper, base = CASES[case]
    lr = 1.0 if cls is optimizers.Adadelta else 0.1
    variables = make_variables()
    got = run_steps(cls(learning_rate=lr, **kwargs), variables)
    expected = reference_run(rule, hyper, W0, GRADS, lr, **base)
    for t, (got_step, expected_step) in enumerate(zip(got, expected), start=1):
        for g, e in zip(got_step, expected_step):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL, err_msg=f"{case}, step {t}")


def test_sgd_momentum_first_steps_by_hand():
    v = K.Variable(np.array([1.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply([np.array([0.5], np.float32)], [v])
    # m = 0.9 * 0 - 0.1 * 0.5 = -0.05; w = 1 + m = 0.95
    np.testing.assert_allclose(v.numpy(), [0.95], rtol=1e-6)
    opt.apply([np.array([0.5], np.float32)], [v])
    # m = 0.9 * -0.05 - 0.05 = -0.095; w = 0.95 - 0.095 = 0.855
    np.testing.assert_allclose(v.numpy(), [0.855], rtol=1e-6)


def test_adam_first_step_by_hand():
    v = K.Variable(np.array([1.0], np.float32))
    optimizers.Adam(learning_rate=0.1).apply([np.array([0.5], np.float32)], [v])
    # m = 0.1 * 0.5 = 0.05; v = 0.001 * 0.25 = 0.00025
    # lr_t = 0.1 * sqrt(1 - 0.999) / (1 - 0.9) = sqrt(0.001) = 0.0316227766
    # w = 1 - 0.0316227766 * 0.05 / (sqrt(0.00025) + 1e-7) = 1 - 0.00158113883 / 0.0158114883
    np.testing.assert_allclose(v.numpy(), [1 - 0.00158113883 / 0.0158114883], rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), [0.90000063], rtol=1e-6)


def test_keras_defaults():
    assert optimizers.SGD().get_config()["learning_rate"] == pytest.approx(0.01)
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad, adam.name) == (0.9, 0.999, 1e-7, False, "adam")
    assert optimizers.AdamW().weight_decay == 0.004
    rms = optimizers.RMSprop()
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95
    assert (optimizers.Lion().beta_1, optimizers.Lion().beta_2) == (0.9, 0.99)
    ftrl = optimizers.Ftrl()
    assert (ftrl.learning_rate_power, ftrl.initial_accumulator_value, ftrl.beta) == (-0.5, 0.1, 0.0)
    for cls in (optimizers.Adam, optimizers.RMSprop, optimizers.Nadam, optimizers.Ftrl, optimizers.Lion):
        assert cls().get_config()["learning_rate"] == pytest.approx(0.001)


# ---------------------------------------------------------------------------
# state: iterations, variables, learning rate
# ---------------------------------------------------------------------------

def test_iterations_and_variables_order():
    variables = make_variables()
    opt = optimizers.Adam(amsgrad=True)
    assert K.is_variable(opt.iterations) and opt.iterations.dtype == "int64" and not opt.iterations.trainable
    assert not opt.built and len(opt.variables) == 2
    run_steps(opt, variables)
    assert opt.built and int(opt.iterations.numpy()) == 3
    state = opt.variables
    assert state[0] is opt.iterations
    assert state[1] is opt.learning_rate and state[1].dtype == K.floatx()
    # then momentum and velocity variable by variable, then velocity_hat per variable (Keras 3's order)
    shapes = [v.shape for v in variables]
    assert [s.shape for s in state[2:]] == [s for s in shapes for _ in range(2)] + shapes
    assert all(not s.trainable for s in state)
    opt.build(variables)  # idempotent
    assert len(opt.variables) == 8


def test_schedule_learning_rate_has_no_variable():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5))
    assert opt.variables == [opt.iterations]


def test_learning_rate_get_set_between_steps():
    v = K.Variable(np.array([1.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.1)
    np.testing.assert_allclose(K.eval(opt.learning_rate), 0.1, rtol=1e-6)
    opt.apply([np.ones(1, np.float32)], [v])
    opt.learning_rate = 0.25
    np.testing.assert_allclose(K.eval(opt.learning_rate), 0.25)
    opt.apply([np.ones(1, np.float32)], [v])
    K.set_value(opt.learning_rate, 0.5)  # Keras 2 callbacks do this
    opt.apply([np.ones(1, np.float32)], [v])
    np.testing.assert_allclose(v.numpy(), [1 - 0.1 - 0.25 - 0.5], rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        np.testing.assert_allclose(K.eval(opt.lr), 0.5)
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt.lr = 0.125
    np.testing.assert_allclose(K.eval(opt.learning_rate), 0.125)


def test_learning_rate_set_on_schedule_optimizer_is_a_type_error():
    opt = optimizers.Adam(learning_rate=schedules.InverseTimeDecay(0.1, 1, 1.0))
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1


def test_optimizer_driven_by_a_schedule_uses_the_rate_of_each_step():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    v = K.Variable(np.array([1.0], np.float32))
    expected = 1.0
    for t in range(4):
        # the update at iterations == t uses 0.1 * 0.5 ** (t / 2)
        np.testing.assert_allclose(K.eval(opt.learning_rate), 0.1 * 0.5 ** (t / 2), rtol=1e-6)
        opt.apply([np.ones(1, np.float32)], [v])
        expected -= 0.1 * 0.5 ** (t / 2)
        np.testing.assert_allclose(v.numpy(), [expected], rtol=1e-6)


def test_legacy_lr_and_decay_constructor_arguments():
    with pytest.warns(DeprecationWarning) as record:
        opt = optimizers.SGD(lr=0.1, decay=0.5)
    messages = " ".join(str(w.message) for w in record)
    assert "learning_rate=" in messages and "InverseTimeDecay" in messages
    v = K.Variable(np.array([0.0], np.float32))
    expected = 0.0
    for t in range(3):
        # Keras 2 time decay: lr / (1 + decay * iterations)
        np.testing.assert_allclose(K.eval(opt.learning_rate), 0.1 / (1 + 0.5 * t), rtol=1e-6)
        opt.apply([np.ones(1, np.float32)], [v])
        expected -= 0.1 / (1 + 0.5 * t)
    np.testing.assert_allclose(v.numpy(), [expected], rtol=1e-6)
    assert opt.get_config()["decay"] == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = optimizers.SGD.from_config(opt.get_config())  # no warning on load
    assert again.decay == 0.5


def test_bad_arguments():
    with pytest.raises(TypeError, match="momentom"):
        optimizers.SGD(momentom=0.9)
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(TypeError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")


def test_unknown_variable_and_missing_gradients():
    a, b = make_variables()
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="w1"):
        opt.apply([np.ones(3, np.float32), None], [a, b])
    np.testing.assert_allclose(a.numpy(), W0[0] - 0.1)
    np.testing.assert_array_equal(b.numpy(), W0[1])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.ones(1, np.float32)], [K.Variable(np.zeros(1, np.float32))])
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply([None], [a])


def test_minimize_a_quadratic():
    target = np.array([1.0, -2.0, 3.0], np.float32)
    for opt, steps in ((optimizers.SGD(learning_rate=0.1), 60), (optimizers.Adam(learning_rate=0.1), 200)):
        w = K.Variable(np.zeros(3, np.float32))
        for _ in range(steps):
            opt.minimize(lambda w=w: K.sum(K.square(w - target)), [w])
        np.testing.assert_allclose(w.numpy(), target, atol=1e-2)
    with pytest.raises(TypeError, match="function"):
        optimizers.SGD().minimize(K.sum(K.square(w.value)), [w])


def test_exclude_from_weight_decay():
    a, b = make_variables()
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["w1"])
    opt.apply([np.zeros(3, np.float32), np.zeros((2, 2), np.float32)], [a, b])
    np.testing.assert_allclose(a.numpy(), W0[0] * (1 - 0.5 * 0.1), rtol=1e-6)
    np.testing.assert_array_equal(b.numpy(), W0[1])


def test_loss_scale_and_constraint():
    v = K.Variable(np.array([1.0, 0.05], np.float32), constraint=lambda x: K.clip(x, 0.0, 10.0))
    opt = optimizers.SGD(learning_rate=0.1, loss_scale_factor=4.0)
    np.testing.assert_allclose(K.eval(opt.scale_loss(2.0)), 8.0)
    opt.apply([np.array([4.0, 4.0], np.float32)], [v])
    # gradient 4 / 4 = 1; 0.05 - 0.1 clipped to 0 by the constraint
    np.testing.assert_allclose(v.numpy(), [0.9, 0.0], rtol=1e-6)


def test_gradient_accumulation():
    v = K.Variable(np.array([1.0, 2.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.1, gradient_accumulation_steps=2)
    g1, g2, g3 = (np.array(g, np.float32) for g in ([1.0, -2.0], [3.0, 4.0], [0.5, 0.5]))
    opt.apply([g1], [v])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])  # only accumulated
    opt.apply([g2], [v])
    after = np.array([1.0, 2.0]) - 0.1 * (g1 + g2) / 2
    np.testing.assert_allclose(v.numpy(), after, rtol=1e-6)
    opt.apply([g3], [v])  # accumulators were reset
    np.testing.assert_allclose(v.numpy(), after, rtol=1e-6)
    np.testing.assert_allclose(opt._accumulated_gradients[0].numpy(), g3)
    assert int(opt.iterations.numpy()) == 3


def test_exponential_moving_average():
    v = K.Variable(np.array([1.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=None)
    values, average = [], None
    for _ in range(3):
        opt.apply([np.ones(1, np.float32)], [v])
        w = float(v.numpy()[0])
        values.append(w)
        # the first average is the value itself, then avg = 0.5 * avg + 0.5 * w
        average = w if average is None else 0.5 * average + 0.5 * w
    np.testing.assert_allclose(v.numpy(), [0.7], rtol=1e-6)
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.numpy(), [average], rtol=1e-6)


# ---------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------

STEPS = [0, 1, 3, 7, 10, 15, 26, 40]


def _cosine(step, decay_steps, alpha):
    step = min(step, decay_steps)
    return (1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha


def _sgdr(step, first, t_mul, m_mul, alpha):
    # walk the periods: period i lasts first * t_mul ** i steps
    start, length, i = 0.0, float(first), 0
    while step >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    fraction = (step - start) / length
    return (1 - alpha) * m_mul ** i * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha


SCHEDULES = {
    "exponential": (schedules.ExponentialDecay(0.1, 4, 0.7), lambda s: 0.1 * 0.7 ** (s / 4)),
    "exponential_staircase": (schedules.ExponentialDecay(0.1, 4, 0.7, staircase=True),
                              lambda s: 0.1 * 0.7 ** (s // 4)),
    "inverse_time": (schedules.InverseTimeDecay(0.2, 5, 0.5), lambda s: 0.2 / (1 + 0.5 * s / 5)),
    "inverse_time_staircase": (schedules.InverseTimeDecay(0.2, 5, 0.5, staircase=True),
                               lambda s: 0.2 / (1 + 0.5 * (s // 5))),
    "piecewise": (schedules.PiecewiseConstantDecay([3, 10, 26], [1.0, 0.5, 0.1, 0.01]),
                  lambda s: 1.0 if s <= 3 else 0.5 if s <= 10 else 0.1 if s <= 26 else 0.01),
    "polynomial": (schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=2.0),
                   lambda s: (0.1 - 0.01) * (1 - min(s, 20) / 20) ** 2 + 0.01),
    "polynomial_cycle": (schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=0.5, cycle=True),
                         lambda s: (0.1 - 0.01) * (1 - s / (20 * max(1, math.ceil(s / 20)))) ** 0.5 + 0.01),
    "cosine": (schedules.CosineDecay(0.1, 30, alpha=0.1), lambda s: 0.1 * _cosine(s, 30, 0.1)),
    "cosine_warmup": (schedules.CosineDecay(0.0, 30, alpha=0.2, warmup_target=0.5, warmup_steps=10),
                      lambda s: 0.5 * s / 10 if s < 10 else 0.5 * _cosine(s - 10, 30, 0.2)),
    "cosine_restarts": (schedules.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.8, alpha=0.05),
                        lambda s: 0.1 * _sgdr(s, 5, 2.0, 0.8, 0.05)),
    "cosine_restarts_equal_periods": (schedules.CosineDecayRestarts(0.1, 6, t_mul=1.0, m_mul=0.5),
                                      lambda s: 0.1 * _sgdr(s, 6, 1.0, 0.5, 0.0)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_its_formula(name):
    schedule, formula = SCHEDULES[name]
    # t_mul=2 restarts start at 5, 15, 35: stay off the exact boundaries (float log rounding)
    steps = [s for s in STEPS if not (name == "cosine_restarts" and s in (5, 15, 35))]
    for step in steps:
        got = K.eval(schedule(step))
        np.testing.assert_allclose(got, formula(step), rtol=1e-5, atol=1e-7, err_msg=f"{name} at step {step}")
    # a Variable step (the optimizer's iterations) works too
    got = K.eval(schedule(K.Variable(7, dtype="int64", trainable=False)))
    np.testing.assert_allclose(got, formula(7), rtol=1e-5, atol=1e-7)
    # and the config round trip rebuilds the same function
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    np.testing.assert_allclose(K.eval(again(10)), formula(10), rtol=1e-5, atol=1e-7)


def test_schedule_errors():
    with pytest.raises(ValueError, match="one more value"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()


# ---------------------------------------------------------------------------
# get / serialize / deserialize
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sgd", "SGD", "adam", "Adam", "ADAM", "rmsprop", "RMSprop", "adagrad", "adadelta",
                                  "adamw", "AdamW", "adamax", "nadam", "ftrl", "lion"])
def test_get_by_name_and_round_trip(name):
    opt = optimizers.get(name)
    assert type(opt).__name__.lower() == name.lower()
    assert optimizers.get(opt) is opt
    config = optimizers.serialize(opt)
    for again in (optimizers.deserialize(config), optimizers.get(config)):
        assert type(again) is type(opt) and again.get_config() == opt.get_config()
    # the same next updates from the same start
    first, second = make_variables(), make_variables()
    np.testing.assert_allclose(run_steps(opt, first)[-1][1], run_steps(again, second)[-1][1], rtol=1e-6)


def test_round_trip_with_options_and_schedule():
    opt = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=5),
                          beta_1=0.8, amsgrad=True, clipnorm=0.5, weight_decay=0.01, name="my_adam")
    config = optimizers.serialize(opt)
    again = optimizers.deserialize(config)
    assert again.get_config() == opt.get_config() and again.name == "my_adam"
    assert isinstance(again._learning_rate, schedules.CosineDecay)
    np.testing.assert_allclose(K.eval(again.learning_rate), K.eval(opt.learning_rate))


def test_keras2_config_loads():
    opt = optimizers.deserialize({"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
        "amsgrad": False, "is_legacy_optimizer": False}})
    assert isinstance(opt, optimizers.Adam) and opt.decay == 0.0
    np.testing.assert_allclose(K.eval(opt.learning_rate), 0.01)


def test_unknown_name_error():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamx'.*adam"):
        optimizers.get("adamx")
    with pytest.raises(TypeError, match="Could not interpret optimizer"):
        optimizers.get(42)


# ---------------------------------------------------------------------------
# stateless and compiled updates
# ---------------------------------------------------------------------------

def test_apply_in_a_stateless_scope_records_assignments_only():
    variables = make_variables()
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build(variables)
    start = [w + 1.0 for w in W0]
    state_before = [s.numpy() for s in opt.variables]
    mapping = dict(zip(variables, [K.convert_to_tensor(w) for w in start]))
    mapping.update({s: s.value for s in opt.variables})
    with K.StatelessScope(mapping) as scope:
        opt.apply(GRADS[0], variables)
    assigned = {id(var): value for var, value in scope.assignments()}
    # the real Variables did not move
    for v, w in zip(variables, W0):
        np.testing.assert_array_equal(v.numpy(), w)
    for s, before in zip(opt.variables, state_before):
        np.testing.assert_array_equal(s.numpy(), before)
    # every piece of state that changed is an optimizer Variable or a model variable
    known = {id(v) for v in variables} | {id(s) for s in opt.variables}
    assert set(assigned) <= known and id(opt.iterations) in assigned
    assert int(K.convert_to_numpy(assigned[id(opt.iterations)])) == 1
    expected = reference_run(ref_adam, {}, start, GRADS[:1], 0.1)[0]
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(K.convert_to_numpy(assigned[id(v)]), e, rtol=RTOL, atol=ATOL)
    # stateless_apply gives the same values
    new_vars, new_state = opt.stateless_apply([s.value for s in opt.variables], GRADS[0],
                                              [K.convert_to_tensor(w) for w in start])
    for got, e in zip(new_vars, expected):
        np.testing.assert_allclose(K.convert_to_numpy(got), e, rtol=RTOL, atol=ATOL)
    assert int(K.convert_to_numpy(new_state[0])) == 1 and int(opt.iterations.numpy()) == 0


@pytest.mark.parametrize("make", [
    lambda: optimizers.Adam(learning_rate=0.1, amsgrad=True),
    lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, clipnorm=1.0),
    lambda: optimizers.Nadam(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5)),
    lambda: optimizers.RMSprop(learning_rate=0.1, gradient_accumulation_steps=2, use_ema=True,
                               ema_overwrite_frequency=2),
], ids=["adam_amsgrad", "sgd_nesterov_wd_clip", "nadam_schedule", "rmsprop_accumulate_ema"])
def test_compiled_apply_matches_eager(make):
    eager_vars, jit_vars = make_variables(), make_variables()
    eager, compiled = make(), make()
    expected = run_steps(eager, eager_vars)
    compiled.build(jit_vars)

    @K.jit
    def step(g0, g1):
        compiled.apply([g0, g1], jit_vars)

    for t, grads in enumerate(GRADS):
        step(*grads)
        for v, e in zip(jit_vars, expected[t]):
            np.testing.assert_allclose(v.numpy(), e, rtol=1e-5, atol=1e-6, err_msg=f"step {t + 1}")
    assert int(compiled.iterations.numpy()) == 3
    for a, b in zip(compiled.variables, eager.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_compiled_step_sees_a_new_learning_rate():
    v = K.Variable(np.array([1.0], np.float32))
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build([v])

    @K.jit
    def step(g):
        opt.apply([g], [v])

    step(np.ones(1, np.float32))
    opt.learning_rate = 0.3
    step(np.ones(1, np.float32))
    np.testing.assert_allclose(v.numpy(), [0.6], rtol=1e-6)


@pytest.mark.parametrize("make,names", [
    (lambda: optimizers.SGD(momentum=0.9), ["a_momentum", "b_momentum"]),
    (lambda: optimizers.Adam(amsgrad=True), ["a_momentum", "a_velocity", "b_momentum", "b_velocity",
                                             "a_velocity_hat", "b_velocity_hat"]),
    (lambda: optimizers.RMSprop(momentum=0.5, centered=True), ["a_velocity", "b_velocity", "a_momentum", "b_momentum",
                                                               "a_average_gradient", "b_average_gradient"]),
    (lambda: optimizers.Adadelta(), ["a_accumulated_grad", "a_accumulated_delta_var", "b_accumulated_grad",
                                     "b_accumulated_delta_var"]),
    (lambda: optimizers.Adamax(), ["a_momentum", "a_norm", "b_momentum", "b_norm"]),
    (lambda: optimizers.Nadam(), ["a_momentum", "a_velocity", "b_momentum", "b_velocity", "u_product"]),
    (lambda: optimizers.Ftrl(), ["a_accumulator", "a_linear", "b_accumulator", "b_linear"]),
    (lambda: optimizers.Adam(use_ema=True), ["a_average", "b_average", "a_momentum", "a_velocity", "b_momentum",
                                             "b_velocity"]),
])
def test_slot_variables_are_in_keras_3_saving_order(make, names):
    # Keras 3 files list an optimizer's variables in this order (iteration, learning rate, then the slots), and
    # loading optimizer state from a Keras file relies on it
    optimizer = make()
    optimizer.build([K.Variable(np.zeros(2), name="a"), K.Variable(np.zeros(3), name="b")])
    assert [v.name for v in optimizer.variables] == ["iteration", "learning_rate"] + names
