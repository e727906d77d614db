"""PyTorch counterpart of bench_generate: the same WaveGAN generator (bench/wavegan_torch.py's
Generator, random weights, eval mode, no_grad, eager) making 16384-sample one-shots written
as 16-bit WAV files with soundfile, the way a PyTorch script writes a sample pack. Best of
--repeats runs after a warm-up batch. Prints one JSON line.

usage: generate_torch.py [--device cpu|cuda] [--d 64] [--count 512] [--batch 32] [--repeats 3]
                         [--threads N] [--out DIR]"""
import argparse
import json
import os
import time

import soundfile
import torch

from wavegan_torch import Generator


def run(g, dev, count, batch, out, seed):
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    done = 0
    with torch.no_grad():
        while done < count:
            n = min(batch, count - done)
            z = torch.rand(n, 100, device=dev) * 2 - 1
            audio = g(z).cpu().numpy()
            for i in range(n):
                soundfile.write(os.path.join(out, "sound_%06d.wav" % (done + i)), audio[i, 0], 16000,
                                subtype="PCM_16")
            done += n
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--count", type=int, default=512)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="/tmp/drumforge-bench-generate-torch")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    batch = a.batch or (256 if dev.type == "cuda" else 32)
    os.makedirs(a.out, exist_ok=True)
    g = Generator(a.d).to(dev).eval()
    run(g, dev, batch, batch, a.out, 0)
    best = min(run(g, dev, a.count, batch, a.out, i + 1) for i in range(a.repeats))
    print(json.dumps({"impl": "pytorch " + torch.__version__, "device": dev.type, "threads": torch.get_num_threads(),
                      "d": a.d, "batch": batch, "count": a.count, "seconds": round(best, 4),
                      "sounds_per_second": round(a.count / best, 1)}))


if __name__ == "__main__":
    main()
