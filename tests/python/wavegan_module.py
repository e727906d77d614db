"""A plain PyTorch WaveGAN (nn.Module with standard layers) that loads `drumforge export`
files with load_state_dict: the check that exported names, layouts and padding are what a
PyTorch port expects (tests/test_export_import.c), and the README's example of using an export.

The architecture comes from the export's "config" metadata (the experiment's [model] and
[loss] sections) and its "class_names". Padding follows PyTorch ports of the official code: a
stride-s, kernel-K layer pads p = ceil((K - s) / 2) (11 for K = 25, s = 4) and the transposed
convolution adds output_padding = 2p - (K - s) (1), so lengths scale by exactly s.

usage: wavegan_module.py EXPORT.safetensors INPUTS.safetensors OUT.safetensors
  INPUTS: "z" float32 [N, latent_dim] and, for a conditional model, "labels" int32 [N].
  OUT: "audio" = G(z, labels) float32 [N, channels, slice_len], in eval mode."""
import configparser
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402


class Config:
    def __init__(self, ini_text, class_names):
        ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
        ini.read_string(ini_text)
        m = ini["model"] if ini.has_section("model") else {}
        loss = ini["loss"] if ini.has_section("loss") else {}
        self.d = int(m.get("d", 64))
        self.slice_len = int(m.get("slice_len", 16384))
        self.channels = int(m.get("channels", 1))
        self.kernel = int(m.get("kernel", 25))
        self.latent_dim = int(m.get("latent_dim", 100))
        self.upsample = m.get("upsample", "zeros")
        self.post_filter = int(m.get("post_filter", 0))
        self.batchnorm = m.get("batchnorm", "false").lower() in ("true", "1", "yes", "on")
        conditional = m.get("conditional", "false").lower() in ("true", "1", "yes", "on")
        self.n_classes = len(class_names) if conditional else 0
        self.class_embed = int(m.get("class_embed", 32))
        self.leaky_slope = float(m.get("leaky_slope", 0.2))
        self.loss = loss.get("type", "wgan-gp")
        self.layers = 5 if self.slice_len == 16384 else 6

    def stride(self, i):
        return 2 if (i == self.layers - 1 and self.slice_len == 32768) else 4

    def stage_channels(self, i):
        """Channels entering generator up-conv i (the audio channels after the last)."""
        if i == self.layers:
            return self.channels
        return (self.d * (16 if self.layers == 5 else 32)) >> i


def pad_for(kernel, stride):
    return (kernel - stride + 1) // 2


def phase_shuffle(x, shifts):
    """Row n shifted by shifts[n] with reflect padding, as the official code (one shift per
    row here; the official code shares one per batch)."""
    rows = []
    length = x.shape[-1]
    for n, k in enumerate(shifts):
        xn = x[n:n + 1]
        if k > 0:
            xn = F.pad(xn, (k, 0), mode="reflect")[..., :length]
        elif k < 0:
            xn = F.pad(xn, (0, -k), mode="reflect")[..., -k:]
        rows.append(xn)
    return torch.cat(rows, 0)


