"""An independent bank of learner answers to the four exercises of
lesson 02 (measuring honestly): 1 (`evaluate`), 2 (`train_one_epoch`),
3 (`train`) and 4 (`plot_curves`), written from the exercise text alone,
and run through the real graded cells (visible checks and hidden tests).

Every correct answer, in whatever style, must be accepted; every wrong
one, a mistake that learners reading the text really make, must fail
with an AssertionError, which carries the check's message.

As in the notebook, the answers to exercise 3 call the learner's
`evaluate` and `train_one_epoch` by those global names: this module binds
them to the first correct answers of exercises 1 and 2.
"""

from __future__ import annotations

import contextlib
import time

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gaplab import Evaluation, History, plot_history
from tests.notebook_tools import grade_answer

ASSIGNMENT = "02-measuring"


def grade(test_id: str, name: str, answer) -> None:
    """Run graded cell `test_id` with `answer` as the learner's `name`."""
    grade_answer(ASSIGNMENT, test_id, name, answer)


# ========================================================= exercise 1
# ------------------------------------------------------ correct answers


def evaluate_textbook(model, split, loss_fn, batch_size=256):
    """The text step by step: remember the mode, eval, no_grad, sum
    `loss * len(targets)`, restore in `finally`."""
    was_training = model.training
    model.eval()
    total_loss = 0.0
    correct = 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                loss = loss_fn(outputs, targets)
                total_loss += loss.item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    n = len(split)
    return Evaluation(loss=total_loss / n, accuracy=correct / n)


def evaluate_inference_mode(model, split, loss_fn, batch_size=256):
    """`torch.inference_mode`, tensor accumulators, `.item()` at the
    end only."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            total = torch.zeros((), device=split.X.device)
            hits = torch.zeros((), device=split.X.device)
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets) * targets.shape[0]
                hits += outputs.max(dim=1).indices.eq(targets).sum()
    finally:
        model.train(was_training)
    return Evaluation(
        loss=float(total.item() / len(split)),
        accuracy=float(hits.item() / len(split)),
    )


@contextlib.contextmanager
def evaluation_mode(model):
    """Eval mode for the block, the caller's mode afterwards."""
    previous = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(previous)


def evaluate_context_manager(model, split, loss_fn, batch_size=256):
    """A home-made context manager for the mode, lists of batch sizes
    and batch means, and a weighted mean at the end."""
    sizes, means, correct = [], [], 0
    with evaluation_mode(model), torch.no_grad():
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            means.append(loss_fn(outputs, targets).item())
            sizes.append(len(targets))
            correct += int((outputs.argmax(1) == targets).sum())
    loss = sum(n * m for n, m in zip(sizes, means, strict=True)) / sum(sizes)
    return Evaluation(loss=loss, accuracy=correct / sum(sizes))


def evaluate_dataloader(model, split, loss_fn, batch_size=256):
    """A DataLoader in order over the split's tensors, and
    `torch.set_grad_enabled(False)`."""
    loader = DataLoader(TensorDataset(split.X, split.y), batch_size=batch_size)
    was_training = model.training
    model.eval()
    loss_sum, correct, seen = 0.0, 0, 0
    try:
        with torch.set_grad_enabled(False):
            for inputs, targets in loader:
                outputs = model(inputs)
                batch = len(targets)
                loss_sum += float(loss_fn(outputs, targets)) * batch
                correct += int(torch.sum(outputs.argmax(-1) == targets))
                seen += batch
    finally:
        model.train(was_training)
    return Evaluation(loss=loss_sum / seen, accuracy=correct / seen)


@torch.no_grad()
def evaluate_manual_slices(model, split, loss_fn, batch_size=256):
    """`no_grad` as a decorator, slices of `split.X` by hand, each batch
    weighted by its share of the split, every module's own mode saved
    and restored."""
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        n = len(split)
        loss, correct = 0.0, 0
        for start in range(0, n, batch_size):
            inputs = split.X[start : start + batch_size]
            targets = split.y[start : start + batch_size]
            outputs = model(inputs)
            loss += loss_fn(outputs, targets).item() * (len(targets) / n)
            correct += (torch.topk(outputs, 1).indices[:, 0] == targets).sum()
    finally:
        for module, mode in modes.items():
            module.training = mode
    return Evaluation(loss=float(loss), accuracy=float(correct) / n)


