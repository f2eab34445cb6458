"""Unit tests of gaplab.overfitting: the overfitting and underfitting
criteria, shuffled labels, memorisation probes, figures and the reference
"overfit one batch" sanity check."""

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from gaplab.checks.overfitting import check_can_overfit_one_batch
from gaplab.data import Dataset, Split, load_digits, load_moons
from gaplab.models import mlp
from gaplab.overfitting import (
    MemorisationTracker,
    can_overfit_one_batch,
    count_parameters,
    memorised_flips,
    plot_decision_boundary,
    plot_digits,
    predict_classes,
    with_shuffled_labels,
)
from gaplab.training import History
from gaplab.utils import seed_everything


def test_count_parameters_counts_weights_and_biases_that_train():
    model = mlp(64, 10, hidden=(16,))
    assert count_parameters(model) == (64 + 1) * 16 + (16 + 1) * 10
    model[0].weight.requires_grad_(False)
    assert count_parameters(model) == 16 + (16 + 1) * 10


# -------------------------------------------------------- shuffled labels


def test_shuffled_labels_are_a_seeded_permutation_of_the_training_labels():
    clean = load_digits(n_train=200)
    shuffled = with_shuffled_labels(clean, seed=0)
    assert torch.equal(shuffled.train.X, clean.train.X)
    assert torch.equal(
        shuffled.train.y.sort().values, clean.train.y.sort().values
    )
    assert (shuffled.train.y == clean.train.y).float().mean() < 0.3
    assert torch.equal(shuffled.val.y, clean.val.y)
    assert torch.equal(shuffled.test.y, clean.test.y)
    again = with_shuffled_labels(clean, seed=0)
    assert torch.equal(again.train.y, shuffled.train.y)
    other = with_shuffled_labels(clean, seed=1)
    assert not torch.equal(other.train.y, shuffled.train.y)
    assert torch.equal(clean.train.y, load_digits(n_train=200).train.y)


def test_shuffled_labels_mark_the_changed_labels_as_flipped():
    noisy = load_digits(n_train=200, label_noise=0.2)
    shuffled = with_shuffled_labels(noisy, seed=3)
    assert torch.equal(shuffled.clean_train_y, noisy.clean_train_y)
    assert torch.equal(
        shuffled.flipped, shuffled.train.y != noisy.clean_train_y
    )


def test_shuffled_labels_reject_regression_and_bad_seeds():
    from gaplab.data import load_polynomial

    with pytest.raises(ValueError, match="classification"):
        with_shuffled_labels(load_polynomial(), seed=0)
    with pytest.raises(TypeError, match="seed must be an int"):
        with_shuffled_labels(load_digits(n_train=20), seed="0")


# ---------------------------------------------------------- memorisation


def lookup_dataset() -> tuple[Dataset, nn.Module]:
    """Six one-hot training inputs, three of them with flipped labels, and
    a linear model whose predictions are chosen by hand:

    sample       0  1  2  3  4  5
    true label   0  1  2  0  1  2
    given label  0  1  2  1  2  0   (3, 4 and 5 flipped)
    predicted    0  2  2  1  1  0   (3 and 5 memorised, 4 corrected)
    """
    X = torch.eye(6)
    true = torch.tensor([0, 1, 2, 0, 1, 2])
    given = torch.tensor([0, 1, 2, 1, 2, 0])
    predicted = torch.tensor([0, 2, 2, 1, 1, 0])
    model = nn.Linear(6, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(10 * nn.functional.one_hot(predicted, 3).T)
    split = Split(X, given)
    data = Dataset(
        name="lookup",
        task="classification",
        train=split,
        val=split,
        test=split,
        n_classes=3,
        flipped=given != true,
        clean_train_y=true,
    )
    return data, model


def test_predict_classes_uses_eval_mode_and_restores_the_mode():
    data, model = lookup_dataset()
    net = nn.Sequential(model, nn.Dropout(0.9))
    net.train()
    predictions = predict_classes(net, data.train.X)
    assert predictions.tolist() == [0, 2, 2, 1, 1, 0]
    assert net.training


def test_memorised_flips_lists_flipped_samples_predicted_as_labelled():
    data, model = lookup_dataset()
    assert memorised_flips(model, data).tolist() == [3, 5]


def test_memorised_flips_needs_label_noise():
    with pytest.raises(ValueError, match="label_noise"):
        memorised_flips(mlp(64, 10), load_digits(n_train=50))


def test_memorisation_tracker_records_clean_and_flipped_fit_per_epoch():
    data, model = lookup_dataset()
    tracker = MemorisationTracker(data)
    tracker.on_train_begin(model)
    assert tracker.on_epoch_end(History(), model) is False
    assert tracker.clean_fit == [pytest.approx(2 / 3)]
    assert tracker.flipped_fit == [pytest.approx(2 / 3)]
    tracker.on_train_begin(model)
    assert tracker.clean_fit == [] and tracker.flipped_fit == []


# ---------------------------------------------------------------- figures


def test_plot_digits_draws_one_captioned_image_per_sample():
    images = load_digits(n_train=8).train.X
    fig = plot_digits(images, [f"#{i}" for i in range(8)], columns=4)
    titled = [ax.get_title() for ax in fig.axes if ax.images]
    assert titled == [f"#{i}" for i in range(8)]
    plt.close(fig)
    with pytest.raises(ValueError, match="one caption per image"):
        plot_digits(images, ["only one"])
    with pytest.raises(ValueError, match="no images"):
        plot_digits(images[:0], [])


def test_plot_decision_boundary_draws_on_the_given_axes():
    moons = load_moons(n_train=20)
    seed_everything(0)
    model = mlp(2, 2, hidden=(8,))
    fig, ax = plt.subplots()
    assert plot_decision_boundary(model, moons.train, ax=ax, title="t") is ax
    assert ax.get_title() == "t"
    assert ax.collections, "nothing was drawn"
    assert model.training, "the model must go back to train mode"
    plt.close(fig)


def test_plot_decision_boundary_needs_two_dimensional_inputs():
    digits = load_digits(n_train=10)
    with pytest.raises(ValueError, match="2-D inputs"):
        plot_decision_boundary(mlp(64, 10), digits.train)


# ----------------------------------------------------- one-batch sanity


def digits_pipeline(bug=None):
    seed_everything(0)
    model = mlp(64, 10, hidden=(64,))
    if bug == "softmax":
        model = nn.Sequential(model, nn.Softmax(dim=1))
    trained = mlp(64, 10, hidden=(64,)) if bug == "other" else model
    optimizer = torch.optim.Adam(trained.parameters())
    return model, nn.CrossEntropyLoss(), optimizer


@pytest.mark.parametrize(
    ("bug", "expected"), [(None, True), ("softmax", False), ("other", False)]
)
def test_reference_sanity_check_tells_working_from_broken(bug, expected):
    train = load_digits().train
    batch = (train.X[:16], train.y[:16])
    model, loss_fn, optimizer = digits_pipeline(bug)
    assert can_overfit_one_batch(model, batch, loss_fn, optimizer) is expected


def test_reference_sanity_check_passes_the_lesson_check(capsys):
    check_can_overfit_one_batch(can_overfit_one_batch)
    assert "passed" in capsys.readouterr().out
