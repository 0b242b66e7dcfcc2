"""Write reference/fixtures/imagenet/classes.json: the 1,000 ImageNet-1k class names in index order.

Source: torchvision's weight metadata, ``ResNet50_Weights.IMAGENET1K_V1.meta["categories"]``
(installed with torchvision, no download). keras.applications downloads its class index at run
time, which cnnlab cannot do offline. Run from the repository root:

    .venv/bin/python scripts/make_imagenet_classes.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "reference" / "fixtures" / "imagenet" / "classes.json"


def main() -> None:
    import torchvision

    weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
    names = list(weights.meta["categories"])
    if len(names) != 1000 or len(set(names)) < 990:
        raise SystemExit(f"unexpected class list: {len(names)} names")
    record = {
        "source": f"torchvision {torchvision.__version__}, "
                  "ResNet50_Weights.IMAGENET1K_V1.meta['categories']",
        "classes": names,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(record, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {OUT}")


if __name__ == "__main__":
    main()
