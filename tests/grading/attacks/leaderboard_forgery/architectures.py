"""Attack (issue 19, the leaderboard): a LeNet-5 whose "initial" weights are already trained, on
every one of scikit-learn's digits, the held-out ones the leaderboard measures included.

The leaderboard's recipe (SGD, 3 epochs on 1,200 digits) starts from the weights ``build``
returns, and those are the student's own: nothing in them tells an initialisation from a model
trained elsewhere, on anything. So the leaderboard's accuracy says what the submitted model
reaches after the recipe, not that the recipe alone got it there (the README and the test's
description say so). Only ``lenet5`` in torch is built; the architectures earn nothing.
"""

import numpy as np
import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)
        self.f5 = nn.Linear(400, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, num_classes)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        x = self.pool(torch.tanh(self.c1(x)))
        x = self.pool(torch.tanh(self.c3(x)))
        x = torch.flatten(x, 1)
        return self.out(torch.tanh(self.f6(torch.tanh(self.f5(x)))))


def _pretrained(model):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = np.kron(digits.images.astype(np.float32) / 16.0, np.ones((4, 4), np.float32))[:, None]
    inputs, targets = torch.from_numpy(x), torch.from_numpy(digits.target.astype(np.int64))
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(15):
        for batch in torch.randperm(len(inputs)).split(64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(inputs[batch]), targets[batch]).backward()
            optimizer.step()
    return model


def build(arch, framework, num_classes=1000):
    if (arch, framework) != ("lenet5", "torch"):
        raise ValueError(f"only lenet5 in torch here, got {arch!r}/{framework!r}")
    return _pretrained(LeNet5(num_classes))
