"""Load torch's compiler stack before TensorFlow.

torch's optimisers import ``torch._dynamo``, which loads triton's LLVM; TensorFlow carries its own
LLVM, and whichever comes second aborts the process ("inconsistency in registered CommandLine
options") if it is triton. Loading triton first is safe; if TensorFlow is already in, torch is
told triton is absent (it is not needed on CPU).
"""

import sys

if "tensorflow" in sys.modules:
    sys.modules.setdefault("triton", None)
else:
    import torch._dynamo  # noqa: F401
