"""PyTorch twin of bench/runtime.ts's reference ReID net, timed on the same machine in the same bench run.

Same architecture (stem conv3x3/2 (32) + BN + ReLU + maxpool 3x3/2; 4 stages x 2 basic blocks, widths 32-64-128-256,
stride 2 and a 1x1 downsample at each later stage; global average pooling, 256-d embedding, BN neck, linear
classifier, 751 classes), loss (cross-entropy through log-softmax + gather, plus batch-hard triplet with margin 0.3
on Euclidean distances), optimizer (Adam 3.5e-4), batch (P x K = 8 identities) and input (128x64).

Usage: python3 bench/pytorch_twin.py --threads N --batch B --steps S --warmup W --infer-runs R [--profile]
Prints one JSON object: per-step training milliseconds, per-batch inference milliseconds, and the versions. With
--profile it also profiles one training step (torch.autograd.profiler) and adds `profile`: the inclusive CPU time in
ms of the operators that bench/torch.ts compares with reidfx's kernels (PROFILED_OPS), and `profile_total_ms`, the
profiled step's wall time.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, s):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, padding=k // 2, bias=False), nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, 3, stride)
        self.b = conv_bn(cout, cout, 3, 1)
        self.down = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ReferenceNet(nn.Module):
    def __init__(self, classes=751):
        super().__init__()
        self.stem = conv_bn(3, 32, 3, 2)
        layers, cin = [], 32
        for stage, w in enumerate([32, 64, 128, 256]):
            layers += [Block(cin, w, 1 if stage == 0 else 2), Block(w, w, 1)]
            cin = w
        self.blocks = nn.Sequential(*layers)
        self.embedding = nn.Linear(256, 256)
        self.neck = nn.BatchNorm1d(256)
        self.classifier = nn.Linear(256, classes, bias=False)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        x = self.blocks(x).mean(dim=(2, 3))
        e = self.embedding(x)
        return e, self.classifier(self.neck(e))


def triplet_batch_hard(e, positive, negative, margin=0.3):
    sq = (e * e).sum(1, keepdim=True)
    d = torch.sqrt(torch.clamp(sq - 2 * e @ e.t() + sq.t(), min=1e-12))
    hardest_positive = (d * positive).max(1).values
    hardest_negative = (d + (1 - negative) * 1e6).min(1).values
    return F.relu(hardest_positive - hardest_negative + margin).mean()


# operators whose inclusive time is compared with reidfx's kernel families (outermost ATen calls of each family, so
# no time is counted twice): convolutions and their backward, batch norm and its backward, max pooling, ReLU, and
# the Adam step (the optimizer's record_function label in torch 1.13 / 2.x)
PROFILED_OPS = [
    "aten::conv2d", "aten::convolution_backward", "aten::batch_norm", "aten::native_batch_norm_backward",
    "aten::max_pool2d", "aten::max_pool2d_with_indices_backward", "aten::relu", "aten::threshold_backward",
    "Optimizer.step#Adam.step",
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--infer-runs", type=int, default=10)
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    classes = 751
    model = ReferenceNet(classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=3.5e-4)
    images = torch.rand(a.batch, 3, 128, 64) * 2 - 1
    per = a.batch // 8
    labels = torch.tensor([((i // per) * 37) % classes for i in range(a.batch)])
    same = (labels[:, None] == labels[None, :]).float()
    positive = same - torch.eye(a.batch)
    negative = 1 - same

    def step():
        optimizer.zero_grad()
        e, logits = model(images)
        loss = -F.log_softmax(logits, 1).gather(1, labels[:, None]).mean() + triplet_batch_hard(e, positive, negative)
        loss.backward()
        optimizer.step()
        return loss.item()

    model.train()
    for _ in range(a.warmup):
        step()
    train_ms, train_cpu_ms = [], []
    for _ in range(a.steps):
        t, c = time.perf_counter(), time.process_time()
        step()
        train_ms.append((time.perf_counter() - t) * 1000)
        train_cpu_ms.append((time.process_time() - c) * 1000)
    profile, profile_total_ms = None, None
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            t = time.perf_counter()
            step()
            profile_total_ms = (time.perf_counter() - t) * 1000
        totals = {e.key: e.cpu_time_total / 1000 for e in prof.key_averages()}
        profile = {name: totals.get(name, 0.0) for name in PROFILED_OPS}
    model.eval()
    infer_ms, infer_cpu_ms = [], []
    with torch.no_grad():
        model(images)
        for _ in range(a.infer_runs):
            t, c = time.perf_counter(), time.process_time()
            model(images)[0].numpy()
            infer_ms.append((time.perf_counter() - t) * 1000)
            infer_cpu_ms.append((time.process_time() - c) * 1000)
    print(json.dumps({"threads": torch.get_num_threads(), "train_ms": train_ms, "train_cpu_ms": train_cpu_ms,
                      "infer_ms": infer_ms, "infer_cpu_ms": infer_cpu_ms, "torch": torch.__version__,
                      "profile": profile, "profile_total_ms": profile_total_ms}))


if __name__ == "__main__":
    main()
