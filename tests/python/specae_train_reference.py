"""PyTorch reference of a spectrogram autoencoder's training run, used by
tests/test_specae_train_torch.c: K steps of a plain float64 loop with torch.optim.Adam,

    for each step:
        x, lo, hi = front end(audio batch)         # |STFT| -> bins below Nyquist -> first frames
                                                    # -> dB (amin 1e-10, top_db per item)
                                                    # -> per-item min-max to [0, 1]
        loss = the model's loss (specae_reference.forward: batch norm in training mode,
               its running statistics updated; the step's eps / prior samples)
        backward; clip_grad_norm_(weights, clip_norm) when clip_norm > 0; Adam step
        spec_stats: per class (or row 0) examples seen, running means of lo and hi

then the last batch's spectrograms once more in eval mode (running statistics; z = the mean).

IN.safetensors (written by the test; the draws are drumforge's): the initial tensors
"init.AE.*" (export names, buffers included), "audio" [K, N, 1, L], "labels" [K, N] (int32),
"eps" and "prior" [K, N, latent], and the metadata "config" (specae_reference's JSON with the
front end's and Adam's settings). OUT.safetensors: the final "AE.*" (running statistics and
spec_stats included), per step "loss", "recon", "reg", "grad_norm" [K] (the norm before
clipping), "spec" [K, N, 1, H, W], "lo", "hi" [K, N], and "eval.mean", "eval.decoded".

Usage: specae_train_reference.py IN.safetensors OUT.safetensors"""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402
from specae_reference import forward, load_f64  # noqa: E402


def front_end(audio, cfg):
    """audio [N, 1, L] -> (spectrograms [N, 1, H, W] in [0, 1], dB minima, dB maxima [N])."""
    n_fft = cfg["n_fft"]
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    mag = torch.stft(audio[:, 0], n_fft, hop_length=cfg["hop"], window=window, center=True, pad_mode="constant",
                     return_complex=True).abs()
    band = mag[:, :n_fft // 2, :cfg["frames"]]
    db = 20 * torch.log10(band.clamp_min(1e-10))
    db = torch.maximum(db, db.amax((1, 2), keepdim=True) - cfg["top_db"])
    lo, hi = db.amin((1, 2)), db.amax((1, 2))
    span = (hi - lo).view(-1, 1, 1)
    spec = torch.where(span > 0, (db - lo.view(-1, 1, 1)) / span.clamp_min(1e-30), torch.zeros_like(db))
    return spec.unsqueeze(1), lo, hi


def main():
    t, meta = load_f64(sys.argv[1])
    cfg = json.loads(meta["config"])
    if cfg["mel_bands"]:
        raise SystemExit("specae_train_reference.py: only linear-frequency spectrograms (mel_bands = 0)")
    init = {k[len("init.AE."):]: v for k, v in t.items() if k.startswith("init.AE.")}
    running = {k: v.clone() for k, v in init.items() if k.endswith((".running_mean", ".running_var"))}
    stats = init["spec_stats"].clone()
    w = {k: v.clone().requires_grad_(True) for k, v in init.items() if k not in running and k != "spec_stats"}
    opt = torch.optim.Adam(w.values(), lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])

    out = {k: [] for k in ("loss", "recon", "reg", "grad_norm", "spec", "lo", "hi")}
    for k in range(t["audio"].shape[0]):
        spec, lo, hi = front_end(t["audio"][k], cfg)
        labels = t["labels"][k]
        r = forward(w, cfg, spec, labels, t["eps"][k], t["prior"][k], running, training=True)
        opt.zero_grad()
        r["loss"].backward()
        norm = torch.nn.utils.clip_grad_norm_(w.values(), cfg["clip_norm"]) if cfg["clip_norm"] > 0 else 0.0
        opt.step()
        for i in range(len(lo)):
            row = stats[int(labels[i]) if cfg["classes"] else 0]
            row[0] += 1
            row[1] += (lo[i] - row[1]) / row[0]
            row[2] += (hi[i] - row[2]) / row[0]
        for name, value in (("loss", r["loss"]), ("recon", r["recon"]), ("reg", r["reg"]), ("grad_norm", norm),
                            ("spec", spec), ("lo", lo), ("hi", hi)):
            out[name].append(torch.as_tensor(value, dtype=torch.float64).detach())
    out = {k: torch.stack(v) for k, v in out.items()}
    with torch.no_grad():
        r = forward(w, cfg, spec, labels, None, None, running, training=False)
    out["eval.mean"], out["eval.decoded"] = r["mean"], r["decoded"]
    for k, v in list(w.items()) + list(running.items()) + [("spec_stats", stats)]:
        out["AE." + k] = v.detach()
    safetensors_io.save(sys.argv[2], {k: v.numpy().astype(np.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
