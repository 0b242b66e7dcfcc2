"""The architectures assignment: the instructor's solution against published counts, the grader's
evidence checks against tampering, the example class graded in the sandbox (correct, common
mistakes, fakes, a model zoo with the switch on and off), teams and the leaderboard, and the
released student bundle.

Expected numbers and their sources:
- parameter counts: the catalog's facts (torchvision 0.29 and the papers' arithmetic; Keras'
  total adds BatchNorm's moving mean and variance, 2 x channels per BatchNorm);
- points: the README's table (10 per architecture and framework, criteria weighted
  params 1, output 1, layers 1, function 2 of 5) times what each example breaks;
- sizes: the output-size formula of torch.nn.Conv2d, floor((n + 2p - k) / s) + 1.
CI grades at the scale the assignment's conftest documents: lenet5, alexnet and resnet18 with
10 classes (LeNet-5 always has 10).
"""

import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

# the assignment has students write both frameworks, and its grader imports both
pytest.importorskip("torch")
pytest.importorskip("keras")

from cnnlab import paths
from cnnlab.bench.grading import grade, load_assignment
from cnnlab.bench.grading.example_class import grade_examples, render_demo
from cnnlab.bench.grading.release import release
from cnnlab.bench.judges import architectures

from ..conftest import load_module
from .conftest import computed_once

ROOT = paths.bundled_assignments() / "architectures"
EXAMPLES = paths.examples_dir() / "architectures"
SCOPE = {"CNNLAB_ARCHITECTURES": "lenet5,alexnet,resnet18", "CNNLAB_NUM_CLASSES": "10"}
CI_TESTS = [f"test_architecture[{a}-{f}]" for a in ("lenet5", "alexnet", "resnet18") for f in ("torch", "keras")]
PER_ARCH = 10
SHARE = {"params": 1 / 5, "output": 1 / 5, "layers": 1 / 5, "function": 2 / 5}




@pytest.fixture(scope="module")
def solution():
    return load_module(ROOT / "solution" / "architectures.py", "architectures_solution")


# ------------------------------------------------------------------------------ the solution


@pytest.mark.parametrize("arch", architectures.ARCHS)
def test_solution_torch_counts_equal_the_published_ones(solution, arch):
    torch = pytest.importorskip("torch")

    from cnnlab.reference.catalog import get

    fact = get(arch).variant("default").params  # torchvision 0.29 or the paper's arithmetic
    with torch.device("meta"):
        model = solution.build(arch, "torch", num_classes=10 if arch == "lenet5" else 1000)
    assert sum(p.numel() for p in model.parameters()) == fact.value, fact.source


@pytest.mark.parametrize("arch", ["lenet5", "resnet18"])
def test_solution_keras_counts_equal_the_published_ones(solution, arch):
    from cnnlab.reference.catalog import get

    variant = get(arch).variant("default")
    model = solution.build(arch, "keras", num_classes=10 if arch == "lenet5" else 1000)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == variant.params.value  # Keras' trainable count is torch's
    assert model.count_params() == variant.keras_params.value  # + moving mean and variance


# ------------------------------------------------------------------------------ the grader's checks


@pytest.fixture
def lenet_export(solution, tmp_path, monkeypatch):
    """The solution's LeNet-5 (torch) exported in this process by the worker-side helper."""
    from cnnlab.bench.judges.helpers import model_export

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "architectures", solution)
    seed = architectures.new_seed()
    x, native = architectures.grading_input("lenet5", "torch", seed=seed)
    result = model_export.export("architectures", "lenet5", "torch", 10, native, seed)
    return result, x, seed, tmp_path


def _judge(result, x, seed, folder):
    return architectures.judge(result, arch="lenet5", framework="torch", num_classes=10, x_nchw=x, seed=seed,
                        load_array=lambda name: np.load(folder / name, allow_pickle=False))


def test_judge_passes_the_solution(lenet_export):
    verdict = _judge(*lenet_export)
    assert all(check.ok for check in verdict.checks.values()), verdict.checks
    assert verdict.counts["total"] == 61_706  # LeNet-5, paper arithmetic (catalog)


def test_judge_refuses_weights_the_seed_did_not_give(lenet_export):
    result, x, seed, folder = lenet_export
    layer = result["layers"][0]
    kernel = folder / layer["arrays"]["kernel"]["file"]
    np.save(kernel, np.zeros(layer["arrays"]["kernel"]["shape"], np.float32))  # a degenerate model
    verdict = _judge(result, x, seed, folder)
    assert not verdict.checks["function"].ok
    assert "not the ones the grader's seed gave" in verdict.checks["function"].message


