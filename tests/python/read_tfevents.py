"""Reads a TensorBoard event file written by drumforge, checking every record's framing and
CRC-32C (an independent bitwise implementation), and prints one line per value:
  scalar STEP TAG VALUE
  audio STEP TAG SAMPLE_RATE CHANNELS FRAMES BYTES CONTENT_TYPE
  version STRING
usage: read_tfevents.py FILE"""
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def fields(buf):
    """Yields (field number, wire type, value) of a protocol buffer message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        elif wire == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wire)
        yield field, wire, v


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def main():
    data = open(sys.argv[1], "rb").read()
    i = 0
    while i < len(data):
        header = data[i:i + 8]
        (n,) = struct.unpack("<Q", header)
        (lc,) = struct.unpack("<I", data[i + 8:i + 12])
        assert lc == masked(crc32c(header)), "bad length crc at %d" % i
        record = data[i + 12:i + 12 + n]
        (dc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        assert dc == masked(crc32c(record)), "bad data crc at %d" % i
        i += 16 + n
        step = 0
        for f, _, v in fields(record):
            if f == 2:
                step = v
            elif f == 3:
                print("version", v.decode())
            elif f == 5:
                for vf, _, value in fields(v):
                    assert vf == 1
                    tag, scalar, audio = None, None, None
                    for ff, _, x in fields(value):
                        if ff == 1:
                            tag = x.decode()
                        elif ff == 2:
                            (scalar,) = struct.unpack("<f", x)
                        elif ff == 6:
                            audio = {a: b for a, _, b in fields(x)}
                    if scalar is not None:
                        print("scalar", step, tag, "%.6g" % scalar)
                    if audio is not None:
                        (rate,) = struct.unpack("<f", audio[1])
                        wav = audio[4]
                        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE", "not a WAV"
                        print("audio", step, tag, int(rate), audio[2], audio[3], len(wav), audio[5].decode())


main()
