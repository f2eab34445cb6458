"""gaplab: the course library for the gap between training and validation
loss. Each lesson adds the reference version of what its learners wrote."""

from gaplab.data import (
    Dataset,
    Split,
    load_diabetes,
    load_digits,
    load_moons,
    load_polynomial,
)
from gaplab.losses import cross_entropy, huber, mae, mse
from gaplab.models import mlp
from gaplab.plotting import plot_history
from gaplab.training import Callback, Evaluation, History, evaluate, fit
from gaplab.utils import get_device, seed_everything

__all__ = [
    "Callback",
    "Dataset",
    "Evaluation",
    "History",
    "Split",
    "cross_entropy",
    "evaluate",
    "fit",
    "get_device",
    "huber",
    "load_diabetes",
    "load_digits",
    "load_moons",
    "load_polynomial",
    "mae",
    "mlp",
    "mse",
    "plot_history",
    "seed_everything",
]
