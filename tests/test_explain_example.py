"""The documented ``cnnlab explain`` example runs from an empty folder with nothing but cnnlab,
and what it writes is a figure (title, colour bar) with maps at the picture's size."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from matplotlib.image import imread
from PIL import Image

from cnnlab import reference
from cnnlab.bench.cli import main
from cnnlab.reports.overlay import explanation_figure

DOCS = Path(__file__).resolve().parents[1] / "docs" / "ops-cam.md"


def _documented_commands() -> list[tuple[list[str], bool]]:
    """The ``$ cnnlab explain ...`` lines of the docs' explain section, in order, each with
    whether the docs show it failing (its next line is ``cnnlab explain: error: ...``)."""
    section = DOCS.read_text().split("## `cnnlab explain`", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines() + [""]
    return [(shlex.split(line[2:])[1:], lines[i + 1].startswith("cnnlab explain: error:"))
            for i, line in enumerate(lines) if line.startswith("$ cnnlab explain")]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """An empty folder in which the documented commands ran, and what each printed."""
    folder = tmp_path_factory.mktemp("empty")
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for argv, fails in _documented_commands():
            outputs.append((argv, fails, main(argv)))
    return folder, outputs


def test_the_documented_commands_run_from_an_empty_folder(example):
    folder, outputs = example
    argvs = [argv for argv, _, _ in outputs]
    assert argvs[0][:2] == ["explain", "--make-example"], "the docs start by making the files"
    assert {"gradcam", "guided"} <= {a[a.index("--method") + 1] for a in argvs if "--method" in a}
    for argv, fails, code in outputs:  # the docs show some errors on purpose
        assert code == (2 if fails else 0), argv
    assert (folder / "lenet_digits.pt").is_file() and (folder / "digit.png").is_file()
    assert Image.open(folder / "digit.png").size == (32, 32)
    for name in ("digit_gradcam.png", "digit_gradcam.npy", "digit_guided.png", "digit_guided.npy"):
        assert (folder / "out" / "explain" / name).is_file(), name


def test_the_example_network_has_learnt_the_digits(example):
    folder, _ = example
    model = reference.build("lenet5", "torch")
    model.load_state_dict(torch.load(folder / "lenet_digits.pt", weights_only=True))
    x = np.asarray(Image.open(folder / "digit.png"), dtype=np.float32)[None, None] / 255.0
    with torch.no_grad():
        assert int(model.eval()(torch.from_numpy(x)).argmax()) == 2


def test_the_maps_have_the_pictures_size_and_the_figure_is_larger(example):
    folder, _ = example
    out = folder / "out" / "explain"
    assert np.load(out / "digit_gradcam.npy").shape == (32, 32)
    assert np.load(out / "digit_guided.npy").shape == (32, 32, 1)
    for name in ("digit_gradcam.png", "digit_guided.png"):
        height, width = imread(out / name).shape[:2]
        assert width > 2 * 32 * 4 and height > 32 * 4, name  # two panels, each >= 4x the picture


def test_a_picture_larger_than_the_input_gets_maps_at_its_own_size(tmp_path, capsys):
    """course_cifar sees 32x32 RGB; a 120x90 picture gets a 90x120 guided map, not 32x32."""
    torch.manual_seed(0)
    torch.save(reference.build("course_cifar", "torch").state_dict(), tmp_path / "w.pt")
    rows, cols = np.mgrid[0:90, 0:120]
    picture = np.stack([cols * 2, rows * 2, ((rows + cols) % 40 < 20) * 200], -1)
    Image.fromarray(picture.astype(np.uint8)).save(tmp_path / "wide.png")
    for method, shape in (("guided", (90, 120, 3)), ("guided_gradcam", (90, 120, 3)),
                          ("gradcam", (90, 120))):
        code = main(["explain", "course_cifar", "--weights", str(tmp_path / "w.pt"), "--image",
                     str(tmp_path / "wide.png"), "--method", method, "--out", str(tmp_path / "o")])
        assert code == 0, capsys.readouterr().err
        assert np.load(tmp_path / "o" / f"wide_{method}.npy").shape == shape
        assert imread(tmp_path / "o" / f"wide_{method}.png").shape[1] >= 2 * 120


def test_an_overlay_has_a_title_and_a_colour_bar():
    image = np.linspace(0, 1, 48 * 64).reshape(48, 64)
    heat = np.outer(np.hanning(48), np.hanning(64))
    figure = explanation_figure(image, heat, kind="heatmap", title="Grad-CAM of class 2")
    picture, overlay_axes, bar = figure.axes
    assert figure._suptitle.get_text() == "Grad-CAM of class 2"
    assert bar.get_ylabel() == "importance (0 to 1)" and bar.get_ylim() == (0.0, 1.0)
    gradient = explanation_figure(image, heat - 0.5, kind="gradient", title="guided")
    assert len(gradient.axes) == 3 and "gradient" in gradient.axes[2].get_ylabel()
    with pytest.raises(ValueError, match=r"explanation is \(8, 8\) but the image is \(48, 64\)"):
        explanation_figure(image, heat[:8, :8], kind="heatmap", title="t")


def test_make_example_refuses_the_explain_arguments(tmp_path, capsys):
    code = main(["explain", "--make-example", str(tmp_path), "--out", str(tmp_path)])
    assert code == 2 and "it takes no --out" in capsys.readouterr().err
    code = main(["explain", "lenet5", "--image", "x.png", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and re.search(r"--weights is needed \(or --make-example DIR", err)


def test_the_keras_example_loads_through_the_one_keras_reader(tmp_path):
    pytest.importorskip("keras")
    from cnnlab.reference.cam.example import make_example
    from cnnlab.reference.weights import load_keras_weights

    made = make_example(tmp_path, framework="keras", epochs=2)
    assert made.weights == tmp_path / "lenet_digits.weights.h5" and made.image.is_file()
    assert made.accuracy > 0.5  # ten classes: chance is 0.1
    load_keras_weights(reference.build("lenet5", "keras"), made.weights)
