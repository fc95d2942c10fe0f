"""Minimal GGUF v3 writer (F32 / F16 tensors)."""
import struct

import numpy as np

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
GGML_F32, GGML_F16 = 0, 1
ALIGN = 32


class U32(int):
    pass


class I32(int):
    pass


class F32(float):
    pass


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _scalar(t, v):
    fmt = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
           BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}[t]
    return struct.pack(fmt, v)


def _type_of(v):
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, U32):
        return UINT32
    if isinstance(v, I32):
        return INT32
    if isinstance(v, F32):
        return FLOAT32
    if isinstance(v, str):
        return STRING
    if isinstance(v, int):
        return UINT32
    if isinstance(v, float):
        return FLOAT32
    raise TypeError(type(v))


def _value(v):
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "array":  # ("array", (elem_type, values))
        et, vals = v[1]
        out = struct.pack("<IIQ", ARRAY, et, len(vals))
        if et == STRING:
            return out + b"".join(_str(x) for x in vals)
        fmt = {INT32: "<i", UINT32: "<I", FLOAT32: "<f"}[et]
        return out + b"".join(struct.pack(fmt, x) for x in vals)
    t = _type_of(v)
    if t == STRING:
        return struct.pack("<I", t) + _str(v)
    return struct.pack("<I", t) + _scalar(t, v)


def array(elem_type, values):
    return ("array", (elem_type, list(values)))


def write(path, kv, tensors):
    """kv: list of (key, value); tensors: list of (name, np.ndarray float32/float16)."""
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    body = b"".join(_str(k) + _value(v) for k, v in kv)
    infos = b""
    offset = 0
    blobs = []
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        gt = {np.dtype(np.float32): GGML_F32, np.dtype(np.float16): GGML_F16}[arr.dtype]
        dims = list(reversed(arr.shape))  # ggml ne[0] is the innermost (last numpy) dimension
        infos += _str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", gt, offset)
        data = arr.tobytes()
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    with open(path, "wb") as f:
        f.write(header + body + infos)
        f.write(b"\0" * ((-f.tell()) % ALIGN))
        for b in blobs:
            f.write(b)
