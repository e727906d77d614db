#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for test_ops_torch: small safetensors files, one per
case, each holding the inputs, the outputs and every gradient of loss = sum(y * r) for one op
(dense, conv1d, conv_transpose1d, conv2d, conv_transpose2d, batch norm in training, Adam).
The op and its parameters are in the file's __metadata__.

Run with Debian's python3 (torch CPU):  /usr/bin/python3 tests/make_fixtures.py [OUT_DIR]
or `cmake --build build --target fixtures`. Seeds are fixed, so a rerun with the same torch
gives the same files."""
import json
import os
import struct
import sys

import numpy as np
import torch

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def write_safetensors(path, tensors, metadata):
    """The safetensors layout by hand: u64 header length, JSON header padded with spaces to
    a multiple of 8, then the little-endian data of the tensors sorted by name."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().numpy().astype("<f4"))
        blob = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def with_grads(fn, inputs, grad_names):
    """Runs y = fn(**inputs) and y.backward(r); returns y, r and the named gradients."""
    leaves = {k: v.clone().requires_grad_(k in grad_names) for k, v in inputs.items()}
    y = fn(**leaves)
    r = randn(*y.shape)
    (y * r).sum().backward()
    out = {"y": y, "r": r}
    for k in grad_names:
        out["d" + k] = leaves[k].grad
    return out


def conv_case(out_dir, name, op, x_shape, w_shape, stride, padding, output_padding=0, bias=True):
    torch.manual_seed(sum(map(ord, name)))
    inputs = {"x": randn(*x_shape), "w": randn(*w_shape) * 0.3}
    if bias:
        inputs["b"] = randn(w_shape[1] if op.startswith("conv_transpose") else w_shape[0])
    F = torch.nn.functional
    fns = {
        "conv1d": lambda x, w, b=None: F.conv1d(x, w, b, stride, padding),
        "conv2d": lambda x, w, b=None: F.conv2d(x, w, b, stride, padding),
        "conv_transpose1d": lambda x, w, b=None: F.conv_transpose1d(x, w, b, stride, padding,
                                                                    output_padding),
        "conv_transpose2d": lambda x, w, b=None: F.conv_transpose2d(x, w, b, stride, padding,
                                                                    output_padding),
    }
    tensors = dict(inputs)
    tensors.update(with_grads(fns[op], inputs, list(inputs)))
    pair = lambda v: v if isinstance(v, (tuple, list)) else (v, v)
    meta = {"op": op, "bias": int(bias)}
    if op.endswith("1d"):
        meta.update(stride=stride, padding=padding)
    else:
        meta.update(stride_h=pair(stride)[0], stride_w=pair(stride)[1],
                    padding_h=pair(padding)[0], padding_w=pair(padding)[1])
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors, meta)


def dense_case(out_dir, name, n, fin, fout, bias=True):
    torch.manual_seed(sum(map(ord, name)))
    inputs = {"x": randn(n, fin), "w": randn(fout, fin) * 0.3}
    if bias:
        inputs["b"] = randn(fout)
    tensors = dict(inputs)
    tensors.update(with_grads(lambda x, w, b=None: torch.nn.functional.linear(x, w, b), inputs,
                              list(inputs)))
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors,
                      {"op": "dense", "bias": int(bias)})


def batchnorm_case(out_dir, name, shape, momentum=0.1, eps=1e-5):
    torch.manual_seed(sum(map(ord, name)))
    c = shape[1]
    x = randn(*shape) * 2 + 0.5
    gamma, beta = torch.rand(c) + 0.5, randn(c)
    rm0, rv0 = randn(c) * 0.1, torch.rand(c) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    leaves = [t.clone().requires_grad_(True) for t in (x, gamma, beta)]
    y, save_mean, save_invstd = torch.native_batch_norm(leaves[0], leaves[1], leaves[2], rm, rv,
                                                        True, momentum, eps)
    r = randn(*y.shape)
    (y * r).sum().backward()
    tensors = {"x": x, "gamma": gamma, "beta": beta, "running_mean_in": rm0,
               "running_var_in": rv0, "y": y, "r": r, "running_mean": rm, "running_var": rv,
               "save_mean": save_mean, "save_invstd": save_invstd, "dx": leaves[0].grad,
               "dgamma": leaves[1].grad, "dbeta": leaves[2].grad}
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors,
                      {"op": "batchnorm_train", "momentum": momentum, "eps": eps})


def adam_case(out_dir, name, steps, weight_decay):
    torch.manual_seed(sum(map(ord, name)))
    lr, betas, eps = 1e-3, (0.5, 0.9), 1e-8
    p0 = randn(257)
    p = torch.nn.Parameter(p0.clone())
    opt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    tensors = {"param_in": p0}
    for t in range(1, steps + 1):
        g = randn(257) * 0.1
        tensors["grad%d" % t] = g
        p.grad = g.clone()
        opt.step()
    state = opt.state[p]
    tensors.update(param=p.detach(), exp_avg=state["exp_avg"], exp_avg_sq=state["exp_avg_sq"])
    write_safetensors(os.path.join(out_dir, name + ".safetensors"), tensors,
                      {"op": "adam", "steps": steps, "lr": lr, "beta1": betas[0],
                       "beta2": betas[1], "eps": eps, "weight_decay": weight_decay})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "fixtures")
    os.makedirs(out, exist_ok=True)
    dense_case(out, "dense", 3, 5, 4)
    dense_case(out, "dense_nobias_batch1", 1, 7, 3, bias=False)
    conv_case(out, "conv1d_s2p2", "conv1d", (2, 3, 17), (4, 3, 5), 2, 2)
    conv_case(out, "conv1d_wavegan_k25s4p11", "conv1d", (2, 2, 64), (3, 2, 25), 4, 11)
    conv_case(out, "conv1d_batch1_nobias", "conv1d", (1, 2, 9), (3, 2, 3), 1, 0, bias=False)
    conv_case(out, "conv_transpose1d_s2p2op1", "conv_transpose1d", (2, 3, 9), (3, 4, 5), 2, 2, 1)
    conv_case(out, "conv_transpose1d_wavegan_k25s4p11op1", "conv_transpose1d", (2, 4, 16),
              (4, 2, 25), 4, 11, 1)
    conv_case(out, "conv_transpose1d_batch1_nobias", "conv_transpose1d", (1, 3, 5), (3, 2, 4),
              3, 1, 2, bias=False)
    for s, op in ((1, 0), (2, 1), ((2, 1), (1, 0))):
        tag = "s%d%d" % ((s, s) if isinstance(s, int) else s)
        conv_case(out, "conv2d_k3_" + tag, "conv2d", (2, 3, 7, 6), (4, 3, 3, 3), s, 1)
        conv_case(out, "conv_transpose2d_k3_" + tag, "conv_transpose2d", (2, 3, 4, 5),
                  (3, 2, 3, 3), s, 1, op)
    batchnorm_case(out, "batchnorm1d_train", (4, 3, 5))
    batchnorm_case(out, "batchnorm2d_train", (2, 3, 4, 5), momentum=0.2, eps=1e-3)
    batchnorm_case(out, "batchnorm_features_train", (6, 4))
    adam_case(out, "adam", 3, 0.0)
    adam_case(out, "adam_weight_decay", 3, 0.01)


if __name__ == "__main__":
    main()
