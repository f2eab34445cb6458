"""RunConfig and run_experiment: one-line, reproducible training runs."""

import pytest

from gaplab.data import load_digits
from gaplab.experiments import RunConfig, build_model, run_experiment

SMALL = RunConfig(n_train=64, hidden=(16,), epochs=2)


def test_a_run_is_reproducible_from_its_seed():
    _, first = run_experiment(SMALL, seed=1)
    _, again = run_experiment(SMALL, seed=1)
    _, other = run_experiment(SMALL, seed=2)
    assert first.val_loss == again.val_loss != other.val_loss
    assert len(first) == SMALL.epochs


def test_the_model_is_shaped_for_the_data():
    model = build_model(RunConfig(hidden=(8, 8)), load_digits(n_train=10))
    assert model[0].in_features == 64 and model[-1].out_features == 10


def test_data_can_be_replaced():
    data = load_digits(n_train=32, label_noise=0.4)
    _, history = run_experiment(SMALL, data=data)
    assert len(history) == SMALL.epochs


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"dataset": "mnist"}, "dataset must be"),
        ({"lr": 0.0}, "lr must be positive"),
    ],
)
def test_bad_configs_are_explained(changes, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(**changes)