def evaluate_eval_returns_model(model, split, loss_fn, batch_size=256):
    """Reads the mode, chains `model.eval()`, counts samples as it goes
    and restores with `train(mode=...)`."""
    mode = model.training
    net = model.eval()
    weighted, right, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for xb, yb in split.batches(batch_size=batch_size):
                logits = net(xb)
                weighted += loss_fn(logits, yb).item() * yb.numel()
                right += logits.argmax(dim=1).eq(yb).sum().item()
                count += yb.numel()
    finally:
        model.train(mode=mode)
    return Evaluation(weighted / count, right / count)


CORRECT_EVALUATE = [
    evaluate_textbook,
    evaluate_inference_mode,
    evaluate_context_manager,
    evaluate_dataloader,
    evaluate_manual_slices,
    evaluate_eval_returns_model,
]

# The learner's `evaluate`, which exercise 3's answers call by name.
evaluate = evaluate_textbook


@pytest.mark.parametrize("answer", CORRECT_EVALUATE, ids=lambda f: f.__name__)
def test_a_correct_evaluate_passes(answer):
    grade("evaluate_tests", "evaluate", answer)


# -------------------------------------------------------- wrong answers


def evaluate_forgets_eval(model, split, loss_fn, batch_size=256):
    """No `model.eval()`: dropout stays on while measuring."""
    total, correct = 0.0, 0
    with torch.no_grad():
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
    return Evaluation(total / len(split), correct / len(split))


def evaluate_never_restores(model, split, loss_fn, batch_size=256):
    """Switches to eval mode and leaves the model there."""
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
    return Evaluation(total / len(split), correct / len(split))


def evaluate_always_back_to_train(model, split, loss_fn, batch_size=256):
    """Ends with `model.train()`, whatever mode the model came in."""
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train()
    return Evaluation(total / len(split), correct / len(split))


def evaluate_reads_mode_too_late(model, split, loss_fn, batch_size=256):
    """Remembers `model.training` after `model.eval()`, so it always
    restores eval mode."""
    model.eval()
    was_training = model.training
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_restores_without_finally(model, split, loss_fn, batch_size=256):
    """Restores the mode only when nothing fails halfway."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
    model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_unweighted(model, split, loss_fn, batch_size=256):
    """Plain mean of the batch means (pitfall 3)."""
    was_training = model.training
    model.eval()
    losses, correct = [], 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                losses.append(loss_fn(outputs, targets).item())
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(sum(losses) / len(losses), correct / len(split))


def evaluate_assumes_full_batches(model, split, loss_fn, batch_size=256):
    """Weights by size but divides by `batches * batch_size`, as if the
    last batch were full."""
    was_training = model.training
    model.eval()
    total, correct, batches = 0.0, 0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
                batches += 1
    finally:
        model.train(was_training)
    seen = batches * batch_size
    return Evaluation(total / seen, correct / len(split))


def evaluate_with_gradients(model, split, loss_fn, batch_size=256):
    """Forgets `torch.no_grad()`: autograd records every batch."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        for inputs, targets in split.batches(batch_size):
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_unweighted_accuracy(model, split, loss_fn, batch_size=256):
    """Weights the loss but averages the batches' accuracies plainly."""
    was_training = model.training
    model.eval()
    total, accuracies = 0.0, []
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                hits = (outputs.argmax(dim=1) == targets).float()
                accuracies.append(hits.mean().item())
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), sum(accuracies) / len(accuracies))


def evaluate_counts_correct(model, split, loss_fn, batch_size=256):
    """Returns the number of correct predictions, not the fraction."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), float(correct))


def evaluate_argmax_wrong_dim(model, split, loss_fn, batch_size=256):
    """Takes the argmax over the batch (dim 0) instead of the classes."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                predictions = outputs.argmax(dim=0)
                correct += (predictions[: len(targets)] == targets).sum()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), int(correct) / len(split))


