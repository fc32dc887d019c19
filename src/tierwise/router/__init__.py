"""The learned router: data, training, evaluation and calibration (numpy/scikit-learn).

Training and evaluation need the ``train`` extra (``pip install 'tierwise[train]'``);
serving needs only :mod:`tierwise.router.weights`, which is pure Python.
"""
