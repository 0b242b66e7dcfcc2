"""The parameter tables of the "Lecture 06" document, errata included, and the checker's branch,
concat, add and total rows.

Independent sources: each fixture row carries the correct count written out by hand with its
arithmetic (column ``correct``, the formula in ``note``), and the totals are held against the
catalog (AlexNet: paper arithmetic; VGG16: torchvision). The checker must reproduce every
``correct`` and flag exactly the rows whose note starts with "error".
"""

import csv
import io

import pytest

from cnnlab.reference import ops
from cnnlab.reference.catalog import get


def _rows(table):
    with ops.lecture_table(table).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _int(text):
    return int(text.replace(",", "")) if text else None


@pytest.mark.parametrize("table", ops.LECTURE06_TABLES)
def test_checker_reproduces_the_hand_arithmetic_and_flags_exactly_the_errors(table):
    rows = _rows(table)
    checks = ops.check_layer_table(ops.lecture_table(table))
    for row, check in zip(rows, checks, strict=True):
        if row["correct"]:
            assert check.params == _int(row["correct"]), row["layer"]
        assert check.ok is not row["note"].startswith("error"), row["layer"]
        if row["params"]:
            assert row["source"].startswith("Lecture 06 L"), row["layer"]


def test_the_documents_errors_are_the_audited_ones():
    found = {(e.table, e.layer): (e.document, e.correct) for e in ops.lecture_errata()}
    assert found == {
        ("lecture06_1x1", "5x5 direct"): (820_000, 819_200),
        ("lecture06_1x1", "5x5 after reduce"): (102_400, 204_800),
        ("lecture06_1x1", "with 1x1 total"): (118_784, 221_184),
        ("lecture06_googlenet", "conv1"): (9_664, 9_472),
        ("lecture06_googlenet", "stem total"): (124_608, 124_416),
        ("lecture06_googlenet", "3a 3x3 reduce"): (16_512, 24_704),
        ("lecture06_googlenet", "3a 3x3 branch"): (164_096, 172_288),
        ("lecture06_googlenet", "3a total"): (214_432, 222_624),
        ("lecture06_googlenet", "fc in the summary"): (102_500, 1_025_000),  # "1,025,00"
        ("lecture06_resnet50", "conv5_1"): (526_848, 524_800),
        ("lecture06_resnet50", "conv5_3"): (1_051_648, 1_050_624),
        ("lecture06_resnet50", "conv5 block"): (3_938_304, 3_935_232),
        ("lecture06_resnet50", "conv5_x"): (11_814_912, 11_805_696),
    }
    assert all(e.source and e.arithmetic for e in ops.lecture_errata())


def test_alexnet_and_vgg16_tables_add_up_to_the_catalog():
    alexnet = ops.check_layer_table(ops.lecture_table("lecture06_alexnet"))[-1]
    vgg16 = ops.check_layer_table(ops.lecture_table("lecture06_vgg16"))[-1]
    assert alexnet.params == get("alexnet").variant().params.value == 62_378_344  # paper arithmetic
    assert vgg16.params == get("vgg16").variant().params.value == 138_357_544  # torchvision
    assert alexnet.ok and vgg16.ok


def test_resnet50_rows_sum_short_of_the_real_network():
    """The document's "25.0M": its rows sum to 20,930,920 (corrected); torchvision's ResNet-50 has
    25,557,032, the difference being BatchNorm, the projection shortcuts and the wider inputs of
    the repeated blocks."""
    checks = {c.layer: c for c in ops.check_layer_table(ops.lecture_table("lecture06_resnet50"))}
    assert checks["total"].params == 20_930_920
    assert get("resnet50").variant().params.value == 25_557_032
    assert checks["conv5_add"].output == (7, 7, 2048)
    assert checks["conv3_proj"].output == (28, 28, 512)


def test_inception_branches_concatenate_like_torch():
    torch = pytest.importorskip("torch")
    checks = {c.layer: c for c in ops.check_layer_table(ops.lecture_table("lecture06_googlenet"))}
    x = torch.zeros(1, 192, 28, 28)
    nn = torch.nn
    branches = [nn.Conv2d(192, 64, 1), nn.Sequential(nn.Conv2d(192, 128, 1), nn.Conv2d(128, 128, 3, padding=1)),
                nn.Sequential(nn.Conv2d(192, 32, 1), nn.Conv2d(32, 32, 5, padding=2)),
                nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(192, 32, 1))]
    out = torch.cat([b(x) for b in branches], dim=1)
    assert checks["3a concat"].output == (out.shape[2], out.shape[3], out.shape[1])
    assert checks["3a total"].params == sum(p.numel() for b in branches for p in b.parameters())


@pytest.mark.parametrize("text,message", [
    ("layer,type,input,from\na,input,4x4x3,\nb,add,,zz\n", "'from' names 'zz', which is no earlier row"),
    ("layer,type,input,kernel,filters,from\na,input,4x4x3,,,\nb,conv,,1,2,\nc,add,,,,a;b\n",
     "an add row needs inputs of one shape"),
    ("layer,type,input,kernel,filters,from\na,input,4x4x3,,,\nb,concat,,,,a\n", "at least two rows"),
    ("layer,type,input,from\na,input,4x4x3,\nb,total,,\n", "needs the rows it joins"),
    ("layer,type,input,repeat\na,input,4x4x3,2\n", "'repeat' is for total rows only"),
    ("layer,type,input,kernel,filters,from\na,input,4x4x3,,,\nb,input,4x4x3,,,\nc,conv,,1,2,a;b\n",
     "reads one row"),
])
def test_bad_branch_rows_name_line_and_reason(text, message):
    with pytest.raises(ValueError, match=message):
        ops.check_layer_table(io.StringIO(text))


def test_residual_block_with_repeat():
    text = ("layer,type,input,kernel,padding,filters,from,repeat,params\n"
            "x,input,8x8x4,,,,,,\n"
            "c1,conv,,3,1,4,,,148\n"
            "c2,conv,,3,1,4,,,148\n"
            "sum,add,,,,,x;c2,,\n"
            "block,total,,,,,c1..c2,3,888\n")
    checks = ops.check_layer_table(io.StringIO(text))
    assert [c.ok for c in checks] == [True] * 5
    assert checks[3].output == (8, 8, 4) and checks[4].params == 3 * 2 * (9 * 16 + 4)
