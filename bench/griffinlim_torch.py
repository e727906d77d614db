#!/usr/bin/python3
"""torchaudio's Griffin-Lim on the magnitudes written by bench_griffinlim --write-input: the same
work (n_fft 512, hop 128, Hann, centred, reflect, momentum, random initial phase, length 16000)
timed the same way (best and median of --repeat runs after a warm-up), with the same spectral
convergence ||S - |STFT(x)||| / ||S|| per item. Prints one RESULT line like bench_griffinlim.

torchaudio.transforms.GriffinLim takes a power spectrogram by default (power=2); the file holds
magnitudes, so it runs with power=1 (equivalent to passing S^2 with power=2, minus a sqrt)."""
import argparse
import statistics
import time

import numpy as np
import torch
import torchaudio

N_FFT, HOP, LENGTH = 512, 128, 16000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=32)
    ap.add_argument("--momentum", type=float, default=0.99)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    bins = N_FFT // 2 + 1
    mag = torch.from_numpy(np.fromfile(a.input, dtype="<f4")).reshape(a.batch, bins, -1)
    dev = torch.device(a.device)
    mag = mag.to(dev)
    window = torch.hann_window(N_FFT, device=dev)
    gl = torchaudio.transforms.GriffinLim(n_fft=N_FFT, n_iter=a.iters, win_length=N_FFT,
                                          hop_length=HOP, power=1.0, momentum=a.momentum,
                                          length=LENGTH, rand_init=True).to(dev)
    times = []
    with torch.no_grad():
        for r in range(a.repeat + 1):  # run 0 warms up
            torch.manual_seed(1)  # the same initial phases every run
            t0 = time.perf_counter()
            audio = gl(mag)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        rebuilt = torch.stft(audio, N_FFT, HOP, window=window, center=True, pad_mode="reflect",
                             return_complex=True).abs()
        sc = ((mag - rebuilt).flatten(1).norm(dim=1) / mag.flatten(1).norm(dim=1)).cpu()
    times = sorted(times[1:])
    best, median = times[0], statistics.median(times)
    print("RESULT impl=torchaudio device=%s batch=%d iters=%d momentum=%g best_s=%.4f median_s=%.4f "
          "per_s=%.1f sc_mean=%.4f sc_max=%.4f threads=%d torch=%s torchaudio=%s"
          % (dev.type, a.batch, a.iters, a.momentum, best, median, a.batch / best,
             sc.mean().item(), sc.max().item(), torch.get_num_threads(), torch.__version__,
             torchaudio.__version__), flush=True)


if __name__ == "__main__":
    main()
