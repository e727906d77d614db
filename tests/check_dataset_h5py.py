#!/usr/bin/env python3
"""Independent check of `drumforge prepare` output with h5py and soundfile.

Writes a small sample bank (WAV 16-bit, FLAC 24-bit, float stereo, a corrupt file), runs the
drumforge command on it, and checks with h5py that the shards hold exactly the files' samples
(read here with soundfile, mixed to mono, zero-padded), the labels of their folders, the
attributes, the split enum and that every string is fixed-length in HDF5 1.10's file format
(dataset format version 2: nothing in HDF5's global heap, checksummed metadata); that int16 shards scale back within half a step; that
manifest.json counts and rejects what it should; and that `drumforge inspect` reads an HDF5
file laid out by h5py (chunked, gzip, float64). Exit code 77 (CTest: skipped) without h5py.

usage: check_dataset_h5py.py DRUMFORGE_EXE WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
    import soundfile as sf
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def run(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def main():
    exe, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    bank = os.path.join(work, "bank")
    rate, length = 16000, 4096
    t = np.arange(3000) / rate
    files = {
        "kick/k0.wav": (np.exp(-8 * t) * np.sin(2 * np.pi * 60 * t) * 0.8, "PCM_16"),
        "snare/s0.flac": (np.exp(-20 * t) * np.sin(2 * np.pi * 200 * t) * 0.5, "PCM_24"),
        "hh/h0 stereo.wav": (np.stack([np.sin(2 * np.pi * 7000 * t) * 0.3,
                                       np.sin(2 * np.pi * 5000 * t) * 0.2], axis=1), "FLOAT"),
        "kick/k1.wav": (np.exp(-5 * t) * np.sin(2 * np.pi * 50 * t) * 0.9, "PCM_16"),
    }
    for rel, (x, sub) in files.items():
        os.makedirs(os.path.dirname(os.path.join(bank, rel)), exist_ok=True)
        sf.write(os.path.join(bank, rel), x, rate, subtype=sub)
    with open(os.path.join(bank, "kick", "broken.wav"), "wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVEjunk")

    out = os.path.join(work, "ds")
    r = run(exe, "prepare", "--input", bank, "--out", out, "--rate", str(rate), "--length", str(length),
            "--no-trim", "--split", "100,0,0", "--quiet")
    check(r.returncode == 0, "drumforge prepare succeeds")
    with open(os.path.join(out, "train-00000.h5"), "rb") as raw:
        version = raw.read(9)[8]
    check(version == 3, f"superblock version {version} (3: HDF5 1.10's format, checksummed)")
    with h5py.File(os.path.join(out, "train-00000.h5"), "r") as f:
        a = f.attrs
        names = [n.decode() for n in a["class_names"]]
        check(a["format"] == b"drumforge-dataset" and a["format_version"] == 2 and a["kind"] == b"oneshots",
              "format attributes")
        types = {f"attribute {k}": a.get_id(k).dtype for k in a}
        types.update({f"dataset {k}": f[k].dtype for k in f})
        for k in f["audio"].attrs:
            types[f"audio attribute {k}"] = f["audio"].attrs.get_id(k).dtype
        varying = [k for k, t in types.items() if h5py.check_vlen_dtype(t) is not None
                   or (h5py.check_string_dtype(t) is not None and h5py.check_string_dtype(t).length is None)]
        check(not varying, f"no variable-length type (found: {varying})")
        strings = [k for k, t in types.items() if h5py.check_string_dtype(t) is not None]
        check(all(h5py.check_string_dtype(types[k]).encoding == "utf-8" for k in strings) and
              "dataset source" in strings and "attribute class_names" in strings,
              f"UTF-8 fixed-length strings: {strings}")
        check(a["sample_rate"] == rate and a["slice_length"] == length and a["channels"] == 1,
              "rate, length, channels attributes")
        check(names[:2] == ["kick", "snare"] and len(names) == 11, f"class names {names}")
        audio = f["audio"]
        n = audio.shape[0]
        check(audio.dtype == np.float32 and audio.shape == (4, 1, length), f"audio {audio.dtype} {audio.shape}")
        check(audio.attrs["scale"] == 1.0, "scale attribute 1 for float32")
        check(f["label"].dtype == np.int32 and f["label"].shape == (n,), "label int32 [N]")
        enum = h5py.check_enum_dtype(f["split"].dtype)
        check(enum == {"train": 0, "validation": 1, "test": 2} and set(f["split"][:]) == {0},
              f"split enum {enum}")
        sources = list(f["source"].asstr()[:])
        groups = list(f["group"].asstr()[:])
        want_label = {"kick": names.index("kick"), "snare": names.index("snare"), "hh": names.index("hh_closed")}
        for i, src in enumerate(sources):
            rel = os.path.relpath(src, bank)
            x, _ = sf.read(src, dtype="float32", always_2d=True)
            mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
            want = np.zeros(length, np.float32)
            want[: len(mono)] = mono
            err = np.abs(audio[i, 0] - want).max()
            check(err <= 1e-6, f"{rel}: samples equal the file's (mono, zero-padded), max error {err:.2g}")
            folder = rel.split("/")[0]
            check(f["label"][i] == want_label[folder], f"{rel}: label {f['label'][i]} = {folder}")
            check(groups[i] == "bank/" + folder, f"{rel}: group {groups[i]}")

    m = json.load(open(os.path.join(out, "manifest.json")))
    check(m["counts"]["train"]["classes"]["kick"] == 2 and m["counts"]["train"]["examples"] == 4,
          "manifest counts per class and split")
    check(len(m["rejected"]) == 1 and m["rejected"][0]["path"].endswith("broken.wav")
          and m["rejected"][0]["reason"], f"manifest rejects broken.wav: {m['rejected']}")
    check(m["settings"]["rate"] == rate and m["settings"]["length"] == length, "manifest settings")

    out16 = os.path.join(work, "ds16")
    r = run(exe, "prepare", "--input", bank, "--out", out16, "--rate", str(rate), "--length", str(length),
            "--no-trim", "--split", "100,0,0", "--dtype", "int16", "--quiet")
    check(r.returncode == 0, "drumforge prepare --dtype int16 succeeds")
    with h5py.File(os.path.join(out16, "train-00000.h5"), "r") as f16, \
            h5py.File(os.path.join(out, "train-00000.h5"), "r") as f32:
        scale = f16["audio"].attrs["scale"]
        err = np.abs(f16["audio"][:] * scale - f32["audio"][:]).max()
        check(f16["audio"].dtype == np.int16 and err <= scale / 2 + 1e-7,
              f"int16 audio * scale matches float32 within half a step ({err:.2g} <= {scale / 2:.2g})")

    foreign = os.path.join(work, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f.create_dataset("audio", data=np.random.default_rng(0).standard_normal((7, 300)),
                         chunks=(2, 300), compression="gzip")
    r = run(exe, "inspect", foreign)
    check(r.returncode == 0 and "7 examples" in r.stdout, "drumforge inspect reads an h5py-written file")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