def evaluate_returns_tensors(model, split, loss_fn, batch_size=256):
    """Accumulates tensors and forgets `.item()`: not Python floats."""
    was_training = model.training
    model.eval()
    total = torch.zeros(())
    correct = torch.zeros(())
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total = total + loss_fn(outputs, targets) * len(targets)
                correct = correct + (outputs.argmax(dim=1) == targets).sum()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_own_loss(model, split, loss_fn, batch_size=256):
    """Ignores `loss_fn` and hard-codes the lesson's cross-entropy."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                loss = F.cross_entropy(outputs, targets)
                total += loss.item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_swaps_fields(model, split, loss_fn, batch_size=256):
    """Passes accuracy and loss positionally in the wrong order."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(correct / len(split), total / len(split))


def evaluate_ignores_batch_size(model, split, loss_fn, batch_size=256):
    """Always measures in batches of 256, whatever it is asked for."""
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(256):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                correct += (outputs.argmax(dim=1) == targets).sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), correct / len(split))


def evaluate_mean_true_probability(model, split, loss_fn, batch_size=256):
    """Reports the mean softmax probability of the true class as the
    accuracy, not the fraction of samples whose largest output is it."""
    was_training = model.training
    model.eval()
    total, probability = 0.0, 0.0
    try:
        with torch.no_grad():
            for inputs, targets in split.batches(batch_size):
                outputs = model(inputs)
                total += loss_fn(outputs, targets).item() * len(targets)
                p = outputs.softmax(dim=1).gather(1, targets[:, None])
                probability += p.sum().item()
    finally:
        model.train(was_training)
    return Evaluation(total / len(split), probability / len(split))


WRONG_EVALUATE = [
    evaluate_forgets_eval,
    evaluate_never_restores,
    evaluate_always_back_to_train,
    evaluate_reads_mode_too_late,
    evaluate_unweighted,
    evaluate_assumes_full_batches,
    evaluate_with_gradients,
    evaluate_unweighted_accuracy,
    evaluate_counts_correct,
    pytest.param(
        evaluate_argmax_wrong_dim,
        marks=pytest.mark.xfail(
            strict=True,
            raises=RuntimeError,
            reason="rejected, but by the answer's own RuntimeError "
            "(shape mismatch), not by a check's AssertionError",
        ),
        id="evaluate_argmax_wrong_dim",
    ),
    evaluate_returns_tensors,
    evaluate_own_loss,
    evaluate_swaps_fields,
    evaluate_ignores_batch_size,
    evaluate_mean_true_probability,
]


@pytest.mark.parametrize("answer", WRONG_EVALUATE, ids=lambda f: f.__name__)
def test_a_wrong_evaluate_fails(answer):
    with pytest.raises(AssertionError):
        grade("evaluate_tests", "evaluate", answer)


# ========================================================= exercise 2
# ------------------------------------------------------ correct answers


def train_one_epoch_textbook(model, split, loss_fn, optimizer, batch_size):
    """The text step by step, summing `loss.item() * len(targets)`."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(batch_size, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_detached(model, split, loss_fn, optimizer, batch_size):
    """A tensor accumulator of `loss.detach()`, gradients set to None."""
    model.train()
    running = torch.zeros((), device=split.X.device)
    for inputs, targets in split.batches(batch_size, shuffle=True):
        optimizer.zero_grad(set_to_none=True)
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        running += loss.detach() * targets.size(0)
    return running.item() / len(split)


def train_one_epoch_dataloader(model, split, loss_fn, optimizer, batch_size):
    """A shuffling DataLoader over the split's tensors."""
    loader = DataLoader(
        TensorDataset(split.X, split.y), batch_size=batch_size, shuffle=True
    )
    model.train()
    weighted = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        weighted += float(loss.detach()) * len(yb)
    return weighted / len(split)


def train_one_epoch_randperm(model, split, loss_fn, optimizer, batch_size):
    """Its own permutation and slices; each batch weighted by its share
    of the split."""
    model.train()
    n = len(split)
    order = torch.randperm(n, device=split.X.device)
    mean = 0.0
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        inputs, targets = split.X[index], split.y[index]
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        mean += loss.item() * len(index) / n
    return float(mean)


