"""evaluate, fit, History, Callback, plot_history, mlp and the utilities,
checked against direct torch computations."""

import matplotlib
import pytest
import torch
from torch import nn

import gaplab
from gaplab.data import Dataset, Split
from gaplab.training import Callback, History, evaluate, fit


def ragged_split(n: int = 10) -> Split:
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(n, 3, generator=generator)
    return Split(X, torch.randint(0, 4, (n,), generator=generator))


def test_evaluate_is_the_sample_weighted_mean_over_the_whole_split():
    split = ragged_split(10)
    model = nn.Linear(3, 4)
    expected = nn.functional.cross_entropy(model(split.X), split.y).item()
    for batch_size in (1, 3, 4, 10, 64):
        result = evaluate(model, split, nn.CrossEntropyLoss(), batch_size)
        assert result.loss == pytest.approx(expected, rel=1e-6)
    predictions = model(split.X).argmax(1)
    accuracy = (predictions == split.y).float().mean().item()
    assert result.accuracy == pytest.approx(accuracy)


def test_evaluate_turns_dropout_off_and_restores_the_mode():
    split = ragged_split(50)
    model = nn.Sequential(nn.Linear(3, 32), nn.Dropout(0.5), nn.Linear(32, 4))
    losses = {evaluate(model, split, nn.CrossEntropyLoss()).loss for _ in "ab"}
    assert len(losses) == 1, "dropout must be off during evaluation"
    assert model.training
    model.eval()
    evaluate(model, split, nn.CrossEntropyLoss())
    assert not model.training


def test_evaluate_keeps_no_gradients():
    model = nn.Linear(3, 4)
    evaluate(model, ragged_split(), nn.CrossEntropyLoss())
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_reports_no_accuracy_for_regression():
    split = Split(torch.randn(5, 2), torch.randn(5))
    model = gaplab.mlp(2, 1)
    result = evaluate(model, split, nn.MSELoss())
    expected = nn.functional.mse_loss(model(split.X), split.y).item()
    assert result.loss == pytest.approx(expected)
    assert result.accuracy is None


def test_evaluate_explains_bad_targets_and_bad_data():
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"\(5, 1\) but targets \(5,\)"):
        evaluate(model, Split(torch.randn(5, 2), torch.randn(5)), nn.MSELoss())
    with pytest.raises(TypeError, match="needs float targets"):
        evaluate(
            gaplab.mlp(2, 1),
            Split(torch.randn(5, 2), torch.ones(5, dtype=torch.long)),
            nn.MSELoss(),
        )
    with pytest.raises(TypeError, match="gaplab Split"):
        evaluate(model, (torch.randn(5, 2), torch.randn(5)), nn.MSELoss())


def tiny_digits() -> Dataset:
    return gaplab.load_digits(n_train=128)


def train_tiny(epochs: int = 3, callbacks=()) -> tuple[nn.Module, History]:
    gaplab.seed_everything(0)
    data = tiny_digits()
    model = gaplab.mlp(64, 10, (32,), dropout=0.2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = fit(
        model,
        data,
        nn.CrossEntropyLoss(),
        optimizer,
        epochs,
        batch_size=50,
        callbacks=callbacks,
        device="cpu",
        progress=False,
    )
    return model, history


def test_fit_records_eval_mode_losses_that_evaluate_reproduces():
    model, history = train_tiny()
    data = tiny_digits()
    assert history.epoch == [1, 2, 3]
    final_train = evaluate(model, data.train, nn.CrossEntropyLoss())
    final_val = evaluate(model, data.val, nn.CrossEntropyLoss())
    assert history.train_loss[-1] == pytest.approx(final_train.loss)
    assert history.val_loss[-1] == pytest.approx(final_val.loss)
    assert history.val_acc[-1] == pytest.approx(final_val.accuracy)
    assert history.gap[-1] == pytest.approx(final_val.loss - final_train.loss)
    assert history.running_train_loss[0] != history.train_loss[0]
    assert history.lr == [1e-2] * 3
    assert all(t > 0 for t in history.epoch_time)


def test_fit_is_reproducible_from_a_seed():
    assert train_tiny()[1].val_loss == train_tiny()[1].val_loss


def test_a_callback_can_stop_training():
    class StopAtTwo(Callback):
        def on_epoch_end(self, history, model):
            return len(history) == 2

    _, history = train_tiny(epochs=10, callbacks=[StopAtTwo()])
    assert len(history) == 2


def test_fit_explains_bad_arguments():
    model = gaplab.mlp(64, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, tiny_digits(), loss_fn, optimizer, 0, progress=False)
    with pytest.raises(TypeError, match="gaplab Dataset"):
        fit(model, tiny_digits().train, loss_fn, optimizer, 1)
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        fit(model, tiny_digits(), loss_fn, optimizer, 1, device="gpu")


def test_best_epoch_honours_min_delta():
    history = History(epoch=[1, 2, 3, 4], val_loss=[1.0, 0.5, 0.49, 0.8])
    assert history.best_epoch() == 3
    assert history.best_epoch(min_delta=0.05) == 2
    with pytest.raises(ValueError, match="empty"):
        History().best_epoch()


def test_history_round_trips_through_a_dict():
    _, history = train_tiny(epochs=2)
    assert History.from_dict(history.to_dict()) == history
    with pytest.raises(ValueError, match="unknown History fields"):
        History.from_dict({"loss": [1.0]})


def test_plot_history_draws_both_curves_and_marks_the_best_epoch():
    _, history = train_tiny()
    fig, axes = gaplab.plot_history(history, show_accuracy=True)
    assert len(axes) == 2
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert "training" in labels and "validation" in labels
    assert any(label.startswith("best validation") for label in labels)
    matplotlib.pyplot.close(fig)


def test_plot_history_explains_what_it_cannot_draw():
    with pytest.raises(ValueError, match="empty"):
        gaplab.plot_history(History())
    regression = History(
        epoch=[1],
        train_loss=[1.0],
        val_loss=[1.0],
        val_acc=[None],
        train_acc=[None],
    )
    with pytest.raises(ValueError, match="no accuracies"):
        gaplab.plot_history(regression, show_accuracy=True)


def test_mlp_shapes_and_dropout():
    assert gaplab.mlp(2, 1)(torch.zeros(5, 2)).shape == (5,)
    assert gaplab.mlp(64, 10, (8, 8))(torch.zeros(5, 64)).shape == (5, 10)
    dropouts = [
        m
        for m in gaplab.mlp(2, 3, (4, 4), 0.5).modules()
        if isinstance(m, nn.Dropout)
    ]
    assert len(dropouts) == 2
    with pytest.raises(ValueError, match="dropout"):
        gaplab.mlp(2, 3, dropout=1.0)


def test_get_device_and_seed_everything():
    assert gaplab.get_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert gaplab.get_device("auto").type == expected
    with pytest.raises(ValueError, match="use one of"):
        gaplab.get_device("tpu")
    with pytest.raises(TypeError, match="seed must be an int"):
        gaplab.seed_everything("0")
    gaplab.seed_everything(5)
    first = torch.rand(3)
    gaplab.seed_everything(5)
    assert torch.equal(first, torch.rand(3))
