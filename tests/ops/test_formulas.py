"""Size and parameter formulas, and the layer-table checker, against layers built in torch/Keras."""

import io

import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnlab.reference import ops
from cnnlab.reference.catalog import get
from cnnlab.reference.ops.layer_table import parse_shape


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_matches_torch(size, k, s, p, d):
    if size + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError, match="does not fit"):
            ops.conv_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d)
        return
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, device="meta")
    expected = conv(torch.empty(1, 1, size, size, device="meta")).shape[-1]
    assert ops.conv_output_size(size, kernel_size=k, stride=s, padding=p, dilation=d) == expected


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 40), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
       ceil_mode=st.booleans())
def test_pool_output_size_matches_torch(size, k, s, p, ceil_mode):
    p = min(p, k // 2)  # torch's limit
    if size + 2 * p < k:
        return
    pool = nn.MaxPool2d(k, s, p, ceil_mode=ceil_mode)
    expected = pool(torch.empty(1, 1, size, size, device="meta")).shape[-1]
    assert ops.pool_output_size(size, kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode) == expected


def test_same_padding_matches_keras():
    keras = pytest.importorskip("keras")

    for size, k, s in [(7, 3, 2), (8, 3, 2), (9, 5, 3), (10, 4, 1)]:
        layer = keras.layers.Conv2D(1, k, strides=s, padding="same")
        expected = layer.compute_output_shape((1, size, size, 1))[1]
        assert ops.conv_output_size(size, kernel_size=k, stride=s, padding="same") == expected


def _numel(module):
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=40, deadline=None)
@given(c_in=st.integers(1, 12), mult=st.integers(1, 3), k=st.integers(1, 5), bias=st.booleans(),
       g=st.sampled_from([1, 2, 3]))
def test_parameter_counts_match_torch(c_in, mult, k, bias, g):
    c_in, c_out = c_in * g, c_in * g * mult
    assert ops.conv_params(in_channels=c_in, out_channels=c_out, kernel_size=k, groups=g, bias=bias) \
        == _numel(nn.Conv2d(c_in, c_out, k, groups=g, bias=bias, device="meta"))
    assert ops.depthwise_params(channels=c_in, kernel_size=k, depth_multiplier=mult, bias=bias) \
        == _numel(nn.Conv2d(c_in, c_in * mult, k, groups=c_in, bias=bias, device="meta"))
    assert ops.pointwise_params(in_channels=c_in, out_channels=c_out, bias=bias) \
        == _numel(nn.Conv2d(c_in, c_out, 1, bias=bias, device="meta"))
    assert ops.dense_params(in_features=c_in, out_features=c_out, bias=bias) \
        == _numel(nn.Linear(c_in, c_out, bias=bias, device="meta"))
    assert ops.batchnorm_params(channels=c_in) == _numel(nn.BatchNorm2d(c_in, device="meta"))


def test_separable_and_depthwise_counts_match_keras():
    keras = pytest.importorskip("keras")

    for c_in, c_out, k, mult in [(32, 64, 3, 1), (16, 40, 5, 2)]:
        sep = keras.layers.SeparableConv2D(c_out, k, depth_multiplier=mult)
        sep.build((None, 12, 12, c_in))
        assert ops.separable_params(in_channels=c_in, out_channels=c_out, kernel_size=k,
                                    depth_multiplier=mult) == sep.count_params()
        dw = keras.layers.DepthwiseConv2D(k, depth_multiplier=mult)
        dw.build((None, 12, 12, c_in))
        assert ops.depthwise_params(channels=c_in, kernel_size=k, depth_multiplier=mult) \
            == dw.count_params()


def test_the_issues_figures():
    # arithmetic stated in issue 9: 5*5*256*128 and 5*5*64*128 weights
    assert ops.conv_params(in_channels=256, out_channels=128, kernel_size=5, bias=False) == 819_200
    assert ops.conv_params(in_channels=64, out_channels=128, kernel_size=5, bias=False) == 204_800


# --- the layer-table checker -------------------------------------------------------------------