def train_one_epoch_incremental(model, split, loss_fn, optimizer, batch_size):
    """An incremental weighted mean, updated batch by batch."""
    model.train(True)
    mean, seen = 0.0, 0
    for inputs, targets in split.batches(batch_size, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        n = len(targets)
        seen += n
        mean += (loss.item() - mean) * n / seen
    return mean


def train_one_epoch_lists(model, split, loss_fn, optimizer, batch_size):
    """Keeps every batch's size and loss, as pitfall 1 does, and returns
    their weighted mean."""
    model.train()
    sizes, losses = [], []
    for inputs, targets in split.batches(batch_size, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        sizes.append(len(targets))
        losses.append(loss.item())
    total = sum(s * v for s, v in zip(sizes, losses, strict=True))
    return total / len(split)


CORRECT_TRAIN_ONE_EPOCH = [
    train_one_epoch_textbook,
    train_one_epoch_detached,
    train_one_epoch_dataloader,
    train_one_epoch_randperm,
    train_one_epoch_incremental,
    train_one_epoch_lists,
]

# The learner's `train_one_epoch`, which exercise 3's answers call.
train_one_epoch = train_one_epoch_textbook


@pytest.mark.parametrize(
    "answer", CORRECT_TRAIN_ONE_EPOCH, ids=lambda f: f.__name__
)
def test_a_correct_train_one_epoch_passes(answer):
    grade("train_one_epoch_tests", "train_one_epoch", answer)


# -------------------------------------------------------- wrong answers


def train_one_epoch_no_train_mode(model, split, loss_fn, optimizer, bs):
    """Never calls `model.train()`: a model arriving in eval mode trains
    without dropout."""
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_in_eval_mode(model, split, loss_fn, optimizer, bs):
    """Calls `model.eval()` where `model.train()` belongs."""
    model.eval()
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_no_shuffle(model, split, loss_fn, optimizer, bs):
    """Iterates in the same order every epoch."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(bs):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_no_zero_grad(model, split, loss_fn, optimizer, bs):
    """Never zeroes the gradients, so they accumulate across batches."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_zero_grad_too_late(model, split, loss_fn, optimizer, bs):
    """Zeroes the gradients between `backward` and `step`, so every step
    sees zero gradients."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_last_batch(model, split, loss_fn, optimizer, bs):
    """Returns the last batch's loss (pitfall 1)."""
    model.train()
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return loss.item()


def train_one_epoch_unweighted(model, split, loss_fn, optimizer, bs):
    """Plain mean of the batch means."""
    model.train()
    losses = []
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def train_one_epoch_ignores_batch_size(model, split, loss_fn, optimizer, bs):
    """Hard-codes the lesson's batch size of 64."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(64, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_whole_split(model, split, loss_fn, optimizer, bs):
    """One full-batch step per epoch instead of one per mini-batch."""
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(split.X), split.y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_one_epoch_own_optimizer(model, split, loss_fn, optimizer, bs):
    """Builds its own Adam at the lesson's rate instead of stepping the
    optimizer it is given."""
    own = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        own.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        own.step()
        total += loss.item() * len(targets)
    return total / len(split)


def train_one_epoch_returns_tensor(model, split, loss_fn, optimizer, bs):
    """Returns a tensor, not a Python float."""
    model.train()
    total = torch.zeros(())
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(targets)
    return total / len(split)


def train_one_epoch_returns_sum(model, split, loss_fn, optimizer, bs):
    """Forgets to divide by the number of samples."""
    model.train()
    total = 0.0
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
    return total


def train_one_epoch_eval_loss(model, split, loss_fn, optimizer, bs):
    """Returns the eval-mode loss after the epoch instead of the running
    loss (mixes up the two training losses of pitfall 4)."""
    model.train()
    for inputs, targets in split.batches(bs, shuffle=True):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return evaluate_textbook(model, split, loss_fn, bs).loss


WRONG_TRAIN_ONE_EPOCH = [
    train_one_epoch_no_train_mode,
    train_one_epoch_in_eval_mode,
    train_one_epoch_no_shuffle,
    train_one_epoch_no_zero_grad,
    train_one_epoch_zero_grad_too_late,
    train_one_epoch_last_batch,
    train_one_epoch_unweighted,
    train_one_epoch_ignores_batch_size,
    train_one_epoch_whole_split,
    train_one_epoch_own_optimizer,
    train_one_epoch_returns_tensor,
    train_one_epoch_returns_sum,
    train_one_epoch_eval_loss,
]


@pytest.mark.parametrize(
    "answer", WRONG_TRAIN_ONE_EPOCH, ids=lambda f: f.__name__
)
def test_a_wrong_train_one_epoch_fails(answer):
    with pytest.raises(AssertionError):
        grade("train_one_epoch_tests", "train_one_epoch", answer)


# ========================================================= exercise 3
# ------------------------------------------------------ correct answers


def train_textbook(model, data, loss_fn, optimizer, epochs, batch_size):
    """The table row by row, appending to a `History` each epoch."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(
            model, data.train, loss_fn, optimizer, batch_size
        )
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        history.epoch.append(epoch)
        history.running_train_loss.append(running)
        history.train_loss.append(on_train.loss)
        history.train_acc.append(on_train.accuracy)
        history.val_loss.append(on_val.loss)
        history.val_acc.append(on_val.accuracy)
        history.lr.append(lr)
        history.epoch_time.append(time.perf_counter() - start)
    return history


def train_lists_then_history(
    model, data, loss_fn, optimizer, epochs, batch_size
):
    """Plain lists in a dict, turned into a `History` at the end."""
    record = {
        name: []
        for name in (
            "epoch",
            "train_loss",
            "running_train_loss",
            "val_loss",
            "train_acc",
            "val_acc",
            "lr",
            "epoch_time",
        )
    }
    for t in range(epochs):
        tic = time.perf_counter()
        record["lr"].append(optimizer.param_groups[0]["lr"])
        record["running_train_loss"].append(
            train_one_epoch(model, data.train, loss_fn, optimizer, batch_size)
        )
        train_eval = evaluate(model, data.train, loss_fn)
        val_eval = evaluate(model, data.val, loss_fn)
        record["train_loss"].append(train_eval.loss)
        record["train_acc"].append(train_eval.accuracy)
        record["val_loss"].append(val_eval.loss)
        record["val_acc"].append(val_eval.accuracy)
        record["epoch"].append(t + 1)
        record["epoch_time"].append(time.perf_counter() - tic)
    return History(**record)


def train_setattr_loop(model, data, loss_fn, optimizer, epochs, batch_size):
    """One dict of measurements per epoch, appended field by field, and
    a large evaluation batch size."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        group_lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(
            model, data.train, loss_fn, optimizer, batch_size
        )
        tr = evaluate(model, data.train, loss_fn, 1024)
        va = evaluate(model, data.val, loss_fn, 1024)
        row = {
            "epoch": epoch,
            "running_train_loss": running,
            "train_loss": tr.loss,
            "train_acc": tr.accuracy,
            "val_loss": va.loss,
            "val_acc": va.accuracy,
            "lr": group_lr,
            "epoch_time": time.perf_counter() - start,
        }
        for name, value in row.items():
            getattr(history, name).append(value)
    return history


def train_while_loop(model, data, loss_fn, optimizer, epochs, batch_size):
    """A while loop, and the splits measured in a small inner loop."""
    history = History()
    epoch = 0
    while epoch < epochs:
        epoch += 1
        began = time.perf_counter()
        history.lr.append(optimizer.param_groups[0]["lr"])
        history.running_train_loss.append(
            train_one_epoch(model, data.train, loss_fn, optimizer, batch_size)
        )
        for prefix, split in (("train", data.train), ("val", data.val)):
            measured = evaluate(model, split, loss_fn)
            getattr(history, f"{prefix}_loss").append(measured.loss)
            getattr(history, f"{prefix}_acc").append(measured.accuracy)
        history.epoch.append(epoch)
        history.epoch_time.append(time.perf_counter() - began)
    return history


def train_enumerate(model, data, loss_fn, optimizer, epochs, batch_size):
    """`enumerate(..., start=1)` and keyword arguments throughout."""
    history = History()
    for epoch, _ in enumerate(range(epochs), start=1):
        t0 = time.perf_counter()
        lr_now = float(optimizer.param_groups[0]["lr"])
        running_loss = train_one_epoch(
            model=model,
            split=data.train,
            loss_fn=loss_fn,
            optimizer=optimizer,
            batch_size=batch_size,
        )
        train_m = evaluate(model=model, split=data.train, loss_fn=loss_fn)
        val_m = evaluate(model=model, split=data.val, loss_fn=loss_fn)
        elapsed = time.perf_counter() - t0
        history.epoch += [epoch]
        history.running_train_loss += [running_loss]
        history.train_loss += [train_m.loss]
        history.val_loss += [val_m.loss]
        history.train_acc += [train_m.accuracy]
        history.val_acc += [val_m.accuracy]
        history.lr += [lr_now]
        history.epoch_time += [elapsed]
    return history


CORRECT_TRAIN = [
    train_textbook,
    train_lists_then_history,
    train_setattr_loop,
    train_while_loop,
    train_enumerate,
]


@pytest.mark.parametrize("answer", CORRECT_TRAIN, ids=lambda f: f.__name__)
def test_a_correct_train_passes(answer):
    grade("train_tests", "train", answer)


# -------------------------------------------------------- wrong answers


def record(history, epoch, running, on_train, on_val, lr, seconds):
    """Append one epoch's row to `history`, each value in its field."""
    history.epoch.append(epoch)
    history.running_train_loss.append(running)
    history.train_loss.append(on_train.loss)
    history.train_acc.append(on_train.accuracy)
    history.val_loss.append(on_val.loss)
    history.val_acc.append(on_val.accuracy)
    history.lr.append(lr)
    history.epoch_time.append(seconds)


def train_epochs_from_zero(model, data, loss_fn, optimizer, epochs, bs):
    """Counts epochs from 0."""
    history = History()
    for epoch in range(epochs):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_epochs_short(model, data, loss_fn, optimizer, epochs, bs):
    """`range(1, epochs)`: trains one epoch too few."""
    history = History()
    for epoch in range(1, epochs):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_epochs_extra(model, data, loss_fn, optimizer, epochs, bs):
    """`range(epochs + 1)` with epochs counted from 1: one too many."""
    history = History()
    for index in range(epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, index + 1, running, on_train, on_val, lr, seconds)
    return history


def train_swaps_train_losses(model, data, loss_fn, optimizer, epochs, bs):
    """Stores the running loss as `train_loss` and the eval-mode one as
    `running_train_loss`."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        history.epoch.append(epoch)
        history.running_train_loss.append(on_train.loss)
        history.train_loss.append(running)
        history.train_acc.append(on_train.accuracy)
        history.val_loss.append(on_val.loss)
        history.val_acc.append(on_val.accuracy)
        history.lr.append(lr)
        history.epoch_time.append(time.perf_counter() - start)
    return history


def train_swaps_accuracies(model, data, loss_fn, optimizer, epochs, bs):
    """Puts the validation accuracy in `train_acc` and vice versa."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        history.epoch.append(epoch)
        history.running_train_loss.append(running)
        history.train_loss.append(on_train.loss)
        history.train_acc.append(on_val.accuracy)
        history.val_loss.append(on_val.loss)
        history.val_acc.append(on_train.accuracy)
        history.lr.append(lr)
        history.epoch_time.append(time.perf_counter() - start)
    return history


def train_measures_before_epoch(model, data, loss_fn, optimizer, epochs, bs):
    """Measures both splits before the epoch's training, so each row
    describes the weights of the epoch before."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_running_as_train_loss(model, data, loss_fn, optimizer, epochs, bs):
    """Skips measuring the training split and reuses the running loss as
    `train_loss`; the training accuracy is measured separately."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        accuracy = evaluate(model, data.train, loss_fn).accuracy
        on_train = Evaluation(loss=running, accuracy=accuracy)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_measures_train_in_train_mode(
    model, data, loss_fn, optimizer, epochs, bs
):
    """Measures the training split with dropout on (train mode), the
    validation split properly."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        with torch.no_grad():
            outputs = model(data.train.X)
            on_train = Evaluation(
                loss=loss_fn(outputs, data.train.y).item(),
                accuracy=(outputs.argmax(1) == data.train.y)
                .float()
                .mean()
                .item(),
            )
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_lesson_lr(model, data, loss_fn, optimizer, epochs, bs):
    """Records the lesson's constant learning rate instead of reading
    the optimizer's."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, 3e-3, seconds)
    return history


def train_default_lr(model, data, loss_fn, optimizer, epochs, bs):
    """Records `optimizer.defaults["lr"]`, which a scheduler or a change
    to the param groups never updates."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.defaults["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_ignores_batch_size(model, data, loss_fn, optimizer, epochs, bs):
    """Trains in batches of 64 whatever `batch_size` says."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, 64)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_measures_test_split(model, data, loss_fn, optimizer, epochs, bs):
    """Records the test split as the validation loss."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.test, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_cumulative_time(model, data, loss_fn, optimizer, epochs, bs):
    """Records the time since training began, not each epoch's."""
    history = History()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history


def train_returns_dict(model, data, loss_fn, optimizer, epochs, bs):
    """Returns the plain dict of lists rather than a `History`."""
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        running = train_one_epoch(model, data.train, loss_fn, optimizer, bs)
        on_train = evaluate(model, data.train, loss_fn)
        on_val = evaluate(model, data.val, loss_fn)
        seconds = time.perf_counter() - start
        record(history, epoch, running, on_train, on_val, lr, seconds)
    return history.to_dict()


WRONG_TRAIN = [
    train_epochs_from_zero,
    train_epochs_short,
    train_epochs_extra,
    train_swaps_train_losses,
    train_swaps_accuracies,
    train_measures_before_epoch,
    train_running_as_train_loss,
    train_measures_train_in_train_mode,
    train_lesson_lr,
    train_default_lr,
    train_ignores_batch_size,
    train_measures_test_split,
    train_cumulative_time,
    train_returns_dict,
]


@pytest.mark.parametrize("answer", WRONG_TRAIN, ids=lambda f: f.__name__)
def test_a_wrong_train_fails(answer):
    with pytest.raises(AssertionError):
        grade("train_tests", "train", answer)


# ========================================================= exercise 4
# ------------------------------------------------------ correct answers


def plot_curves_textbook(history):
    """The text step by step: accuracies, a dashed labelled line on
    `axes[0]`, the legend redrawn."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch,
        history.running_train_loss,
        linestyle="--",
        label="training, running (train mode)",
    )
    axes[0].legend()
    return fig, axes


def plot_curves_format_string(history):
    """A "b--" format string and the legend rebuilt from the axes'
    handles."""
    fig, axes = plot_history(history, show_accuracy=True)
    ax = axes[0]
    ax.plot(history.epoch, history.running_train_loss, "b--", label="running")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, frameon=False, fontsize="small")
    return fig, axes


def plot_curves_dash_tuple(history):
    """An explicit dash pattern in the training colour."""
    fig, axes = plot_history(history, show_accuracy=True)
    loss_ax, _accuracy_ax = axes
    loss_ax.plot(
        history.epoch,
        history.running_train_loss,
        color="tab:blue",
        linestyle=(0, (5, 3)),
        linewidth=1.2,
        label="running training loss",
    )
    loss_ax.legend(loc="upper right")
    return fig, axes


def plot_curves_set_after(history):
    """Plots a line, then makes it dashed and labels it."""
    fig, axes = plot_history(history, show_accuracy=True)
    (line,) = axes[0].plot(history.epoch, history.running_train_loss)
    line.set_linestyle("dashed")
    line.set_label("running train loss (during epoch)")
    axes[0].legend()
    return fig, axes


def plot_curves_enumerated_epochs(history):
    """x values from `range`, the style as keyword `ls`, and the legend
    with a title."""
    fig, axes = plot_history(history, show_accuracy=True)
    epochs = list(range(1, len(history) + 1))
    axes[0].plot(
        epochs,
        history.running_train_loss,
        ls="--",
        color="grey",
        label="train (running)",
    )
    axes[0].legend(title="loss")
    return fig, axes


CORRECT_PLOT_CURVES = [
    plot_curves_textbook,
    plot_curves_format_string,
    plot_curves_dash_tuple,
    plot_curves_set_after,
    plot_curves_enumerated_epochs,
]


@pytest.mark.parametrize(
    "answer", CORRECT_PLOT_CURVES, ids=lambda f: f.__name__
)
def test_a_correct_plot_curves_passes(answer):
    grade("plot_curves_tests", "plot_curves", answer)


# -------------------------------------------------------- wrong answers


def plot_curves_solid(history):
    """Forgets the dashes: a solid line."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(history.epoch, history.running_train_loss, label="running")
    axes[0].legend()
    return fig, axes


def plot_curves_dotted(history):
    """Dotted, not dashed."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.running_train_loss, ":", label="running"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_dashes_train_loss(history):
    """Draws the eval-mode training loss dashed instead of the running
    one."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.train_loss, "--", label="training (running)"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_dashes_val_loss(history):
    """Draws the validation loss dashed."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.val_loss, "--", label="running training"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_no_accuracy(history):
    """Calls `plot_history` without the accuracy panel."""
    fig, axes = plot_history(history)
    axes[0].plot(
        history.epoch, history.running_train_loss, "--", label="running"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_on_accuracy_axes(history):
    """Draws the running loss on the accuracy panel `axes[1]`."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[1].plot(
        history.epoch, history.running_train_loss, "--", label="running"
    )
    axes[1].legend()
    return fig, axes


