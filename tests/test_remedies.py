"""The library's remedies: EarlyStopping with Keras 3 semantics, weight
penalties and decay groups, inverted dropout, batch norm in `mlp`, and
the penalty hook of `fit`."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from gaplab import (
    History,
    evaluate,
    fit,
    load_digits,
    mlp,
    seed_everything,
)
from gaplab.experiments import (
    OVERFIT_BASELINE,
    build_model,
    load_dataset,
    make_optimizer,
)
from gaplab.remedies import (
    Dropout,
    EarlyStopping,
    decay_groups,
    l1_penalty,
    l2_penalty,
    weight_penalty,
)

# ------------------------------------------------------------ early stopping


def drive(
    stopper: EarlyStopping, values: list[float], model: nn.Module | None = None
) -> int:
    """Feed `values` as the monitored val_loss, one epoch at a time, as
    `fit` would; set the model's weight to the epoch number so restored
    weights tell which epoch they came from. Returns the epochs run."""
    model = model or nn.Linear(1, 1, bias=False)
    history = History()
    stopper.on_train_begin(model)
    for epoch, value in enumerate(values, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        history.epoch.append(epoch)
        history.val_loss.append(value)
        history.val_acc.append(1 - value)
        if stopper.on_epoch_end(history, model):
            break
    stopper.on_train_end(history, model)
    return len(history)


def test_patience_counts_epochs_without_improvement():
    stopper = EarlyStopping(patience=2)
    assert drive(stopper, [1.0, 0.9, 0.95, 0.96, 0.5]) == 4
    assert (stopper.best_epoch, stopper.stopped_epoch) == (2, 4)
    assert stopper.best == 0.9


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    stopper = EarlyStopping(patience=0)
    assert drive(stopper, [1.0, 1.0, 0.5]) == 2


def test_an_improvement_must_beat_the_best_by_more_than_min_delta():
    stopper = EarlyStopping(min_delta=0.25, patience=1)
    assert drive(stopper, [1.0, 0.75, 0.5]) == 2  # a tie is no improvement
    assert stopper.best_epoch == 1


def test_mode_max_and_auto_for_accuracy():
    assert EarlyStopping("val_acc").direction == "max"
    assert EarlyStopping("val_loss").direction == "min"
    stopper = EarlyStopping("val_acc", patience=1)
    assert drive(stopper, [0.5, 0.4, 0.45]) == 3  # accuracies 0.5, 0.6, 0.55
    assert stopper.best_epoch == 2


def test_a_baseline_never_beaten_never_resets_the_count():
    """The first epoch sets the best but, short of the baseline, does not
    reset the wait; as in Keras, an improving epoch never stops."""
    flat = [1.0] * 5
    assert drive(EarlyStopping(baseline=0.1, patience=3), flat) == 3
    assert drive(EarlyStopping(patience=3), flat) == 4
    falling = [1.0, 0.9, 0.8, 0.7, 0.75]
    assert drive(EarlyStopping(baseline=0.1, patience=3), falling) == 5


def test_start_from_epoch_ignores_the_first_epochs():
    stopper = EarlyStopping(patience=1, start_from_epoch=2)
    assert drive(stopper, [1.0, 2.0, 3.0, 3.0, 3.0]) == 4
    assert stopper.best_epoch == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_value_stops_at_once(bad):
    stopper = EarlyStopping(patience=10)
    assert drive(stopper, [1.0, bad, 0.5]) == 2


def test_the_best_weights_come_back_even_when_it_never_stopped():
    model = nn.Linear(1, 1, bias=False)
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    drive(stopper, [1.0, 0.5, 0.7, 0.8], model)
    assert stopper.stopped_epoch == 0
    assert model.weight.item() == 2.0


def test_a_saved_state_resumes_the_count():
    first = EarlyStopping(patience=3)
    drive(first, [1.0, 1.1, 1.2])
    resumed = EarlyStopping(patience=3)
    resumed.load_state_dict(first.state_dict())
    # wait was 2; fit counts epochs from 1 again and never stops at 1
    assert drive(resumed, [1.3, 1.4, 1.5]) == 2
    assert drive(EarlyStopping(patience=3), [1.3, 1.4, 1.5]) == 3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="History field"):
        EarlyStopping("validation_loss")
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(KeyError, match="state_dict"):
        EarlyStopping().load_state_dict({"wait": 1})


def test_early_stopping_inside_fit_restores_the_best_epoch():
    seed_everything(0)
    data = load_digits(n_train=100)
    model = mlp(64, 10, (32,))
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    history = fit(
        model,
        data,
        nn.CrossEntropyLoss(),
        torch.optim.Adam(model.parameters(), lr=0.05),
        epochs=60,
        callbacks=[stopper],
        progress=False,
    )
    assert len(history) < 60
    restored = evaluate(model, data.val, nn.CrossEntropyLoss()).loss
    assert restored == pytest.approx(min(history.val_loss), rel=1e-5)


# ---------------------------------------------------------------- penalties


def test_the_l2_gradient_is_strength_times_the_weight_and_skips_biases():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    l2_penalty(model, 0.3).backward()
    for parameter in model.parameters():
        if parameter.ndim >= 2:
            torch.testing.assert_close(parameter.grad, 0.3 * parameter.data)
        else:
            assert parameter.grad is None or not parameter.grad.any()


def test_an_l2_penalty_step_is_sgds_weight_decay_on_the_weights():
    def step(use_penalty: bool) -> list[torch.Tensor]:
        torch.manual_seed(0)
        model = nn.Linear(5, 3)
        decay = 0.0 if use_penalty else 0.1
        optimizer = torch.optim.SGD(decay_groups(model, decay), lr=0.5)
        loss = model(torch.ones(2, 5)).sum()
        if use_penalty:
            loss = loss + l2_penalty(model, 0.1)
        loss.backward()
        optimizer.step()
        return [p.detach() for p in model.parameters()]

    for a, b in zip(step(True), step(False), strict=True):
        torch.testing.assert_close(a, b)


def test_l1_is_the_sum_of_absolute_weights():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, -2.0]]))
        model.bias.fill_(5.0)
    assert l1_penalty(model, 0.5).item() == pytest.approx(1.5)
    assert weight_penalty() is None
    with pytest.raises(ValueError, match=">= 0"):
        weight_penalty(l2=-1.0)


def test_decay_groups_leave_biases_and_norms_alone():
    model = mlp(4, 2, (8,), batch_norm=True)
    decayed, others = decay_groups(model, 0.1)
    assert all(p.ndim == 2 for p in decayed["params"])
    assert all(p.ndim == 1 for p in others["params"])
    assert others["weight_decay"] == 0.0
    total = len(decayed["params"]) + len(others["params"])
    assert total == len(list(model.parameters()))


def test_fit_records_the_data_loss_without_the_penalty():
    """With an absurd penalty the recorded running loss stays a data loss
    (at most about log 10 for 10 classes), not penalty-sized."""
    seed_everything(0)
    data = load_digits(n_train=64)
    model = mlp(64, 10, (32,))
    history = fit(
        model,
        data,
        nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=1e-3),
        epochs=1,
        progress=False,
        penalty=weight_penalty(l2=1e4),
    )
    assert l2_penalty(model, 1e4).item() > 100
    assert history.running_train_loss[0] < 3.0


# ------------------------------------------------------------------ dropout


def test_inverted_dropout_keeps_the_mean_and_drops_p():
    torch.manual_seed(0)
    layer = Dropout(0.3)
    out = layer(torch.ones(200_000))
    assert (out == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert out.mean().item() == pytest.approx(1.0, abs=0.01)
    layer.eval()
    x = torch.randn(5)
    assert layer(x) is x
    with pytest.raises(ValueError, match="DROP"):
        Dropout(1.0)


# ---------------------------------------------------------------- configs


def test_batch_norm_sits_between_linear_and_activation():
    model = mlp(4, 2, (8, 8), batch_norm=True)
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == [
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Linear",
    ]


def test_a_config_builds_adamw_with_groups_when_biases_are_spared():
    config = replace(
        OVERFIT_BASELINE,
        optimizer="adamw",
        weight_decay=3.0,
        decay_biases=False,
    )
    model = build_model(config, load_dataset(config))
    optimizer = make_optimizer(config, model)
    assert isinstance(optimizer, torch.optim.AdamW)
    decays = [group["weight_decay"] for group in optimizer.param_groups]
    assert decays == [3.0, 0.0]