class Generator(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        c0 = c.stage_channels(0)
        zin = c.latent_dim + (c.class_embed if c.n_classes else 0)
        if c.n_classes:
            self.embed = nn.Embedding(c.n_classes, c.class_embed)
        self.fc = nn.Linear(zin, 16 * c0)
        if c.batchnorm:
            self.fc_bn = nn.BatchNorm1d(c0, eps=1e-3, momentum=0.01)
        ups = []
        for i in range(c.layers):
            cin, cout, s = c.stage_channels(i), c.stage_channels(i + 1), c.stride(i)
            if c.upsample == "zeros":
                p = pad_for(c.kernel, s)
                ups.append(nn.ConvTranspose1d(cin, cout, c.kernel, s, padding=p, output_padding=2 * p - (c.kernel - s)))
            else:
                ups.append(nn.Conv1d(cin, cout, c.kernel, padding=c.kernel // 2))
        self.ups = nn.ModuleList(ups)
        if c.batchnorm:
            self.ups_bn = nn.ModuleList(nn.BatchNorm1d(c.stage_channels(i + 1), eps=1e-3, momentum=0.01)
                                        for i in range(c.layers - 1))
        if c.post_filter:
            self.post = nn.Conv1d(c.channels, c.channels, c.post_filter, padding=c.post_filter // 2, bias=False)

    def forward(self, z, labels=None):
        c = self.c
        if c.n_classes:
            z = torch.cat([z, self.embed(labels)], 1)
        x = self.fc(z).view(z.shape[0], c.stage_channels(0), 16)
        if c.batchnorm:
            x = self.fc_bn(x)
        x = F.relu(x)
        for i, up in enumerate(self.ups):
            if c.upsample != "zeros":
                x = F.interpolate(x, scale_factor=c.stride(i), mode="nearest")
            x = up(x)
            if i < c.layers - 1:
                if c.batchnorm:
                    x = self.ups_bn[i](x)
                x = F.relu(x)
            else:
                x = torch.tanh(x)
        if c.post_filter:
            full = self.post(x)
            x = full[..., full.shape[-1] - c.slice_len:]
        return x


class Critic(nn.Module):
    """The critic; phase shuffle (a training-time augmentation) when forward gets shifts."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        convs = []
        length = c.slice_len
        for j in range(c.layers):
            cin = c.channels if j == 0 else c.d << (j - 1)
            s = c.stride(j)
            convs.append(nn.Conv1d(cin, c.d << j, c.kernel, s, padding=pad_for(c.kernel, s)))
            length //= s
        self.convs = nn.ModuleList(convs)
        if c.batchnorm and c.loss != "wgan-gp":
            self.bns = nn.ModuleDict({str(j): nn.BatchNorm1d(c.d << j, eps=1e-3, momentum=0.01)
                                      for j in range(1, c.layers)})
        features = (c.d << (c.layers - 1)) * length
        self.fc = nn.Linear(features, 1)
        if c.n_classes:
            self.embed = nn.Embedding(c.n_classes, features)

    def forward(self, x, labels=None, shifts=None):
        """shifts[j][n]: row n's phase shuffle after layer j (all but the last); None: none."""
        for j, conv in enumerate(self.convs):
            x = conv(x)
            if hasattr(self, "bns") and j > 0:
                x = self.bns[str(j)](x)
            x = F.leaky_relu(x, self.c.leaky_slope)
            if shifts is not None and j < len(self.convs) - 1:
                x = phase_shuffle(x, shifts[j])
        phi = x.flatten(1)
        out = self.fc(phi)[:, 0]
        if self.c.n_classes:
            out = out + (self.embed(labels) * phi).sum(1)
        return out


def load_modules(path, tensors, meta, prefix=""):
    """(generator, critic, config) from tensors named PREFIX + "G." / "D." + the export names
    and the export's metadata; path names the file in errors."""
    c = Config(meta["config"], json.loads(meta.get("class_names", "[]")))
    g, d = Generator(c), Critic(c)
    for module_prefix, module in ((prefix + "G.", g), (prefix + "D.", d)):
        state = {k[len(module_prefix):]: torch.from_numpy(v) for k, v in tensors.items()
                 if k.startswith(module_prefix)}
        missing, unexpected = module.load_state_dict(state, strict=False)
        # drumforge keeps no batch counter; everything else must match exactly.
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise SystemExit("%s: %s missing %s, unexpected %s" % (path, module_prefix, missing, unexpected))
    return g, d, c


def load_export(path):
    """(generator, critic, config) from a `drumforge export` file, in eval mode."""
    g, d, c = load_modules(path, *safetensors_io.load(path))
    return g.eval(), d.eval(), c


def main():
    g, _, c = load_export(sys.argv[1])
    inputs, _ = safetensors_io.load(sys.argv[2])
    z = torch.from_numpy(inputs["z"])
    labels = torch.from_numpy(inputs["labels"]).long() if c.n_classes else None
    with torch.no_grad():
        audio = g(z, labels)
    safetensors_io.save(sys.argv[3], {"audio": audio.numpy().astype(np.float32)})


if __name__ == "__main__":
    main()