def _build(row, in_shape):
    kind = row["type"]
    bias = (row.get("bias") or "yes") == "yes"
    k = int(row["kernel"]) if row.get("kernel") else 1
    pad = row.get("padding") or "0"
    pad = pad if pad in ("same", "valid") else int(pad)
    if kind in ("maxpool", "avgpool"):
        stride = int(row["stride"]) if row.get("stride") else k
        return (nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(k, stride, pad)
    stride = int(row["stride"]) if row.get("stride") else 1
    c = in_shape[-1]
    if kind == "conv":
        return nn.Conv2d(c, int(row["filters"]), k, stride, pad, bias=bias)
    if kind == "pointwise":
        return nn.Conv2d(c, int(row["filters"]), 1, bias=bias)
    if kind == "depthwise":
        return nn.Conv2d(c, int(row["filters"] or c), k, stride, pad, groups=c, bias=bias)
    if kind == "separable":
        return nn.Sequential(nn.Conv2d(c, c, k, stride, pad, groups=c, bias=False),
                             nn.Conv2d(c, int(row["filters"]), 1, bias=bias))
    if kind == "batchnorm":
        return nn.BatchNorm2d(c) if len(in_shape) == 3 else nn.BatchNorm1d(c)
    if kind == "gap":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Linear(in_shape[0], int(row["filters"]), bias=bias)
    raise AssertionError(kind)


def _torch_truth(path):
    """(output shape, params) per row, measured on torch layers on the meta device."""
    import csv

    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    truths, shape = [], None
    for row in rows:
        if row["input"]:
            shape = parse_shape(row["input"])
        if row["type"] == "input":
            truths.append((shape, 0))
            continue
        with torch.device("meta"):
            layer = _build(row, shape)
            x = torch.empty(1, shape[2], shape[0], shape[1]) if len(shape) == 3 else torch.empty(2, *shape)
            y = layer(x)
        shape = (y.shape[2], y.shape[3], y.shape[1]) if y.ndim == 4 else (y.shape[1],)
        truths.append((shape, _numel(layer)))
    return rows, truths


@pytest.mark.parametrize("table", ops.LECTURE_TABLES)
def test_checker_agrees_with_torch_layers(table):
    path = ops.lecture_table(table)
    rows, truths = _torch_truth(path)
    checks = ops.check_layer_table(path)
    assert len(checks) == len(rows)
    for row, check, (shape, params) in zip(rows, checks, truths, strict=True):
        assert (check.output, check.params) == (tuple(shape), params), row["layer"]
        claimed_output = parse_shape(row["output"]) if row["output"] else None
        claimed_params = int(row["params"]) if row["params"] else None
        assert check.output_ok is (None if claimed_output is None else claimed_output == tuple(shape))
        assert check.params_ok is (None if claimed_params is None else claimed_params == params)
        # the fixture documents each of its errors, and only those
        assert check.ok is not row["note"].startswith("error"), row["layer"]


@pytest.mark.parametrize("table,arch", [("lenet5", "lenet5"), ("alexnet", "alexnet"), ("vgg16", "vgg16")])
def test_tables_add_up_to_the_catalog(table, arch):
    # the catalog's totals come from the paper's arithmetic (LeNet-5, AlexNet) and torchvision (VGG16)
    checks = ops.check_layer_table(ops.lecture_table(table))
    assert sum(c.params for c in checks) == get(arch).variant().params.value


def test_table_from_an_open_file_and_from_rows():
    text = "layer,type,input,kernel,filters,output,params\nc,conv,8x8x3,3,4,6x6x4,112\n"
    (from_file,) = ops.check_layer_table(io.StringIO(text))
    (from_rows,) = ops.check_layer_table([{"layer": "c", "type": "conv", "input": "8x8x3",
                                           "kernel": "3x3", "filters": "4", "params": "100"}])
    assert from_file.ok and from_file.params == 3 * 3 * 3 * 4 + 4
    assert from_rows.params_ok is False and from_rows.output_ok is None


@pytest.mark.parametrize("text,message", [
    ("layer,type\nx,pool\n", r"line 2 \(x\): column 'type' must be one of input, conv"),
    ("layer,type,kernel,filters\nc,conv,3,4\n", "line 2 .*needs an 'input' shape"),
    ("layer,type,input,filters\nc,conv,8x8x3,4\n", "column 'kernel' is required for a conv layer"),
    ("layer,type,input,kernel,filters\nc,conv,8x8,3,4\n", "a shape is HxWxC"),
    ("layer,type,input,kernel,filters,bias\nc,conv,8x8x3,3,4,maybe\n", "column 'bias' must be yes or no"),
    ("layer,type,input,filters\nd,dense,4x4x2,10\n", "add a flatten row"),
    ("layer,type,wrong\n", "no rows"),
    ("layer,kind\nx,conv\n", r"unknown column\(s\) \['kind'\]"),
])
def test_unreadable_tables_name_line_and_column(text, message):
    with pytest.raises(ValueError, match=message):
        ops.check_layer_table(io.StringIO(text))


def test_missing_table_and_unknown_fixture():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ops.check_layer_table("no/such/table.csv")
    with pytest.raises(ValueError, match="valid tables: lenet5, alexnet"):
        ops.lecture_table("resnet")
