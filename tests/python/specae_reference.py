"""PyTorch reference of drumforge's spectrogram autoencoders, used by tests/test_specae_torch.c
(and, for the network and loss, by specae_train_reference.py).

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


def load_f64(path):
    """(tensors as torch, float32 ones widened to float64; metadata) of a safetensors file."""
    tensors, meta = safetensors_io.load(path)
    return {k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v)
            for k, v in tensors.items()}, meta


def block(x, w, prefix, stride, pad, transposed, last, running, training):
    weight, bias = w[prefix + ".conv.weight"], w[prefix + ".conv.bias"]
    if transposed:
        x = F.conv_transpose2d(x, weight, bias, stride=stride, padding=pad,
                               output_padding=(stride[0] - 1, stride[1] - 1))
    else:
        x = F.conv2d(x, weight, bias, stride=stride, padding=pad)
    if last:
        return torch.sigmoid(x)
    x = F.relu(x)
    rm, rv = (running[prefix + ".bn.running_mean"], running[prefix + ".bn.running_var"]) if running else (None, None)
    return F.batch_norm(x, rm, rv, w[prefix + ".bn.weight"], w[prefix + ".bn.bias"], training, 0.1, 1e-5)


def forward(w, cfg, spec, labels, eps, prior, running=None, training=True):
    """The loss of spectrograms spec [N, 1, H, W] with weights w (export names without "AE.").
    running: the batch-norm running statistics (updated in training; used otherwise), or None
    (batch statistics, nothing updated). eps (VAE) or prior (WAE) None: z = mean, no regulariser
    (inference). Returns a dict: loss, recon, reg, decoded, mean."""
    n = spec.shape[0]
    labels = labels.long() if cfg["classes"] else None
    layers, strides, pad, d = len(cfg["filters"]), [tuple(s) for s in cfg["strides"]], cfg["kernel"] // 2, cfg["latent"]

    x = spec
    for i in range(layers):
        x = block(x, w, "encoder.blocks.%d" % i, strides[i], pad, False, False, running, training)
    bottleneck = x.shape[1:]
    feat = x.flatten(1)
    if labels is not None:
        feat = torch.cat([feat, w["encoder.embed.weight"][labels]], 1)
    head = F.linear(feat, w["encoder.fc.weight"], w["encoder.fc.bias"])
    mean = head[:, :d]
    reg = torch.zeros((), dtype=torch.float64)
    if cfg["kind"] == "vae" and cfg["beta"] > 0:
        logvar = head[:, d:]
        z = mean if eps is None else mean + (0.5 * logvar).exp() * eps
        reg = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()
        weight = cfg["beta"]
    else:
        z = mean
        if cfg["kind"] == "wae" and prior is not None:
            reg = mmd_penalty(z, prior, cfg["sigma"] ** 2)
        weight = cfg["mmd_lambda"] if cfg["kind"] == "wae" else 0.0
    zin = z if labels is None else torch.cat([z, w["decoder.embed.weight"][labels]], 1)
    h = F.linear(zin, w["decoder.fc.weight"], w["decoder.fc.bias"]).view(n, *bottleneck)
    for j in range(layers):
        i = layers - 1 - j
        last = i == 0
        h = block(h, w, "decoder.out" if last else "decoder.blocks.%d" % j, strides[i], pad, True, last, running,
                  training)
    recon = ((h - spec) ** 2).mean()
    loss = cfg["recon_weight"] * recon + weight * reg
    return {"loss": loss, "recon": recon, "reg": reg, "decoded": h, "mean": mean}


def main():
    t, meta = load_f64(sys.argv[1])
    cfg = json.loads(meta["config"])
    w = {k[3:]: v.clone().requires_grad_(True) for k, v in t.items() if k.startswith("AE.")}
    r = forward(w, cfg, t["spec"], t["labels"], t["eps"], t["prior"])
    r["loss"].backward()
    out = {k: r[k].detach().reshape(1) for k in ("loss", "recon", "reg")}
    out["decoded"] = r["decoded"].detach()
    for k, v in w.items():
        out["grad.AE." + k] = v.grad if v.grad is not None else torch.zeros_like(v)
    safetensors_io.save(sys.argv[2], {k: v.numpy().astype(np.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