def plot_curves_pyplot_state(history):
    """Uses `plt.plot`, which draws on the current axes: the last panel
    `plot_history` made, the accuracy one."""
    fig, axes = plot_history(history, show_accuracy=True)
    plt.plot(history.epoch, history.running_train_loss, "--", label="running")
    plt.legend()
    return fig, axes


def plot_curves_no_label(history):
    """A dashed line without a label, so the legend cannot name it."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(history.epoch, history.running_train_loss, "--")
    axes[0].legend()
    return fig, axes


def plot_curves_no_legend_redraw(history):
    """Labels the line but never redraws the legend."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.running_train_loss, "--", label="running"
    )
    return fig, axes


def plot_curves_zero_based_x(history):
    """Plots against 0, 1, ...: the running loss shifted an epoch left
    of the curves it is compared with."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        range(len(history)),
        history.running_train_loss,
        "--",
        label="running",
    )
    axes[0].legend()
    return fig, axes


def plot_curves_hidden_label(history):
    """A label starting with an underscore, which the legend skips."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.running_train_loss, "--", label="_running"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_validation_label(history):
    """Labels the running training loss "validation"."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.running_train_loss, "--", label="validation"
    )
    axes[0].legend()
    return fig, axes


def plot_curves_returns_fig_only(history):
    """Returns the figure alone."""
    fig, axes = plot_history(history, show_accuracy=True)
    axes[0].plot(
        history.epoch, history.running_train_loss, "--", label="running"
    )
    axes[0].legend()
    return fig


def plot_curves_new_figure(history):
    """Draws the running loss on a figure of its own and returns that."""
    plot_history(history, show_accuracy=True)
    fig, ax = plt.subplots()
    ax.plot(history.epoch, history.running_train_loss, "--", label="running")
    ax.legend()
    return fig, [ax]


WRONG_PLOT_CURVES = [
    plot_curves_solid,
    plot_curves_dotted,
    plot_curves_dashes_train_loss,
    plot_curves_dashes_val_loss,
    plot_curves_no_accuracy,
    plot_curves_on_accuracy_axes,
    plot_curves_pyplot_state,
    plot_curves_no_label,
    plot_curves_no_legend_redraw,
    plot_curves_zero_based_x,
    plot_curves_hidden_label,
    plot_curves_validation_label,
    plot_curves_returns_fig_only,
    plot_curves_new_figure,
]


@pytest.mark.parametrize("answer", WRONG_PLOT_CURVES, ids=lambda f: f.__name__)
def test_a_wrong_plot_curves_fails(answer):
    with pytest.raises(AssertionError):
        grade("plot_curves_tests", "plot_curves", answer)


# The bank's author listed this as wrong; the course accepts it: the text
# gives try / finally as advice ("restores it even if something fails
# halfway"), and its own correct answers restore the mode without one.
@pytest.mark.parametrize("answer", [evaluate_restores_without_finally])
def test_an_evaluate_without_finally_is_accepted(answer):
    grade("evaluate_tests", "evaluate", answer)
