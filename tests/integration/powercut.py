# powercut.py: runs a process under the powercut.c shim and rebuilds its directory as a power cut would leave it.
"""The shim (tests/integration/powercut.c, LD_PRELOAD) keeps the durable image of one directory tree in a shadow
folder while the process runs: each file's bytes as of its last fsync, each directory's entries as of the last
fsync of that directory. After the process is gone (killed, or exited), cut() replaces the tree with that image.

Two models of what survives:
  lose_all   -- only what was synced: a file whose directory was never fsynced is gone, a rename not followed by
                an fsync of the directory is undone. What POSIX promises, and all a careful program may count on.
  keep_names -- the directory entries as they are (creations, renames, unlinks all reached the disk), but every
                file's bytes only as synced: the file system committed its metadata before the data (ext4
                data=writeback, or a rename/unlink that went out in a journal commit before the bytes did).
  torn       -- as lose_all, but a file that had grown since its last sync keeps a random part of what was
                appended (possibly ending inside a record or a page): the disk had begun writing it back.
"""
import hashlib
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.environ.get("SAMVAER_POWERCUT", os.path.join(os.path.dirname(os.path.dirname(HERE)), "build-integ",
                                                       "libpowercut.so"))


def env(root, shadow):
    """Environment additions that put a process started with them under the shim, watching root."""
    os.makedirs(shadow, exist_ok=True)
    for name in os.listdir(shadow):
        p = os.path.join(shadow, name)
        shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
    return {"LD_PRELOAD": SHIM, "POWERCUT_ROOT": root, "POWERCUT_SHADOW": shadow}


def _ids(shadow):
    """(dev, ino) -> id, the last line for an inode winning (inode numbers are reused)."""
    by_inode = {}
    with open(os.path.join(shadow, "ids")) as f:
        for line in f:
            dev, ino, ident, _kind = line.split()
            by_inode[(int(dev), int(ino))] = ident
    return by_inode


def _put_file(path, shadow, ident, unsynced=None):
    """The durable bytes of file ident at path; with unsynced (the file's bytes when the power went), a random part
    of what it had appended since its last sync too."""
    data = os.path.join(shadow, "data", ident)
    durable = b""
    if os.path.exists(data):
        with open(data, "rb") as f:
            durable = f.read()
    if unsynced is not None and len(unsynced) > len(durable):
        durable += unsynced[len(durable):len(durable) + random.randint(0, len(unsynced) - len(durable))]
    with open(path, "wb") as f:     # created, never synced: its entry may survive, its bytes do not
        f.write(durable)


def _build(path, shadow, ident, real):
    listing = os.path.join(shadow, "dirs", ident)
    if not os.path.exists(listing):
        return
    with open(listing) as f:
        for line in f:
            name, kind, child = line.rstrip("\n").split("\t")
            sub = os.path.join(path, name)
            if kind == "D":
                os.mkdir(sub)
                _build(sub, shadow, child, real)
            else:
                _put_file(sub, shadow, child, real.get(child) if real is not None else None)


def _real_by_id(root, shadow):
    """id -> the bytes of that file as the process left it (before the cut)."""
    ids, out = _ids(shadow), {}
    for d, _dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            ident = ids.get((st.st_dev, st.st_ino))
            if ident is not None:
                with open(p, "rb") as f:
                    out[ident] = f.read()
    return out


def _clear(root):
    for name in os.listdir(root):
        p = os.path.join(root, name)
        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)


def cut(root, shadow, model="lose_all"):
    """Replace root with what a power cut would have left (the shimmed process must be gone).
    Returns {relative path: (bytes before, bytes after or None when the file is gone)} for every file it changed."""
    before = _sizes_and_sums(root)
    if model in ("lose_all", "torn"):
        real = _real_by_id(root, shadow) if model == "torn" else None
        with open(os.path.join(shadow, "root")) as f:
            root_id = f.read().strip()
        _clear(root)
        _build(root, shadow, root_id, real)
    elif model == "keep_names":
        ids = _ids(shadow)
        for d, _dirs, files in os.walk(root):
            for n in files:
                p = os.path.join(d, n)
                st = os.lstat(p)
                ident = ids.get((st.st_dev, st.st_ino))
                if ident is None:
                    open(p, "wb").close()
                else:
                    _put_file(p, shadow, ident)
    else:
        raise ValueError(model)
    after = _sizes_and_sums(root)
    return {rel: (size, after[rel][0] if rel in after else None)
            for rel, (size, digest) in before.items() if after.get(rel) != (size, digest)}


def _sizes_and_sums(root):
    out = {}
    for d, _dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                data = f.read()
            out[os.path.relpath(p, root)] = (len(data), hashlib.sha256(data).hexdigest())
    return out
