"""cnnlab.reference.cam._keras against reference.cam._torch on the same network ported to Keras."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cnnlab.reference.cam import _keras as keras_cam
from cnnlab.reference.cam import explain
from cnnlab.reference.porting import port_weights


@pytest.fixture(scope="module")
def twin(shapes_net):
    """The trained torch network's weights in the Keras build of the same network."""
    model = keras_cam.build_gap_net()
    report = port_weights(shapes_net, model)
    assert report.layers == ["features.0", "features.2", "features.5", "features.7", "fc"]
    return model


@pytest.fixture(scope="module")
def batch(held_out):
    """Eight held-out images: channels first for torch, channels last for Keras."""
    images = held_out.images[:8]
    return images, images.transpose(0, 2, 3, 1)


def test_ported_network_computes_the_same_logits(shapes_net, twin, batch):
    torch = pytest.importorskip("torch")

    nchw, nhwc = batch
    with torch.no_grad():
        expected = shapes_net(torch.from_numpy(nchw)).numpy()
    np.testing.assert_allclose(np.asarray(twin(nhwc)), expected, atol=1e-4)


@pytest.mark.parametrize("method,layer", [("cam", None), ("gradcam", None), ("gradcam", "features.5")])
def test_heat_maps_match_torch(shapes_net, twin, batch, method, layer):
    nchw, nhwc = batch
    # torch's default layer is the Sequential "features"; its Keras twin is the last ReLU
    keras_layer = layer or "features.8"
    expected = explain(shapes_net, nchw, method=method, layer=layer, class_index=[0, 1, 2, 3] * 2)
    got = explain(twin, nhwc, method=method, layer=keras_layer, class_index=[0, 1, 2, 3] * 2)
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize("method", ["guided", "guided_gradcam"])
def test_guided_methods_match_torch(shapes_net, twin, batch, method):
    nchw, nhwc = batch
    expected = explain(shapes_net, nchw, method=method).transpose(0, 2, 3, 1)
    got = explain(twin, nhwc, method=method)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got / scale, expected / scale, atol=1e-4)


def test_default_layer_is_the_last_feature_map(twin, batch):
    _, nhwc = batch
    layers = keras_cam.feature_layers(twin, nhwc)
    assert layers[0] == "features.0.pad" and layers[-1] == "features.8"
    assert "pool" not in layers and "input" not in layers
    np.testing.assert_array_equal(keras_cam.grad_cam(twin, nhwc),
                                  keras_cam.grad_cam(twin, nhwc, layer="features.8"))


def test_scores_are_taken_before_a_softmax(twin, batch):
    # a softmax head must not change the maps: Grad-CAM explains the class score (logit)
    _, nhwc = batch
    probabilities = keras.Model(twin.inputs, keras.layers.Softmax(name="softmax")(twin.output))
    for method in ("gradcam", "cam"):
        np.testing.assert_allclose(explain(probabilities, nhwc, method=method),
                                   explain(twin, nhwc, method=method), atol=1e-6)
    dense_softmax = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, name="conv"),
                                      keras.layers.GlobalAveragePooling2D(),
                                      keras.layers.Dense(4, activation="softmax", name="fc")])
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(keras_cam.grad_cam(dense_softmax, x, class_index=1),
                               keras_cam.cam(dense_softmax, x, class_index=1), atol=1e-5)


def test_relu_activations_inside_layers_are_guided_too(twin, batch):
    # the same network with activation="relu" inside each Conv2D instead of ReLU layers
    _, nhwc = batch
    inputs = keras.Input((None, None, 1))
    x = inputs
    for name in ("features.0", "features.2", "pool4", "features.5", "features.7"):
        if name == "pool4":
            x = keras.layers.MaxPooling2D(2)(x)
            continue
        source = twin.get_layer(name)
        x = twin.get_layer(f"{name}.pad")(x)
        x = keras.layers.Conv2D(source.filters, 3, dilation_rate=source.dilation_rate,
                                activation="relu", name=name)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    fused = keras.Model(inputs, keras.layers.Dense(4, name="fc")(x))
    for name in ("features.0", "features.2", "features.5", "features.7", "fc"):
        fused.get_layer(name).set_weights(twin.get_layer(name).get_weights())
    np.testing.assert_allclose(keras_cam.guided_backprop(fused, nhwc),
                               keras_cam.guided_backprop(twin, nhwc), atol=1e-6)
    # afterwards the ReLUs are ordinary again: the plain input gradient is not the guided one
    tf = pytest.importorskip("tensorflow")

    x = tf.convert_to_tensor(nhwc)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = tf.reduce_sum(fused(x)[:, 0])
    assert not np.allclose(tape.gradient(score, x).numpy(),
                           keras_cam.guided_backprop(fused, nhwc, class_index=0), atol=1e-6)
    assert fused.get_layer("features.0").activation is keras.activations.relu
    assert "call" not in vars(twin.get_layer("features.1"))


def test_errors_name_the_valid_layers(twin, batch):
    _, nhwc = batch
    with pytest.raises(ValueError, match=r"layer 'conv9' is unknown; valid layers: features.0.pad, features.0, "):
        keras_cam.grad_cam(twin, nhwc, layer="conv9")
    with pytest.raises(ValueError, match="layer 'pool' is not a spatial feature map"):
        keras_cam.grad_cam(twin, nhwc, layer="pool")
    with pytest.raises(ValueError, match="something else sits between them"):
        keras_cam.cam(twin, nhwc, layer="features.7")
    with pytest.raises(ValueError, match=r"images must be a \(N, H, W, C\) batch"):
        keras_cam.cam(twin, nhwc[0])
    with pytest.raises(ValueError, match="unknown method 'lime'; valid methods: cam, gradcam, guided, guided_gradcam"):
        explain(twin, nhwc, method="lime")
    with pytest.raises(ValueError, match="method 'guided' explains the input, it takes no layer"):
        explain(twin, nhwc, method="guided", layer="features.8")
