"""A float64 replication of configs/ci/gain-init.yaml's LSTM runs (README, "Claims"), in PyTorch: the same initial
weights, h_0, batches, Adam and population statistics as ln-repro (from scripts/float64-lstm-dump.mjs), gradients
by autograd. The gradient of a state that is the same in every sequence (before the first input on which the
sequences differ) is replaced by its batch mean, as ln-repro's cells do: exact in exact arithmetic, and needed in
float64 too for batch norm at gain 1 (README, "What is computed", BN-LSTM and identical inputs).

    python3 scripts/float64_lstm.py data/float64-lstm.json [RUN_ID ...] [--float32] [--plain]
"""
import json
import sys

import torch

args = [a for a in sys.argv[1:] if not a.startswith("--")]
DTYPE = torch.float32 if "--float32" in sys.argv else torch.float64
AVERAGE = "--plain" not in sys.argv
torch.set_default_dtype(DTYPE)


class BatchMean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g.mean(0, keepdim=True).expand_as(g)


def batch_norm(a, gain, bias, eps, stats, record):
    if stats is None:
        mean = a.mean(0, keepdim=True)
        var = ((a - mean) ** 2).mean(0, keepdim=True)
        if record is not None:  # population statistics: one batch of the whole training set, unbiased variance
            record.append((mean.detach(), var.detach() * a.shape[0] / (a.shape[0] - 1)))
    else:
        mean, var = stats
    return gain * (a - mean) / torch.sqrt(var + eps) + bias


def layer_norm(a, gain, bias, eps):
    mean = a.mean(1, keepdim=True)
    var = ((a - mean) ** 2).mean(1, keepdim=True)
    return gain * (a - mean) / torch.sqrt(var + eps) + bias


def logits(run, P, X, h0, population=None, record=None):
    """Gate order f, i, o, g; batch norm's gate-term biases fixed at 0, layer norm's trained."""
    eps, H = run["epsilon"], h0.shape[1]
    if run["norm"] == "batch":
        Wx, Wh, b, gh, gx, gc, bc, Wo, bo = P
        stats = lambda t, k: None if population is None else population[3 * t + k]
        norm_h = lambda a, t: batch_norm(a, gh, 0, eps, stats(t, 0), record)
        norm_x = lambda a, t: batch_norm(a, gx, 0, eps, stats(t, 1), record)
        norm_c = lambda a, t: batch_norm(a, gc, bc, eps, stats(t, 2), record)
    else:
        Wx, Wh, b, gh, bh, gx, bx, gc, bc, Wo, bo = P
        norm_h = lambda a, t: layer_norm(a, gh, bh, eps)
        norm_x = lambda a, t: layer_norm(a, gx, bx, eps)
        norm_c = lambda a, t: layer_norm(a, gc, bc, eps)
    n = X.shape[0]
    h, c = h0.expand(n, H).clone(), torch.zeros(n, H)
    common = True  # every sequence has had the same inputs so far
    for t in range(X.shape[1]):
        x = X[:, t, :]
        if AVERAGE and common and t > 0 and torch.is_grad_enabled():
            h, c = BatchMean.apply(h), BatchMean.apply(c)
        common = common and bool((x == x[0:1]).all())
        f, i, o, g = (norm_h(h @ Wh, t) + norm_x(x @ Wx, t) + b).split(H, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(norm_c(c, t))
    return h @ Wo + bo


def train(run, data):
    P = [torch.tensor(v, dtype=DTYPE).reshape(s).requires_grad_() for v, s in zip(run["values"], run["shapes"])]
    h0 = torch.tensor(run["h0"], dtype=DTYPE).reshape(1, -1)
    images = lambda split: torch.tensor(data[split]["images"], dtype=DTYPE).reshape(-1, 28, 28)
    Xtr, ytr, Xte, yte = images("train"), torch.tensor(data["train"]["labels"]), images("test"), torch.tensor(data["test"]["labels"])
    adam = torch.optim.Adam(P, lr=run["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    for epoch, batches in enumerate(run["batches"], 1):
        total = 0.0
        for batch in batches:
            idx = torch.tensor(batch)
            loss = torch.nn.functional.cross_entropy(logits(run, P, Xtr[idx], h0), ytr[idx])
            adam.zero_grad()
            loss.backward()
            adam.step()
            total += loss.item() * len(batch)
        with torch.no_grad():
            population = []
            if run["norm"] == "batch":
                logits(run, P, Xtr, h0, record=population)
            error = (logits(run, P, Xte, h0, population or None).argmax(1) != yte).double().mean().item()
        print(f"  epoch {epoch}: train_nll {total / len(Xtr):.4f} test_error {error:.4f}", flush=True)
    return error


data = json.load(open(args[0]))
for run_id in args[1:] or data["runs"]:
    print(f"{run_id} ({DTYPE}, {'batch means of common states' if AVERAGE else 'plain autograd'})", flush=True)
    print(f"{run_id}: test_error {train(data['runs'][run_id], data):.4f}", flush=True)
