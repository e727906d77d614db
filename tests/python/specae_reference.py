"""PyTorch reference of drumforge's spectrogram autoencoders, used by tests/test_specae_torch.c.

The C test writes the model's configuration, weights (every trainable "AE.*" tensor) and the
inputs of one training loss evaluation (normalised spectrograms, class labels, the VAE's noise
eps and the WAE's prior samples) to IN.safetensors; this script rebuilds the network in
PyTorch (float64, autograd), evaluates the same loss, and writes to OUT.safetensors the loss,
the reconstruction error, the regulariser, the decoded spectrograms and the gradient of the
loss with respect to every weight ("grad.AE.<name>").

  encoder: [Conv2d(stride, 'same' padding) -> ReLU -> BatchNorm(training)] per layer,
           flatten, [| embed(label)], Linear -> mean (| log-variance)
  decoder: [z | embed(label)] -> Linear -> bottleneck shape -> [ConvTranspose2d -> ReLU ->
           BatchNorm] for layers n-1 .. 1 -> ConvTranspose2d(to 1 channel, layer 0's stride)
           -> sigmoid
  loss:    w mean((x_hat - x)^2) + beta KL (VAE) | lambda MMD_IMQ (WAE, the original WAE code)

Usage: specae_reference.py IN.safetensors OUT.safetensors"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402
from wae_mmd import mmd_penalty  # noqa: E402


def block(x, w, prefix, stride, pad, transposed, last=False):
    weight, bias = w[prefix + ".conv.weight"], w[prefix + ".conv.bias"]
    if transposed:
        x = F.conv_transpose2d(x, weight, bias, stride=stride, padding=pad,
                               output_padding=(stride[0] - 1, stride[1] - 1))
    else:
        x = F.conv2d(x, weight, bias, stride=stride, padding=pad)
    if last:
        return torch.sigmoid(x)
    x = F.relu(x)
    return F.batch_norm(x, None, None, w[prefix + ".bn.weight"], w[prefix + ".bn.bias"], True, 0.1, 1e-5)


def main():
    tensors, meta = safetensors_io.load(sys.argv[1])
    cfg = json.loads(meta["config"])
    t = {k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in tensors.items()}
    w = {k: v.clone().requires_grad_(True) for k, v in t.items() if k.startswith("AE.")}
    w = {k[3:]: v for k, v in w.items()}
    spec = t["spec"]
    n = spec.shape[0]
    labels = t["labels"].long() if cfg["classes"] else None
    layers, strides, pad, d = len(cfg["filters"]), [tuple(s) for s in cfg["strides"]], cfg["kernel"] // 2, cfg["latent"]

    x = spec
    for i in range(layers):
        x = block(x, w, "encoder.blocks.%d" % i, strides[i], pad, False)
    bottleneck = x.shape[1:]
    feat = x.flatten(1)
    if labels is not None:
        feat = torch.cat([feat, w["encoder.embed.weight"][labels]], 1)
    head = F.linear(feat, w["encoder.fc.weight"], w["encoder.fc.bias"])
    mean = head[:, :d]
    reg = torch.zeros((), dtype=torch.float64)
    if cfg["kind"] == "vae" and cfg["beta"] > 0:
        logvar = head[:, d:]
        z = mean + (0.5 * logvar).exp() * t["eps"]
        reg = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()
        weight = cfg["beta"]
    else:
        z = mean
        if cfg["kind"] == "wae":
            reg = mmd_penalty(z, t["prior"], cfg["sigma"] ** 2)
        weight = cfg["mmd_lambda"] if cfg["kind"] == "wae" else 0.0
    zin = z if labels is None else torch.cat([z, w["decoder.embed.weight"][labels]], 1)
    h = F.linear(zin, w["decoder.fc.weight"], w["decoder.fc.bias"]).view(n, *bottleneck)
    for j in range(layers):
        i = layers - 1 - j
        last = i == 0
        h = block(h, w, "decoder.out" if last else "decoder.blocks.%d" % j, strides[i], pad, True, last)
    recon = ((h - spec) ** 2).mean()
    loss = cfg["recon_weight"] * recon + weight * reg
    loss.backward()
    out = {"loss": loss.detach().reshape(1), "recon": recon.detach().reshape(1), "reg": reg.detach().reshape(1),
           "decoded": h.detach()}
    for k, v in w.items():
        out["grad.AE." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    safetensors_io.save(sys.argv[2], {k: v.numpy().astype(np.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
