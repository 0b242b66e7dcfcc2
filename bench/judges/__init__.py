"""What an assignment's tests judge with, apart from the grading engine.

The engine (:mod:`cnnlab.bench.grading`) runs any assignment and imports none of its judges (it
only copies the files of :mod:`.helpers` an assignment asks for into the sandbox); an
assignment's tests import them:

- :mod:`.architectures` judges a student's CNN on the evidence its exported weights give (the
  ``architectures`` assignment);
- :mod:`.cases` reads the fixed cases an assignment's tests compare against
  (``fixtures/<kind>/cases.npz``);
- :mod:`.helpers` holds the worker-side modules an assignment lists in ``[sandbox] helpers``:
  they are copied next to the submission and run inside the sandbox, with the student's code.
"""
