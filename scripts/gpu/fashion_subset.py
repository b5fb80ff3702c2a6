"""Writes the first N training and M test images of Fashion-MNIST, in the official IDX format (gzipped),
for the GPU machine, which has no dataset and gets only 64 MiB with the checkout.

    python3 scripts/gpu/fashion_subset.py SRC_DIR DST_DIR N_TRAIN N_TEST
"""
import gzip
import os
import struct
import sys


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def find(folder, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(os.path.join(folder, stem))


def first(data, n):
    magic, count = struct.unpack(">II", data[:8])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    row = 1
    for d in shape[1:]:
        row *= d
    n = min(n, count)
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * dims, n, *shape[1:])
    start = 4 + 4 * dims
    return header + data[start:start + n * row]


def main():
    src, dst, n_train, n_test = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(dst, exist_ok=True)
    for stem, n in (("train-images-idx3-ubyte", n_train), ("train-labels-idx1-ubyte", n_train),
                    ("t10k-images-idx3-ubyte", n_test), ("t10k-labels-idx1-ubyte", n_test)):
        with gzip.open(os.path.join(dst, stem + ".gz"), "wb", compresslevel=9) as f:
            f.write(first(read(find(src, stem)), n))
    print("wrote", n_train, "training and", n_test, "test images to", dst)


if __name__ == "__main__":
    main()