def test_judge_refuses_a_manifest_that_lies_about_shapes(lenet_export):
    result, x, seed, folder = lenet_export
    result["layers"][2]["arrays"]["kernel"]["shape"] = [120, 401]  # the file holds 120 x 400
    verdict = _judge(result, x, seed, folder)
    assert not verdict.checks["params"].ok and not verdict.checks["function"].ok


def test_judge_wants_the_output_from_a_layer(lenet_export):
    result, x, seed, folder = lenet_export
    result["output"] = np.zeros_like(result["output"])  # right shape, made up
    verdict = _judge(result, x, seed, folder)
    assert not verdict.checks["output"].ok and not verdict.checks["function"].ok
    assert verdict.checks["params"].ok and verdict.checks["layers"].ok


def test_bad_arch_or_framework_names_the_choices():
    with pytest.raises(ValueError, match="lenet5, alexnet, vgg16, resnet18, resnet50"):
        architectures.check_arch("vgg17", "torch")
    with pytest.raises(ValueError, match="torch, keras"):
        architectures.check_arch("vgg16", "jax")


def test_a_bad_scope_is_a_usage_error(monkeypatch):
    conftest = load_module(ROOT / "tests" / "conftest.py", "architectures_conftest")
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "lenet5,vgg17")
    with pytest.raises(pytest.UsageError, match="vgg17"):
        conftest.scope()
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "alexnet")
    monkeypatch.setenv("CNNLAB_NUM_CLASSES", "ten")
    with pytest.raises(pytest.UsageError, match="CNNLAB_NUM_CLASSES"):
        conftest.scope()
    monkeypatch.setenv("CNNLAB_NUM_CLASSES", "10")
    monkeypatch.setenv("CNNLAB_FRAMEWORKS", "torch,jax")
    with pytest.raises(pytest.UsageError, match="CNNLAB_FRAMEWORKS: unknown \\['jax'\\]; valid: torch, keras"):
        conftest.scope()


def test_a_torch_only_scope_grades_the_solution_at_full_marks_on_what_ran(tmp_path, monkeypatch):
    """What ``cnnlab demo`` does on a torch-only install: the Keras half is not run, and the
    correct submission earns every point of what was (the points of the torch tests)."""
    (tmp_path / "subs").mkdir()
    shutil.copytree(EXAMPLES / "correct", tmp_path / "subs" / "correct")
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "lenet5")
    monkeypatch.setenv("CNNLAB_NUM_CLASSES", "10")
    monkeypatch.setenv("CNNLAB_FRAMEWORKS", "torch")
    (record,) = grade("architectures", tmp_path / "subs", tmp_path / "out", jobs=1).records
    names = {t["test"] for t in record["tests"]}
    assert "test_architecture[lenet5-torch]" in names and not any("keras" in n for n in names)
    assert record["status"] == "graded" and record["score"] == record["max_score"] > 0


