"""``cnnlab explain``: the PNG it writes, and its errors (exit code 2, one clear line)."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from matplotlib.image import imread
from PIL import Image

from cnnlab import reference
from cnnlab.bench.cli import main
from cnnlab.reference.cam import _torch as torch_cam
from cnnlab.reference.data import make_shapes

# Keras 3.15's save_weights converts its variables in a way numpy 2 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """LeNet-5 weights (torch and Keras, the same numbers) and a 32x32 shapes image."""
    pytest.importorskip("keras")
    from cnnlab.reference.porting import port_weights

    folder = tmp_path_factory.mktemp("explain")
    torch.manual_seed(0)
    model = reference.build("lenet5", "torch").eval()
    torch.save(model.state_dict(), folder / "lenet.pt")
    twin = reference.build("lenet5", "keras")
    port_weights(model, twin)
    twin.save_weights(str(folder / "lenet.weights.h5"))
    image = (make_shapes(1, seed=3).images[0, :, :, 0] * 255).astype(np.uint8)
    Image.fromarray(image).save(folder / "shape.png")
    (folder / "notes.png").write_text("not an image")
    return folder, model


def _run(capsys, *argv):
    code = main(["explain", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_gradcam_overlay_is_what_the_library_computes(files, capsys, tmp_path):
    folder, model = files
    code, out, err = _run(capsys, "lenet5", "--weights", folder / "lenet.pt", "--image",
                          folder / "shape.png", "--method", "gradcam", "--out", tmp_path)
    assert code == 0, err
    written = tmp_path / "shape_gradcam.png"
    assert f"{written}: class " in out and "layer features" in out
    image = np.asarray(Image.open(folder / "shape.png"), dtype=np.float32) / 255.0
    x = image[None, None]
    predicted = int(model(torch.from_numpy(x)).argmax())
    heat = torch_cam.grad_cam(model, x, class_index=predicted)[0]
    np.testing.assert_allclose(np.load(tmp_path / "shape_gradcam.npy"), heat, atol=1e-5)
    # the figure: the picture and the overlay side by side, each at least the picture's size
    assert imread(written).shape[1] > 2 * image.shape[1]


@pytest.mark.parametrize("framework_file", ["lenet.pt", "lenet.weights.h5"])
def test_guided_gradient_in_both_frameworks(files, capsys, tmp_path, framework_file):
    folder, model = files
    code, _, err = _run(capsys, "lenet5", "--weights", folder / framework_file, "--image",
                        folder / "shape.png", "--method", "guided", "--class-index", "3",
                        "--out", tmp_path)
    assert code == 0, err
    x = (np.asarray(Image.open(folder / "shape.png"), dtype=np.float32) / 255.0)[None, None]
    expected = torch_cam.guided_backprop(model, x, class_index=3)[0].transpose(1, 2, 0)
    np.testing.assert_allclose(np.load(tmp_path / "shape_guided.npy"), expected,
                               atol=1e-3 * np.abs(expected).max())
    assert (tmp_path / "shape_guided.png").is_file()


@pytest.mark.parametrize("argv,message", [
    (["--weights", "{f}/missing.pt"], "weights file '.*missing.pt' does not exist"),
    (["--image", "{f}/missing.png"], "image '.*missing.png' does not exist"),
    (["--image", "{f}/notes.png"], "cannot read image '.*notes.png'"),
    (["--layer", "conv9"], "unknown layer 'conv9'; valid layers: features.0, features.1, "),
    (["--method", "cam"], "CAM needs the classifier 'classifier.4' to read the global average"),
    (["--class-index", "10"], "--class-index 10 is out of range: lenet5 has 10 classes"),
    (["--framework", "keras"], "--framework keras does not match the weights file 'lenet.pt'"),
    (["--num-classes", "5"], "does not fit this model: wrong shape 2"),
    (["--mean", "0.1", "0.2"], r"--mean takes 1 value for this architecture \(1 input channel\), got 2"),
    (["--method", "guided", "--layer", "features.0"], "--layer does not apply to --method guided"),
])
def test_errors_are_one_line_and_exit_2(files, capsys, tmp_path, argv, message):
    folder, _ = files
    defaults = {"--weights": str(folder / "lenet.pt"), "--image": str(folder / "shape.png")}
    argv = [a.format(f=folder) for a in argv]
    for flag, value in defaults.items():
        if flag not in argv:
            argv += [flag, value]
    code, _, err = _run(capsys, "lenet5", *argv, "--out", tmp_path)
    assert code == 2
    assert err.startswith("cnnlab explain: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert not list(tmp_path.iterdir())


def test_unknown_architecture_and_method(files, capsys, tmp_path):
    folder, _ = files
    code, _, err = _run(capsys, "lenet6", "--weights", folder / "lenet.pt", "--image",
                        folder / "shape.png", "--out", tmp_path)
    assert code == 2 and "unknown architecture 'lenet6'; valid architectures: lenet5" in err
    with pytest.raises(SystemExit) as stop:
        main(["explain", "lenet5", "--weights", "w.pt", "--image", "i.png", "--method", "lime",
              "--out", str(tmp_path)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'lime'" in err and "'guided_gradcam'" in err
