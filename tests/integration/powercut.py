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
"""
import hashlib
import os
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


def _put_file(path, shadow, ident):
    data = os.path.join(shadow, "data", ident)
    if os.path.exists(data):
        shutil.copyfile(data, path)
    else:
        open(path, "wb").close()       # created, never synced: its entry may survive, its bytes do not


def _build(path, shadow, ident):
    listing = os.path.join(shadow, "dirs", ident)
    if not os.path.exists(listing):
        return
    with open(listing) as f:
        for line in f:
            name, kind, child = line.rstrip("\n").split("\t")
            sub = os.path.join(path, name)
            if kind == "D":
                os.mkdir(sub)
                _build(sub, shadow, child)
            else:
                _put_file(sub, shadow, child)


def _clear(root):
    for name in os.listdir(root):
        p = os.path.join(root, name)
        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)


def cut(root, shadow, model="lose_all"):
    """Replace root with what a power cut would have left (the shimmed process must be gone).
    Returns {relative path: (bytes before, bytes after or None when the file is gone)} for every file it changed."""
    before = _sizes_and_sums(root)
    if model == "lose_all":
        with open(os.path.join(shadow, "root")) as f:
            root_id = f.read().strip()
        _clear(root)
        _build(root, shadow, root_id)
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
