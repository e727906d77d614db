"""PyTorch reference of a WaveGAN training run, used by tests/test_wavegan_train_torch.c.

The WGAN-GP paper's Algorithm 1 (Gulrajani et al. 2017) as the official WaveGAN code runs it,
written plainly in float64 with the nn.Modules of wavegan_module.py and torch.optim.Adam:

    for each iteration:
        for t in 1..critic_steps:                       # G fixed meanwhile
            x, y = next real batch; z, alpha drawn
            fake = G(z, y)                              # fakes take the real batch's classes
            L_D = critic_loss(D(x), D(fake))
            with WGAN-GP only:
              xhat = x + alpha (fake - x)               # the official code's form (the paper's
                                                        # eps x + (1 - eps) fake with eps = 1 - alpha)
              L_D += lambda mean((||dD(xhat)/dxhat|| - 1)^2)
            Adam step of D on L_D (lr_d)
        z, y drawn (fresh; no real batch)               # classes uniform, as drumforge's design
        L_G = generator_loss(D(G(z, y))); Adam step of G (lr_g)

The losses ([loss] type; r = D(x), f = D(fake), means over the batch, sp = softplus) are the
standard ones with the official code's factors:
    wgan-gp  L_D = mean f - mean r (+ the penalty)                L_G = -mean f
    dcgan    L_D = (mean sp(-r) + mean sp(f)) / 2 (non-saturating) L_G = mean sp(-f)
    lsgan    L_D = (mean (r - 1)^2 + mean f^2) / 2                L_G = mean (f - 1)^2
    hinge    L_D = mean relu(1 - r) + mean relu(1 + f)            L_G = -mean f
With critic batch norm (not with WGAN-GP) each critic call normalises with its own batch
statistics and updates the running ones, the real call first.

Each critic call (D(x), D(fake), D(xhat), and the generator step's D) has its own phase-shuffle
shift per layer, shared by the rows of that call, as in the official code. Every random input
comes from IN.safetensors (drawn by drumforge): "real" [S, N, C, L], "real_labels" [S, N],
"z_d" [S, N, latent], "alpha" [S, N], "shifts_d" [S, layers - 1, 3] (real, fake, xhat calls; the xhat
column unused without the penalty),
"z_g" [K, N, latent], "labels_g" [K, N], "shifts_g" [K, layers - 1]; the initial weights are
"init.G.*" / "init.D.*" (export names) and the metadata "config" (the experiment's INI, with
[optim] lr_g, lr_d, beta1, beta2, critic_steps and [loss] type, gp_lambda) and "class_names".

Writes to OUT.safetensors the final weights "G.*" / "D.*" (batch-norm running statistics
included), the critic loss of every critic
step "d_loss" [S] and the generator loss of every iteration "g_loss" [K].

Usage: wavegan_train_reference.py IN.safetensors OUT.safetensors"""
import configparser
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_io  # noqa: E402
from wavegan_module import load_modules  # noqa: E402


def main():
    torch.use_deterministic_algorithms(True)
    tensors, meta = safetensors_io.load(sys.argv[1])
    g, d, c = load_modules(sys.argv[1], tensors, meta, prefix="init.")
    g, d = g.double().train(), d.double().train()
    ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    ini.read_string(meta["config"])
    optim = ini["optim"]
    betas = (float(optim.get("beta1", 0.5)), float(optim.get("beta2", 0.9)))
    critic_steps = int(optim.get("critic_steps", 5))
    gp_lambda = float(ini["loss"].get("gp_lambda", 10.0)) if ini.has_section("loss") else 10.0
    # drumforge's Adam is PyTorch's (eps 1e-8 added to sqrt(v_hat)).
    opt_g = torch.optim.Adam(g.parameters(), lr=float(optim.get("lr_g", 1e-4)), betas=betas, eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=float(optim.get("lr_d", 1e-4)), betas=betas, eps=1e-8)

    t = {k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in tensors.items()}
    real, alpha, z_d, z_g = t["real"], t["alpha"], t["z_d"], t["z_g"]
    real_labels, labels_g = t["real_labels"].long(), t["labels_g"].long()
    shifts_d, shifts_g = t["shifts_d"].numpy(), t["shifts_g"].numpy()
    n = real.shape[1]

    def call_shifts(per_layer):
        """One shift per layer for every row of a critic call."""
        return [[int(k)] * n for k in per_layer]

    def classes(y):
        return y if c.n_classes else None

    def fakes_for_critic(z, y):
        """G(z, y) with batch statistics, its running statistics left alone: the official code
        updates them with the generator's step only (its update ops hang on G's train op)."""
        saved = {k: v.clone() for k, v in g.named_buffers()}
        with torch.no_grad():
            fake = g(z, y)
            for k, v in g.named_buffers():
                v.copy_(saved[k])
        return fake

    sp, relu = torch.nn.functional.softplus, torch.relu

    def critic_loss(d_real, d_fake):
        """L_D from the scores of the real and fake calls (the penalty is added by the caller)."""
        if c.loss == "dcgan":  # non-saturating GAN, halved as the official code does
            return (sp(-d_real).mean() + sp(d_fake).mean()) / 2
        if c.loss == "lsgan":  # targets b = 1 (real), a = 0 (fake), with the paper's 1/2
            return (((d_real - 1) ** 2).mean() + (d_fake ** 2).mean()) / 2
        if c.loss == "hinge":
            return relu(1 - d_real).mean() + relu(1 + d_fake).mean()
        return d_fake.mean() - d_real.mean()

    def generator_loss(d_fake):
        if c.loss == "dcgan":
            return sp(-d_fake).mean()
        if c.loss == "lsgan":  # target c = 1, without the paper's 1/2 (the official code's form)
            return ((d_fake - 1) ** 2).mean()
        return -d_fake.mean()  # WGAN-GP and hinge

    d_losses, g_losses = [], []
    for it in range(z_g.shape[0]):
        for k in range(critic_steps):
            s = it * critic_steps + k
            x, y = real[s], classes(real_labels[s])
            fake = fakes_for_critic(z_d[s], y)
            # Real first: with critic batch norm the running statistics see the calls in order.
            d_real = d(x, y, call_shifts(shifts_d[s, :, 0]))
            loss = critic_loss(d_real, d(fake, y, call_shifts(shifts_d[s, :, 1])))
            if c.loss == "wgan-gp":
                xhat = (x + alpha[s].view(n, 1, 1) * (fake - x)).requires_grad_(True)
                grad, = torch.autograd.grad(d(xhat, y, call_shifts(shifts_d[s, :, 2])).sum(), xhat,
                                            create_graph=True)
                loss = loss + gp_lambda * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            d_losses.append(loss.item())
        y = classes(labels_g[it])
        loss = generator_loss(d(g(z_g[it], y), y, call_shifts(shifts_g[it])))
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        g_losses.append(loss.item())

    out = {"d_loss": np.array(d_losses), "g_loss": np.array(g_losses)}
    for prefix, module in (("G.", g), ("D.", d)):
        for name, v in module.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                out[prefix + name] = v.numpy()
    safetensors_io.save(sys.argv[2], {k: v.astype(np.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
