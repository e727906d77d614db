"""PyTorch WaveGAN training iteration, the way PyTorch ports of the official code do it
(nn.Module layers, phase shuffle, WGAN-GP by autograd.grad(create_graph=True), Adam), for
side-by-side timing with bench_wavegan. Prints one JSON line.

usage: wavegan_torch.py [--device cpu|cuda] [--d 64] [--batch 64] [--iters 3] [--warmup 1]
                        [--critic-steps 5] [--threads N]"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class PhaseShuffle(nn.Module):
    def __init__(self, rad):
        super().__init__()
        self.rad = rad

    def forward(self, x):
        if self.rad == 0:
            return x
        k = int(torch.randint(-self.rad, self.rad + 1, (1,)))
        if k == 0:
            return x
        n = x.shape[-1]
        if k > 0:
            return F.pad(x, (k, 0), mode="reflect")[..., :n]
        return F.pad(x, (0, -k), mode="reflect")[..., -k:]


class Generator(nn.Module):
    def __init__(self, d=64, latent=100, c=1):
        super().__init__()
        self.d = d
        self.fc = nn.Linear(latent, 256 * d)
        chans = [16 * d, 8 * d, 4 * d, 2 * d, d, c]
        self.ups = nn.ModuleList(nn.ConvTranspose1d(chans[i], chans[i + 1], 25, 4, padding=11, output_padding=1)
                                 for i in range(5))

    def forward(self, z):
        x = F.relu(self.fc(z).view(-1, 16 * self.d, 16))
        for i, up in enumerate(self.ups):
            x = up(x)
            x = torch.tanh(x) if i == 4 else F.relu(x)
        return x


class Critic(nn.Module):
    def __init__(self, d=64, c=1):
        super().__init__()
        chans = [c, d, 2 * d, 4 * d, 8 * d, 16 * d]
        self.convs = nn.ModuleList(nn.Conv1d(chans[i], chans[i + 1], 25, 4, padding=11) for i in range(5))
        self.shuffle = PhaseShuffle(2)
        self.fc = nn.Linear(256 * d, 1)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), 0.2)
            if i < 4:
                x = self.shuffle(x)
        return self.fc(x.flatten(1))[:, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--critic-steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    G, D = Generator(a.d).to(dev), Critic(a.d).to(dev)
    opt_g = torch.optim.Adam(G.parameters(), 1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), 1e-4, betas=(0.5, 0.9))
    n = a.batch

    def iteration():
        for _ in range(a.critic_steps):
            real = torch.rand(n, 1, 16384, device=dev) - 0.5
            z = torch.rand(n, 100, device=dev) * 2 - 1
            with torch.no_grad():
                fake = G(z)
            alpha = torch.rand(n, 1, 1, device=dev)
            xhat = (real + alpha * (fake - real)).requires_grad_(True)
            grad, = torch.autograd.grad(D(xhat).sum(), xhat, create_graph=True)
            gp = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss_d = D(fake).mean() - D(real).mean() + 10 * gp
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        z = torch.rand(n, 100, device=dev) * 2 - 1
        loss_g = -D(G(z)).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return loss_d

    for _ in range(a.warmup):
        iteration()
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.iters):
        loss = iteration()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    per_iter = (time.perf_counter() - t0) / a.iters
    peak = (torch.cuda.max_memory_allocated() if dev.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps({"impl": "pytorch " + torch.__version__, "device": dev.type,
                      "threads": torch.get_num_threads(), "d": a.d, "batch": n,
                      "critic_steps": a.critic_steps, "seconds_per_iter": round(per_iter, 4),
                      "peak_bytes": int(peak), "d_loss": float(loss)}))


if __name__ == "__main__":
    main()
