#!/usr/bin/python3
"""Writes tests/fixtures/latent/latent_losses.safetensors, the PyTorch reference for test_latent_loss:
the VAE's KL term and reparameterised sample and WAE-MMD's penalty with the multi-scale
inverse multiquadratics kernel as the original WAE code computes it (tests/python/wae_mmd.py),
with values and gradients by autograd in float64 from float32 inputs.

Cases (the C test reads the same names; weights, sigma2 in the metadata):
  kl_*:     mean, logvar [5, 8] -> kl = mean_n KL_n, d(weight kl)/d mean, d(weight kl)/d logvar
  rep_*:    mean, logvar, eps [5, 8] -> z = mean + exp(logvar / 2) eps; for loss sum(z dz):
            d/d mean and d/d logvar
  mmdA_*, mmdB_*, mmdC_*: z, prior [N, D] -> mmd, d(weight mmd)/d z

Run with Debian's torch:  /usr/bin/python3 tests/make_latent_fixtures.py
or `cmake --build build --target latent_fixtures`. Seeds are fixed."""
import os
import sys

import torch

from make_fixtures import write_safetensors

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from wae_mmd import mmd_penalty  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "latent", "latent_losses.safetensors")


def leaf(t):
    return t.to(torch.float64).clone().requires_grad_(True)


def kl_batch_mean(mean, logvar):
    return (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()


def main():
    g = torch.Generator().manual_seed(6)
    t, meta = {}, {}

    mean = torch.randn(5, 8, generator=g)
    logvar = 0.8 * torch.randn(5, 8, generator=g)
    weight = 0.7
    m, lv = leaf(mean), leaf(logvar)
    kl = kl_batch_mean(m, lv)
    (weight * kl).backward()
    t.update(kl_mean=mean, kl_logvar=logvar, kl_value=kl.detach().reshape(1), kl_dmean=m.grad, kl_dlogvar=lv.grad)
    meta["kl_weight"] = weight

    eps = torch.randn(5, 8, generator=g)
    dz = torch.randn(5, 8, generator=g)
    m, lv = leaf(mean), leaf(logvar)
    z = m + (0.5 * lv).exp() * eps.to(torch.float64)
    (z * dz.to(torch.float64)).sum().backward()
    t.update(rep_eps=eps, rep_z=z.detach(), rep_dz=dz, rep_dmean=m.grad, rep_dlogvar=lv.grad)

    for name, n, d, sigma2, weight, spread in (("mmdA", 2, 3, 1.0, 1.0, 1.0), ("mmdB", 16, 64, 1.0, 10.0, 1.0),
                                               ("mmdC", 7, 5, 2.0, 100.0, 0.3)):
        qz = spread * torch.randn(n, d, generator=g) + 0.5
        pz = torch.randn(n, d, generator=g) * sigma2 ** 0.5
        q = leaf(qz)
        value = mmd_penalty(q, pz.to(torch.float64), sigma2)
        (weight * value).backward()
        t.update({name + "_z": qz, name + "_prior": pz, name + "_value": value.detach().reshape(1),
                  name + "_dz": q.grad})
        meta[name + "_sigma2"] = sigma2
        meta[name + "_weight"] = weight

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_safetensors(OUT, t, meta)


if __name__ == "__main__":
    main()
