"""The library's remedies: EarlyStopping with Keras 3 semantics, weight
penalties and decay groups, inverted dropout, batch norm in `mlp`, the
penalty hook of `fit`, learning-rate schedules stepped by a callback,
and the capacity sweep with its one-standard-error rule."""

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
    RunConfig,
    build_model,
    load_dataset,
    make_optimizer,
    run_experiment,
)
from gaplab.remedies import (
    Dropout,
    EarlyStopping,
    ScheduleCallback,
    decay_groups,
    l1_penalty,
    l2_penalty,
    random_shifts,
    smoothed_cross_entropy,
    weight_penalty,
)
from gaplab.remedies.capacity import (
    capacity_sweep,
    parameter_count,
    pick_capacity,
)
from gaplab.remedies.schedules import make_scheduler

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


# ------------------------------------------------------------ augmentation


def one_pixel_images(count: int, row: int, column: int) -> torch.Tensor:
    """`count` flattened 8x8 images, each 0 except 1 at (row, column)."""
    images = torch.zeros(count, 8, 8)
    images[:, row, column] = 1.0
    return images.reshape(count, 64)


def test_each_image_moves_by_its_own_shift_within_the_limit():
    torch.manual_seed(0)
    shifted = random_shifts(one_pixel_images(500, 4, 3), max_shift=2)
    places = shifted.reshape(500, 8, 8).nonzero()[:, 1:]
    moves = places - torch.tensor([4, 3])
    assert len(places) == 500
    assert moves.abs().max().item() == 2
    assert len({tuple(m) for m in moves.tolist()}) == 25


def test_pixels_moved_past_an_edge_are_dropped_not_wrapped():
    torch.manual_seed(0)
    shifted = random_shifts(one_pixel_images(500, 0, 7), max_shift=1)
    kept = shifted.reshape(500, 8, 8).nonzero()[:, 1:]
    assert kept[:, 0].max().item() <= 1 and kept[:, 1].min().item() >= 6
    assert 0 < len(kept) < 500


def test_no_shift_is_the_identity_and_a_generator_repeats():
    images = torch.rand(6, 64)
    assert torch.equal(random_shifts(images, 0), images)
    first = random_shifts(images, 2, torch.Generator().manual_seed(3))
    again = random_shifts(images, 2, torch.Generator().manual_seed(3))
    assert torch.equal(first, again)


def test_shifts_explain_bad_images_and_limits():
    with pytest.raises(ValueError, match="flattened"):
        random_shifts(torch.rand(4, 8, 8), 1)
    with pytest.raises(TypeError, match="floats"):
        random_shifts(torch.ones(4, 64, dtype=torch.long), 1)
    with pytest.raises(ValueError, match="max_shift"):
        random_shifts(torch.rand(4, 64), 8)


# ---------------------------------------------------------- label smoothing


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.45, 1.0])
def test_smoothed_cross_entropy_is_pytorchs(smoothing):
    torch.manual_seed(0)
    logits, targets = torch.randn(9, 7) * 3, torch.randint(0, 7, (9,))
    expected = nn.CrossEntropyLoss(label_smoothing=smoothing)
    assert smoothed_cross_entropy(logits, targets, smoothing).item() == (
        pytest.approx(expected(logits, targets).item(), abs=1e-5)
    )
    total = smoothed_cross_entropy(logits, targets, smoothing, reduction="sum")
    assert total.item() == pytest.approx(9 * expected(logits, targets).item())


def test_smoothing_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="from 0 to 1"):
        smoothed_cross_entropy(
            torch.zeros(2, 3), torch.zeros(2, dtype=torch.long), 1.5
        )


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


def test_a_config_augments_and_smooths_the_training_loss_only():
    """Shifts and smoothing change what training sees and minimises;
    every loss recorded is still plain cross-entropy, which `evaluate`
    reproduces."""
    config = RunConfig(n_train=128, max_shift=1, label_smoothing=0.2, epochs=2)
    model, history = run_experiment(config, seed=0)
    data = load_dataset(config)
    measured = evaluate(model, data.train, nn.CrossEntropyLoss()).loss
    assert history.train_loss[-1] == pytest.approx(measured, abs=1e-6)
    _, plain = run_experiment(replace(config, max_shift=0), seed=0)
    assert history.running_train_loss != plain.running_train_loss


def test_shifts_and_smoothing_need_the_digits():
    with pytest.raises(ValueError, match="digits"):
        RunConfig(dataset="moons", max_shift=1)


# ------------------------------------------------ schedules and capacity


def test_a_config_schedule_sets_each_epochs_rate():
    """Step: the rate drops to a tenth after each third of the budget;
    History.lr records the rate each epoch trained at."""
    config = RunConfig(n_train=64, schedule="step", epochs=6, lr=0.01)
    _, history = run_experiment(config, seed=0)
    assert history.lr == pytest.approx([0.01] * 2 + [1e-3] * 2 + [1e-4] * 2)


def test_the_plateau_schedule_cuts_after_more_than_patience_bad_epochs():
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    callback = ScheduleCallback(make_scheduler("plateau", optimizer, 10))
    history = History()
    rates = []
    for epoch, loss in enumerate([1.0, 1.0, 1.0, 1.0, 1.0], start=1):
        history.epoch.append(epoch)
        history.val_loss.append(loss)
        assert callback.on_epoch_end(history, model) is False
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.1])


def test_schedules_explain_bad_names_and_schedulers():
    optimizer = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    assert make_scheduler("constant", optimizer, 10) is None
    with pytest.raises(ValueError, match="one of"):
        make_scheduler("linear", optimizer, 10)
    with pytest.raises(ValueError, match="schedule must be"):
        RunConfig(schedule="linear")
    with pytest.raises(TypeError, match="lr_scheduler"):
        ScheduleCallback(optimizer)


def test_one_cycle_peaks_at_ten_times_the_rate_within_the_budget():
    config = RunConfig(n_train=64, schedule="one-cycle", epochs=8, lr=0.01)
    _, history = run_experiment(config, seed=0)
    assert len(history) == 8
    assert max(history.lr) == pytest.approx(0.1, rel=0.05)


def test_the_one_standard_error_rule_takes_the_smallest_within_reach():
    sizes = [800, 100, 400, 200]
    losses = [[0.5, 0.6], [0.9, 0.9], [0.57, 0.57], [0.64, 0.64]]
    # best 800 (mean 0.55, standard error 0.05): 400 is within, 200 not
    assert pick_capacity(sizes, losses) == 400
    assert pick_capacity(torch.tensor(sizes), torch.tensor(losses)) == 400
    with pytest.raises(ValueError, match="column per seed"):
        pick_capacity(sizes, [[0.5], [0.9], [0.57], [0.64]])


def test_a_capacity_sweep_keeps_a_row_per_shape_and_a_column_per_seed():
    config = RunConfig(n_train=64, epochs=2)
    sweep = capacity_sweep(config, [(8,), (16, 16)], seeds=(0, 1, 2))
    data = load_dataset(config)
    assert sweep.val_loss.shape == sweep.train_loss.shape == (2, 3)
    assert sweep.sizes.tolist() == [
        parameter_count(replace(config, hidden=shape), data)
        for shape in ((8,), (16, 16))
    ]
    assert sweep.shape_of(int(sweep.sizes[1])) == (16, 16)
    with pytest.raises(ValueError, match="no swept model"):
        sweep.shape_of(3)
    _, history = run_experiment(replace(config, hidden=(16, 16)), seed=1)
    assert sweep.val_loss[1, 1] == pytest.approx(history.val_loss[-1])
