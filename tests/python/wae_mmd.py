"""WAE-MMD's estimator with the multi-scale inverse multiquadratics kernel, as the original WAE
code (Tolstikhin et al., wae.py's mmd_penalty, 'IMQ' branch) computes it, in torch. Shared by
tests/make_latent_fixtures.py and tests/python/specae_reference.py."""
import torch

MMD_SCALES = [.1, .2, .5, 1., 2., 5., 10.]


def mmd_penalty(qz, pz, sigma2):
    """qz: encoded latents [N, D]; pz: prior samples [N, D]; sigma2: the prior's variance."""
    n, zdim = qz.shape
    nf = float(n)
    norms_pz = (pz ** 2).sum(1, keepdim=True)
    dist_pz = norms_pz + norms_pz.t() - 2.0 * pz @ pz.t()
    norms_qz = (qz ** 2).sum(1, keepdim=True)
    dist_qz = norms_qz + norms_qz.t() - 2.0 * qz @ qz.t()
    distances = norms_qz + norms_pz.t() - 2.0 * qz @ pz.t()
    c_base = 2.0 * zdim * sigma2
    off_diag = 1.0 - torch.eye(n, dtype=qz.dtype)
    stat = 0.0
    for scale in MMD_SCALES:
        c = c_base * scale
        res1 = c / (c + dist_qz) + c / (c + dist_pz)
        res1 = (res1 * off_diag).sum() / (nf * nf - nf)
        res2 = (c / (c + distances)).sum() * 2.0 / (nf * nf)
        stat = stat + res1 - res2
    return stat