# ------------------------------------------------------------------------------ the class


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The example class graded once (shared by pytest-xdist workers) with the bundled roster."""

    def run(folder):
        summary = grade_examples(folder / "out", archs=SCOPE["CNNLAB_ARCHITECTURES"], jobs=2)
        return {"records": summary.records, "teams": summary.teams, "missing": summary.missing,
                "reports": sorted(summary.reports), "demo": render_demo(summary),
                "out": str(folder / "out")}

    return computed_once(tmp_path_factory, "architectures-class", run)


def _tests(data, student):
    record = next(r for r in data["records"] if r["student"] == student)
    return {t["test"]: t for t in record["tests"]}, record


def test_correct_submission_earns_everything(graded_class):
    tests, record = _tests(graded_class, "correct")
    assert [tests[name]["points"] for name in CI_TESTS] == [PER_ARCH] * 6
    assert record["score"] == record["max_score"] == 60  # 3 architectures x 2 frameworks x 10
    board = {e["name"]: e for e in record["leaderboard"]}
    assert set(board) == {"digits accuracy", "images/s"} and board["images/s"]["value"] > 0
    assert board["digits accuracy"]["value"] > 0.9  # LeNet-5 on digits: well above 90 % in the literature


@pytest.mark.parametrize("student, expected, messages", [
    # conv1 without padding: (224 - 11) // 4 + 1 = 54, not (224 + 4 - 11) // 4 + 1 = 55
    ("alexnet_no_padding", {"test_architecture[alexnet-torch]": PER_ARCH * (SHARE["params"] + SHARE["output"])},
     ["our layer 'features.0' gives (96, 55, 55); your '0' gives (96, 54, 54)",
      "your '0' (our 'features.0') pads 0 on every side with stride 4; the reference's pads 2 on every "
      "side with stride 4"]),
    # fc6 reads 9,216 values; a 6,400-input layer has (9,216 - 6,400) x 4,096 weights too few
    ("wrong_fc6_input", {"test_architecture[alexnet-torch]": 0},
     ["kernel 4096x9216", "kernel 4096x6400", f"{58_322_314 - 2816 * 4096:,} parameters",
      "the forward pass raised RuntimeError"]),
    # no projection: 3 x (1x1 conv + BatchNorm) fewer; resnet18 is a hidden test, whose feedback
    # names only the failed parts (issue 19: no text a student's model could steer)
    ("resnet_no_projection", {"test_architecture[resnet18-torch]": PER_ARCH * SHARE["output"]},
     ["3 of 4 parts failed\n- params: wrong result\n- layers: wrong result\n- function: wrong result"]),
    # H, W, C flatten in torch: everything right but the function, which breaks at fc6 (issue 14:
    # not an equivalent layout in torch, and the feedback names the flatten order)
    ("keras_flatten_order", {"test_architecture[lenet5-torch]": PER_ARCH * (1 - SHARE["function"]),
                             "test_architecture[alexnet-torch]": PER_ARCH * (1 - SHARE["function"])},
     ["your '7' (our 'classifier.0') reads the maps flattened in H, W, C order (Keras' order)",
      "your '15' (our 'classifier.1') reads the maps flattened in H, W, C order (Keras' order)"]),
    # the lecture's LeNet-5 (ReLU, max pooling) against the default layout (tanh, average pooling):
    # the same layers and count, another function, named by operation (issue 14)
    ("lenet_relu_max", {"test_architecture[lenet5-torch]": PER_ARCH * (1 - SHARE["function"]),
                        "test_architecture[lenet5-keras]": PER_ARCH * (1 - SHARE["function"])},
     ["after our 'features.0' (your 'conv1') the reference applies tanh then 2x2 average pooling; "
      "yours applies ReLU then 2x2 max pooling",
      "after our 'features.0' (your 'conv2d') the reference applies tanh then 2x2 average pooling; "
      "yours applies ReLU then 2x2 max pooling"]),
    ("bn_epsilon", {"test_architecture[resnet18-keras]": PER_ARCH * (1 - SHARE["function"])},
     ["1 of 4 parts failed\n- function: wrong result"]),
])
def test_common_mistakes_lose_exactly_what_they_break(graded_class, student, expected, messages):
    tests, record = _tests(graded_class, student)
    for name in CI_TESTS:  # what the example does not implement raises NotImplementedError
        assert tests[name]["points"] == pytest.approx(expected.get(name, 0)), name
        if name not in expected:
            # a hidden test's failed check says "wrong result" (issue 19)
            said = "raised NotImplementedError" if tests[name]["visibility"] == "visible" else "wrong result"
            assert said in tests[name]["message"]
    text = "\n".join(tests[name]["message"] for name in expected)
    for message in messages:
        assert message in text
    assert record["leaderboard"] == []  # no verified LeNet-5 (torch), no leaderboard entry


@pytest.mark.parametrize("student, earned", [
    # a Keras model that permutes to channels first before Flatten: an equivalent layout (issue 14)
    ("keras_channels_first_flatten", ("test_architecture[lenet5-keras]", "test_architecture[alexnet-keras]")),
    # a torch module with named layers and functional calls, a subclassed keras.Model
    ("lenet_subclassed", ("test_architecture[lenet5-torch]", "test_architecture[lenet5-keras]")),
])
def test_equivalent_layouts_and_styles_earn_everything(graded_class, student, earned):
    tests, record = _tests(graded_class, student)
    for name in CI_TESTS:
        assert tests[name]["points"] == (PER_ARCH if name in earned else 0), (name, tests[name]["message"])
    assert record["score"] == PER_ARCH * len(earned)
    if student == "keras_channels_first_flatten":  # the student is told, though the test passed
        assert ("lenet5 (keras): your keras model flattens C, H, W (channels first)"
                in tests["test_architecture[lenet5-keras]"]["message"])


def test_hard_coded_counts_earn_nothing_for_the_count(graded_class):
    tests, record = _tests(graded_class, "fake_counts")
    for name in CI_TESTS:  # only the output of its little dense layer has the right shape
        assert tests[name]["points"] == pytest.approx(PER_ARCH * SHARE["output"]), name
    lenet = tests["test_architecture[lenet5-torch]"]["message"]
    assert "61,706 parameters, 61,706 trainable (expected 61,706 and 61,706)" in lenet  # the claim
    assert "params: our layer 'features.0'" in lenet and "has no counterpart" in lenet


def test_an_output_made_from_the_input_shape_earns_nothing(graded_class):
    tests, record = _tests(graded_class, "fake_output")
    assert record["score"] == 0
    for name in CI_TESTS:  # a hidden test says only which parts failed (issue 19)
        said = ("not what a layer of your model computed" if tests[name]["visibility"] == "visible"
                else "wrong result")
        assert said in tests[name]["message"]


def test_a_forbidden_model_zoo_earns_nothing_and_is_reported(graded_class):
    tests, record = _tests(graded_class, "model_zoo")
    assert record["score"] == 0
    assert "ready-made model is not allowed" in tests["test_architecture[alexnet-torch]"]["message"]
    assert tests["test_architecture[resnet18-torch]"]["message"] == "wrong result"  # hidden
    zoo = tests["test_model_zoo"]["message"]
    assert "uses torchvision.models" in zoo and "uses keras.applications" in zoo and "not allowed" in zoo


def test_teams_and_leaderboard_of_the_class(graded_class):
    teams = {t["team"]: t for t in graded_class["teams"]}
    first = teams["convolutionists"]
    assert (first["submitted_by"], first["score"], first["status"]) == ("correct", 60, "graded")
    # the roster's order; Margaret Hamilton's LeNet-5 scores less than Ada Lovelace's whole submission
    assert [m["name"] for m in first["members"]] == ["Ada Lovelace", "Grace Hopper", "Margaret Hamilton"]
    assert first["also"] == ["lenet_subclassed"]
    fakers = teams["fakers"]  # two members submitted: the better one counts, the other is named
    assert (fakers["submitted_by"], fakers["also"]) == ("fake_counts", ["fake_output"])
    assert teams["latecomers"]["status"] == "missing"
    assert graded_class["missing"] == ["linus"]  # grace and kurt are not: their teams handed in
    # a missing student is out of what the class was graded on (60 at this scale), not the
    # assignment's 100
    linus = next(r for r in graded_class["records"] if r["student"] == "linus")
    assert (linus["score"], linus["max_score"]) == (0, 60)
    assert teams["latecomers"]["max_score"] == 60
    out = Path(graded_class["out"])
    rows = (out / "teams.csv").read_text().splitlines()
    assert rows[0] == "team,student,name,score,max_score,status,submitted_by"
    assert "convolutionists,grace,Grace Hopper,60,60,graded,correct" in rows
    board = (out / "leaderboard.csv").read_text().splitlines()
    assert board[0] == "rank,team,digits accuracy,images/s" and board[1].startswith("1,convolutionists,")
    assert "teams.csv" in graded_class["reports"] and "leaderboard.txt" in graded_class["reports"]
    assert "Ada Lovelace, Grace Hopper" in graded_class["demo"] and "also submitted: fake_output" in graded_class["demo"]
    gradescope = (out / "gradescope" / "correct" / "results.json").read_text()
    assert '"leaderboard"' in gradescope and '"digits accuracy"' in gradescope


ZOO = """import torchvision


