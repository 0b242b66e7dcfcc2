"""PyTorch reference implementations, one module per family (same file names as ``keras_models``).

Module paths equal torchvision's ``state_dict`` keys where torchvision has the model, so a
torchvision checkpoint loads with ``load_state_dict`` and the Keras twin (whose weight-bearing
layers carry the same names) can be ported by name.
"""
