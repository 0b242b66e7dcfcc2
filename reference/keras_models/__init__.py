"""Keras 3 reference implementations, one module per family (same file names as ``torch_models``).

Every layer that carries weights is named with the dotted path of its PyTorch twin
(``"features.0"``, ``"layer1.0.conv1"``), which is what ``cnnlab.reference.porting`` maps by.
"""