def build(arch, framework, num_classes=1000):
    if framework != "torch":
        raise NotImplementedError(framework)
    return getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
"""


def test_the_switch_allows_a_model_zoo(tmp_path, monkeypatch):
    """With forbid_model_zoo = false, torchvision's ResNet-18 (an independent implementation of
    the layout asked for) earns full marks; its AlexNet (64-192-384-256-256) is another network."""
    copy = tmp_path / "architectures"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("solution", "__pycache__"))
    toml = copy / "assignment.toml"
    toml.write_text(toml.read_text().replace("forbid_model_zoo = true", "forbid_model_zoo = false"))
    assert load_assignment(copy).options == {"forbid_model_zoo": False, "variants": {"lenet5": "default"}}
    (tmp_path / "subs" / "zoo").mkdir(parents=True)
    (tmp_path / "subs" / "zoo" / "architectures.py").write_text(ZOO)
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "alexnet,resnet18")
    monkeypatch.setenv("CNNLAB_NUM_CLASSES", "10")
    summary = grade(copy, tmp_path / "subs", tmp_path / "out", jobs=1)
    tests = {t["test"]: t for t in summary.records[0]["tests"]}
    assert tests["test_architecture[resnet18-torch]"]["points"] == PER_ARCH
    alexnet = tests["test_architecture[alexnet-torch]"]
    assert alexnet["points"] == pytest.approx(PER_ARCH * SHARE["output"])
    assert "conv (bias 96, kernel 96x3x11x11)" in alexnet["message"] and "kernel 64x3x11x11" in alexnet["message"]
    assert "architectures.py:7 uses torchvision.models (allowed here, reported only)" in tests["test_model_zoo"]["message"]


def test_a_course_that_teaches_relu_and_max_pooling_grades_that_lenet_as_correct(tmp_path, monkeypatch):
    """``[options] variants = { lenet5 = "relu_max" }``: the lecture's LeNet-5, which loses the
    function against the default layout, earns full marks (issue 14)."""
    copy = tmp_path / "architectures"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("solution", "__pycache__"))
    toml = copy / "assignment.toml"
    toml.write_text(toml.read_text().replace('variants = { lenet5 = "default" }', 'variants = { lenet5 = "relu_max" }'))
    assert load_assignment(copy).options["variants"] == {"lenet5": "relu_max"}
    shutil.copytree(EXAMPLES / "lenet_relu_max", tmp_path / "subs" / "lenet_relu_max")
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "lenet5")
    summary = grade(copy, tmp_path / "subs", tmp_path / "out", jobs=1)
    tests = {t["test"]: t for t in summary.records[0]["tests"]}
    for framework in architectures.FRAMEWORKS:
        assert tests[f"test_architecture[lenet5-{framework}]"]["points"] == PER_ARCH, tests
    # its trained LeNet-5 now fits the reference: the leaderboard has it
    assert {e["name"] for e in summary.records[0]["leaderboard"]} == {"digits accuracy", "images/s"}


def test_an_unknown_variant_is_a_usage_error_naming_the_choices(tmp_path):
    copy = tmp_path / "architectures"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("solution", "__pycache__"))
    toml = copy / "assignment.toml"
    toml.write_text(toml.read_text().replace('lenet5 = "default"', 'lenet5 = "relu_avg"'))
    with pytest.raises(pytest.UsageError, match="valid variants: default, relu_max"):
        load_module(copy / "tests" / "conftest.py", "architectures_conftest_bad_variant")


def test_the_readme_table_is_the_catalogs_for_the_chosen_variants():
    """README.md's table is ``readme_table`` of assignment.toml's variants: its parameter counts are
    the catalog's (paper arithmetic for LeNet-5, torchvision 0.29 for the others)."""
    conftest = load_module(ROOT / "tests" / "conftest.py", "architectures_conftest_table")
    table = conftest.readme_table(conftest.VARIANTS)
    assert table in (ROOT / "README.md").read_text(), f"README.md's table should be:\n{table}"
    relu_max = conftest.readme_table({"lenet5": "relu_max"}).splitlines()[2]
    assert "conv 6 5×5, ReLU, 2×2 max pool" in relu_max and relu_max.endswith("| 61,706 (10 classes) |")


