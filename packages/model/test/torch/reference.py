"""Reference outputs of torchvision models with random weights, for reidfx's import tests.

usage: reference.py <out dir> <batch> <height> <width> <seed> <arch>...
arch: resnet18 | resnet34 | resnet50 | mobilenet_v2 | fastreid_resnet50_ibn

Writes, under <out dir>/<arch>/, model.safetensors (written here with struct/json: the safetensors package is optional), model.npz,
input.npy (NCHW float32), features.npy (pooled features) and logits.npy, all from the model in eval mode.
fastreid_resnet50_ibn rebuilds fast-reid's ResNet-50 IBN-a (fastreid/modeling/backbones/resnet.py: IBN in bn1 of
layers 1-3, max-pool 3x3/2 without padding in ceil mode, last stride 1) and its BNNeck head under fast-reid's names.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision
from torch import nn


class IBN(nn.Module):
    """fast-reid's IBN (fastreid/layers/batch_norm.py): InstanceNorm on the first half of the channels, BN on the rest."""

    def __init__(self, planes):
        super().__init__()
        self.half = int(planes / 2)
        self.IN = nn.InstanceNorm2d(self.half, affine=True)
        self.BN = nn.BatchNorm2d(planes - self.half)

    def forward(self, x):
        a, b = torch.split(x, self.half, 1)
        return torch.cat((self.IN(a.contiguous()), self.BN(b.contiguous())), 1)


class FastReidBaseline(nn.Module):
    def __init__(self, classes):
        super().__init__()
        backbone = torchvision.models.resnet50()
        backbone.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)
        for layer in (backbone.layer1, backbone.layer2, backbone.layer3):
            for block in layer:
                block.bn1 = IBN(block.bn1.num_features)
        backbone.layer4[0].conv2.stride = (1, 1)
        backbone.layer4[0].downsample[0].stride = (1, 1)
        del backbone.fc
        backbone.fc = nn.Identity()
        backbone.avgpool = nn.Identity()
        self.backbone = backbone
        self.heads = nn.Module()
        self.heads.bottleneck = nn.Sequential(nn.BatchNorm2d(2048))
        nn.init.zeros_(self.heads.bottleneck[0].bias)
        self.heads.weight = nn.Parameter(torch.randn(classes, 2048) * 0.01)
        self.register_buffer("pixel_mean", torch.zeros(1, 3, 1, 1))
        self.register_buffer("pixel_std", torch.ones(1, 3, 1, 1))

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        pooled = x.mean(dim=(2, 3), keepdim=True)
        neck = self.heads.bottleneck(pooled)[..., 0, 0]
        self.features = pooled[..., 0, 0]
        return neck @ self.heads.weight.t()


def randomise(model, generator):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=generator)
                if m.bias is not None and not (isinstance(model, FastReidBaseline) and m is model.heads.bottleneck[0]):
                    m.bias.normal_(0, 0.1, generator=generator)
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1, generator=generator)
            m.running_var.uniform_(0.5, 2.0, generator=generator)
            m.num_batches_tracked.fill_(7)


def write_safetensors(path, state):
    header, offset, chunks = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(state):
        data = state[name].detach().cpu().numpy()
        dtype = {"float32": "F32", "int64": "I64"}[str(data.dtype)]
        raw = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(data.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def build(arch, out, batch, height, width, seed):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    if arch == "fastreid_resnet50_ibn":
        model = FastReidBaseline(classes=10)
    else:
        model = getattr(torchvision.models, arch)()
    randomise(model, generator)
    model.eval()
    captured = {}

    def capture(_module, inputs, _output):
        captured["features"] = inputs[0]  # returns None: a hook's return value would replace the output

    if arch.startswith("resnet"):
        model.fc.register_forward_hook(capture)
    elif arch == "mobilenet_v2":
        model.classifier.register_forward_hook(capture)
    x = torch.rand(batch, 3, height, width, generator=generator)
    with torch.no_grad():
        logits = model(x)
    features = captured["features"] if "features" in captured else model.features
    state = model.state_dict()
    write_safetensors(f"{out}/model.safetensors", state)
    np.savez(f"{out}/model.npz", **{k: v.numpy() for k, v in state.items()})
    np.save(f"{out}/input.npy", x.numpy())
    np.save(f"{out}/features.npy", features.numpy())
    np.save(f"{out}/logits.npy", logits.numpy())


if __name__ == "__main__":
    out, (batch, height, width, seed) = sys.argv[1], map(int, sys.argv[2:6])
    for arch in sys.argv[6:]:
        os.makedirs(f"{out}/{arch}", exist_ok=True)
        build(arch, f"{out}/{arch}", batch, height, width, seed)
