"""PyTorch reference of drumforge's WaveGAN, used by tests/test_wavegan_torch.c.

The C test writes the model's configuration, weights and inputs (latents, labels, real and
fake batches, interpolation weights, phase-shuffle shifts) to IN.safetensors; this script
rebuilds the same model in PyTorch with those weights, runs it, and writes to OUT.safetensors:
  - the generator's output for the latents and its parameter gradients for
    loss = sum(G(z) * r);
  - the critic's scores and its parameter gradients for the critic loss: for WGAN-GP
    mean D(fake) - mean D(real) + lambda * mean((||dD/dxhat|| - 1)^2), computed by autograd's
    double backward (create_graph=True), the reference for drumforge's tangent method; for
    dcgan, lsgan and hinge their own losses on the real and fake rows (the critic then has
    batch norm after every convolution but the first when the config asks for it, each
    group of rows normalised with its own statistics as a separate call);
  - the generator loss on the fake rows and its gradient with respect to those rows (what
    the generator's update receives through the critic).

Usage: wavegan_reference.py IN.safetensors OUT.safetensors"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402
from wavegan_module import pad_for, phase_shuffle  # noqa: E402


class Generator:
    def __init__(self, cfg, w):
        self.cfg, self.w = cfg, w

    def __call__(self, z, labels):
        c, w = self.cfg, self.w
        if c["classes"]:
            z = torch.cat([z, w["G.embed.weight"][labels]], 1)
        n_up = 5 if c["slice_len"] == 16384 else 6
        c0 = w["G.fc.weight"].shape[0] // 16
        x = F.linear(z, w["G.fc.weight"], w["G.fc.bias"]).view(z.shape[0], c0, 16)
        if c["batchnorm"]:
            x = F.batch_norm(x, None, None, w["G.fc_bn.weight"], w["G.fc_bn.bias"], True, 0.01, 1e-3)
        x = F.relu(x)
        for i in range(n_up):
            stride = 2 if (i == n_up - 1 and c["slice_len"] == 32768) else 4
            wt, b = w["G.ups.%d.weight" % i], w["G.ups.%d.bias" % i]
            if c["upsample"] == "zeros":
                p = pad_for(c["kernel"], stride)
                x = F.conv_transpose1d(x, wt, b, stride=stride, padding=p,
                                       output_padding=2 * p - (c["kernel"] - stride))
            else:
                x = F.interpolate(x, scale_factor=stride, mode="nearest")
                x = F.conv1d(x, wt, b, padding=c["kernel"] // 2)
            if i < n_up - 1:
                if c["batchnorm"]:
                    x = F.batch_norm(x, None, None, w["G.ups_bn.%d.weight" % i],
                                     w["G.ups_bn.%d.bias" % i], True, 0.01, 1e-3)
                x = F.relu(x)
            else:
                x = torch.tanh(x)
        if c["post_filter"]:
            full = F.conv1d(x, w["G.post.weight"], None, padding=c["post_filter"] // 2)
            x = full[..., full.shape[-1] - c["slice_len"]:]
        return x


class Critic:
    def __init__(self, cfg, w):
        self.cfg, self.w = cfg, w

    def __call__(self, x, labels, shifts):
        c, w = self.cfg, self.w
        n_conv = 5 if c["slice_len"] == 16384 else 6
        for j in range(n_conv):
            stride = 2 if (j == n_conv - 1 and c["slice_len"] == 32768) else 4
            x = F.conv1d(x, w["D.convs.%d.weight" % j], w["D.convs.%d.bias" % j], stride=stride,
                         padding=pad_for(c["kernel"], stride))
            if c["critic_bn"] and j > 0:
                x = F.batch_norm(x, None, None, w["D.bns.%d.weight" % j], w["D.bns.%d.bias" % j],
                                 True, 0.01, 1e-3)
            x = F.leaky_relu(x, c["leaky_slope"])
            if j < n_conv - 1:
                x = phase_shuffle(x, shifts[j])
        phi = x.flatten(1)
        out = F.linear(phi, w["D.fc.weight"], w["D.fc.bias"])[:, 0]
        if c["classes"]:
            out = out + (w["D.embed.weight"][labels] * phi).sum(1)
        return out


def critic_loss(kind, s_real, s_fake):
    if kind == "dcgan":
        return (F.softplus(-s_real).mean() + F.softplus(s_fake).mean()) / 2
    if kind == "lsgan":
        return (((s_real - 1) ** 2).mean() + (s_fake ** 2).mean()) / 2
    if kind == "hinge":
        return F.relu(1 - s_real).mean() + F.relu(1 + s_fake).mean()
    return s_fake.mean() - s_real.mean()


def generator_loss(kind, s_fake):
    if kind == "dcgan":
        return F.softplus(-s_fake).mean()
    if kind == "lsgan":
        return ((s_fake - 1) ** 2).mean()
    return -s_fake.mean()


def main():
    torch.use_deterministic_algorithms(True)
    tensors, meta = safetensors_io.load(sys.argv[1])
    cfg = json.loads(meta["config"])
    t = {k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v)
         for k, v in tensors.items()}
    weights = {k: v.clone().requires_grad_(True) for k, v in t.items()
               if k.startswith("G.") or k.startswith("D.")}
    labels = t["labels"].long() if cfg["classes"] else None
    out = {}

    # Generator output and gradients of sum(G(z) * r).
    g = Generator(cfg, weights)
    y = g(t["z"], labels)
    out["g_out"] = y
    (y * t["r"]).sum().backward()
    for k, v in weights.items():
        if k.startswith("G.") and v.grad is not None:
            out["grad." + k] = v.grad.clone()

    # Critic loss, for WGAN-GP with the exact gradient penalty (double backward).
    kind = cfg["loss"]
    d = Critic(cfg, weights)
    shifts = t["shifts"].numpy()  # [layers, 3, N]: real, fake, xhat rows
    n = t["real"].shape[0]
    real, fake, alpha = t["real"], t["fake"], t["alpha"]
    s_real = d(real, labels, shifts[:, 0])
    s_fake = d(fake, labels, shifts[:, 1])
    loss = critic_loss(kind, s_real, s_fake)
    scores = [s_real, s_fake]
    if kind == "wgan-gp":
        xhat = (real + alpha.view(n, 1, 1) * (fake - real)).requires_grad_(True)
        s_hat = d(xhat, labels, shifts[:, 2])
        grad_x, = torch.autograd.grad(s_hat.sum(), xhat, create_graph=True)
        slope = grad_x.flatten(1).norm(dim=1)
        gp = ((slope - 1) ** 2).mean()
        loss = loss + cfg["gp_lambda"] * gp
        scores.append(s_hat)
        out["gp"] = gp.detach().reshape(1)
    for v in weights.values():
        v.grad = None
    loss.backward()
    for k, v in weights.items():
        if k.startswith("D."):
            out["grad." + k] = v.grad.clone() if v.grad is not None else torch.zeros_like(v)
    out["d_scores"] = torch.cat(scores).detach()
    out["d_loss"] = loss.detach().reshape(1)

    # Generator loss on the fake rows, and its gradient with respect to them.
    fake_in = fake.clone().requires_grad_(True)
    g_loss = generator_loss(kind, d(fake_in, labels, shifts[:, 1]))
    dfake, = torch.autograd.grad(g_loss, fake_in)
    out["g_loss"] = g_loss.detach().reshape(1)
    out["g_loss_dfake"] = dfake
    safetensors_io.save(sys.argv[2], {k: v.detach().numpy().astype(np.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