# ------------------------------------------------------------------------------ the assignment


def _points(path, name):
    """Points of a test file: each test's points marker times its parametrized cases."""
    module = load_module(path, name)
    total = 0
    for function in vars(module).values():
        if callable(function) and getattr(function, "__name__", "").startswith("test_"):
            marks = getattr(function, "pytestmark", [])
            points = next(m.args[0] for m in marks if m.name == "points")
            cases = math.prod(len(m.args[1]) for m in marks if m.name == "parametrize")
            total += points * cases
    return total


def test_points_add_up_to_the_assignment_total():
    public = _points(ROOT / "tests" / "public" / "test_public.py", "architectures_public")
    hidden = _points(ROOT / "tests" / "hidden" / "test_hidden.py", "architectures_hidden")
    assert (public, hidden) == (40, 60)  # as README.md says
    assert public + hidden == load_assignment(ROOT).points == 100
    assert math.isclose(sum(SHARE.values()), 1.0)


def test_released_bundle_grades_the_starter(tmp_path, monkeypatch):
    files = {str(p) for p in release("architectures", tmp_path / "handout")}
    assert {"starter/architectures.py", "tests/conftest.py", "tests/public/test_public.py",
            "fixtures/public/digits.npz", "README.md", "assignment.toml"} <= files
    assert not any(f.startswith(("solution", "tests/hidden")) for f in files)
    monkeypatch.setenv("CNNLAB_ARCHITECTURES", "lenet5")
    summary = grade(tmp_path / "handout", tmp_path / "handout" / "starter", tmp_path / "out", public_only=True)
    record = summary.records[0]
    assert (record["score"], record["max_score"]) == (0, 20)  # lenet5 in both frameworks, 10 each
    graded = [t for t in record["tests"] if t["max_points"]]
    assert graded and all("raised NotImplementedError" in t["message"] for t in graded)
