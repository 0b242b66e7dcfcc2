"""``cnnlab.reference._validation``, the one toolkit of argument checks: one signature per check
and one message shape, whichever part of ``reference`` (builders, operations, data, metrics)
refuses the value."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.errors import UsageError
from cnnlab.reference import _validation as v


def test_check_choice_returns_the_canonical_entry_and_lists_the_choices():
    assert v.check_choice(np.str_("macro"), name="average", choices=(None, "macro")) == "macro"
    assert type(v.check_choice(np.str_("macro"), name="average", choices=("macro",))) is str
    assert v.check_choice(None, name="average", choices=(None, "macro")) is None
    assert v.check_choice(3, name="channels", choices=(1, 3)) == 3
    with pytest.raises(UsageError) as caught:
        v.check_choice("tf", name="layout", choices=("torchvision", "keras"))
    assert str(caught.value) == "layout must be one of 'torchvision', 'keras'; got 'tf'"
    for bad in (True, None, np.zeros(2), "None"):  # True is not 1, None is not listed
        with pytest.raises(UsageError, match="channels must be one of 1, 3; got"):
            v.check_choice(bad, name="channels", choices=(1, 3))


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (0, {"low": 1}, "n must be a positive int; 0 is out of range"),
        (1.5, {"low": 1}, "n must be a positive int; got 1.5"),
        (True, {"low": 0}, "n must be an int >= 0; got True"),
        (4, {"low": 1, "high": 3, "why": " (3 classes)"}, "n must be an int between 1 and 3 (3 classes); 4 is out of range"),
        (-1, {"low": 0}, "n must be an int >= 0; -1 is out of range"),
    ],
)
def test_check_int_message_shapes(value, kwargs, message):
    with pytest.raises(UsageError) as caught:
        v.check_int(value, name="n", **kwargs)
    assert str(caught.value) == message


def test_ints_pairs_and_probabilities():
    assert v.check_int(np.int64(3), name="n", low=1) == 3
    assert v.check_pair(3, name="size", low=1) == (3, 3)
    assert v.check_pair([2, 5], name="size", low=1) == (2, 5)
    with pytest.raises(UsageError, match=r"size must be an int or a pair of ints; got \(1, 2, 3\)"):
        v.check_pair((1, 2, 3), name="size")
    assert v.check_probability(1, name="p") == 1.0
    with pytest.raises(UsageError, match=r"dropout must be a number in \[0, 1\); 1 is out of range"):
        v.check_probability(1, name="dropout", include_one=False)
    with pytest.raises(UsageError, match=r"p must be a number in \[0, 1\]; got '0.5'"):
        v.check_probability("0.5", name="p")


def test_arrays_and_generators():
    assert v.as_array([1, 2], name="x").dtype == np.float64
    assert v.as_array(np.ones(2, np.float32), name="x").dtype == np.float32
    with pytest.raises(UsageError, match="x must have 2 dimensions; got shape"):
        v.as_array([1, 2], name="x", ndim=2)
    with pytest.raises(UsageError, match="x must hold numbers; got dtype"):
        v.as_array(["a"], name="x")
    assert v.rng_from(0).random() == np.random.default_rng(0).random()
    with pytest.raises(UsageError, match="rng must be an int seed"):
        v.rng_from("seed")


def test_builders_operations_data_and_metrics_share_the_message_shape():
    """Four parts of reference that had three toolkits answer a bad choice in the same words."""
    from cnnlab.reference import build, metrics, ops
    from cnnlab.reference.data import load_digits
    from cnnlab.reference.frameworks import installed

    framework = next(iter(installed()), None)  # a single-framework install checks its own
    if framework is None:
        pytest.skip("the builders need torch or keras")
    calls = [
        (lambda: build("resnet18", framework, layout="tf"), "layout", "'tf'"),
        (lambda: ops.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding="full"), "padding", "'full'"),
        (lambda: load_digits(layout="chw"), "layout", "'chw'"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], normalize="rows"), "normalize", "'rows'"),
    ]
    for call, name, got in calls:
        with pytest.raises(UsageError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"{name} must be one of ") and message.endswith(f"; got {got}")
