#!/usr/bin/python3
"""Writes the DSP test fixtures, tests/fixtures/dsp/dsp.safetensors, with PyTorch and
torchaudio on the CPU: STFT, inverse STFT, Mel filterbanks, dB and Griffin-Lim results. The C
tests (tests/test_dsp_*.c) use the same configurations as below. Seeds are fixed, so a rerun
with the same torch gives the same file.

Run with Debian's torch:  /usr/bin/python3 tests/make_dsp_fixtures.py
"""
import math
import os

import torch
import torchaudio

from make_fixtures import write_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "dsp")
tensors = {}


def save(name, t):
    tensors[name] = t.detach().to(torch.float32).contiguous()


def signal(batch, length, seed):
    """Decaying tones plus noise: a drum-like test signal."""
    g = torch.Generator().manual_seed(seed)
    n = torch.arange(length, dtype=torch.float64)
    x = torch.zeros(batch, length, dtype=torch.float64)
    for b in range(batch):
        f0 = 0.01 + 0.05 * torch.rand(1, generator=g, dtype=torch.float64)
        x[b] = torch.sin(2 * math.pi * f0 * n * (1 - n / (4 * length))) * torch.exp(-n / (length / 3))
        x[b] += 0.2 * torch.randn(length, generator=g, dtype=torch.float64) * torch.exp(-n / (length / 8))
    return x.to(torch.float32)


def stft(x, n_fft, hop, win, center, pad_mode):
    return torch.stft(x, n_fft, hop_length=hop, win_length=win, window=torch.hann_window(win),
                      center=center, pad_mode=pad_mode, normalized=False, onesided=True,
                      return_complex=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)

    # ---- STFT (test_dsp_stft.c): three configurations on one signal.
    x = signal(2, 600, 1)
    save("stft_signal", x)
    save("stft_a", torch.view_as_real(stft(x, 256, 64, 256, True, "reflect")))
    save("stft_b", torch.view_as_real(stft(x, 200, 50, 120, True, "constant")))
    save("stft_c", torch.view_as_real(stft(x, 255, 100, 255, False, "reflect")))
    # torch.istft of a random (inconsistent) spectrum, configuration a.
    spec = torch.randn(2, 129, 10, 2)
    save("istft_a_in", spec)
    save("istft_a_out", torch.istft(torch.view_as_complex(spec), 256, hop_length=64, win_length=256,
                                    window=torch.hann_window(256), center=True, length=600))

    # ---- Mel filterbanks (test_dsp_mel.c), computed in float64 by torchaudio.
    torch.set_default_dtype(torch.float64)
    for scale in ("slaney", "htk"):
        for norm in ("slaney", "none"):
            fb = torchaudio.functional.melscale_fbanks(129, 0.0, 8000.0, 24, 16000,
                                                       norm=None if norm == "none" else norm,
                                                       mel_scale=scale)
            save("mel_%s_%s" % (scale, norm), fb.T)
    # librosa.filters.mel(sr=22050, n_fft=512, n_mels=40, fmin=30, fmax=7000) (its defaults).
    fb = torchaudio.functional.melscale_fbanks(257, 30.0, 7000.0, 40, 22050, norm="slaney",
                                               mel_scale="slaney")
    save("mel_librosa", fb.T)
    torch.set_default_dtype(torch.float32)

    # ---- dB (test_dsp_db.c): per-item top_db via a [B, 1, F, T] view.
    mag = stft(x, 256, 64, 256, True, "reflect").abs()
    mag[1] *= 1e-3  # a quieter item: its own maximum sets its floor
    save("mag_a", mag)  # also Griffin-Lim's input
    m4 = mag.unsqueeze(1)
    amp = torchaudio.functional.amplitude_to_DB(m4, 20.0, 1e-5, math.log10(2.0), 80.0).squeeze(1)
    save("db_amplitude", amp)  # ref 2, amin 1e-5, top_db 80
    pw = torchaudio.functional.amplitude_to_DB(m4 ** 2, 10.0, 1e-10, 0.0, 60.0).squeeze(1)
    save("db_power", pw)  # ref 1, amin 1e-10, top_db 60
    save("db_amplitude_inverse", torchaudio.functional.DB_to_amplitude(amp, 2.0, 0.5))

    # ---- Griffin-Lim from zero phase (test_dsp_griffinlim.c): deterministic in torchaudio.
    gl = torchaudio.transforms.GriffinLim(n_fft=256, n_iter=8, win_length=256, hop_length=64,
                                          power=1.0, momentum=0.99, length=600, rand_init=False)
    save("gl_zero_phase_8", gl(mag))

    write_safetensors(os.path.join(OUT, "dsp.safetensors"), tensors,
                      {"generator": "tests/make_dsp_fixtures.py", "torch": torch.__version__,
                       "torchaudio": torchaudio.__version__})


if __name__ == "__main__":
    main()
