#!/bin/sh
# The build cache (lifecycle/cache.c) on a large cache of many small
# files (default 500 MiB in ~42000 files of 1-24 KB, half compressible),
# with `ferry run` and the real Docker engine, for each compression
# (zstd, gzip):
#  1. a job makes the files in $HOME/big and the cache stage stores them
#     (push: copy out, checksums, pack, store);
#  2. the next job restores them (fetch: find, check and put the archive
#     into the container: as it is when the engine reads its format,
#     else extracted on the host first; add: the directories recorded),
#     and finds nothing changed (copy out and checksums only);
#  3. the baseline: `tar -xf` of the same archive file into an empty
#     directory of this host, best of two.
# Durations are the travis_time markers of the hand-offs in the job log.
# The ratio is restore (fetch + add) over tar -xf.  With the default
# `compression: auto`, an engine older than Docker 23 gets gzip.
#   CACHE_BENCH_MIB=500 CACHE_BENCH_FORMATS="zstd gzip"
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
. tests/setup/test-image.sh >/dev/null || exit 1
python3 - "$FERRY" "$FERRY_JOB_IMAGE" "${CACHE_BENCH_MIB:-500}" \
	"${CACHE_BENCH_FORMATS:-zstd gzip}" <<'PY'
import glob, os, re, shutil, subprocess, sys, tempfile, time
ferry, image, mib, formats = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
top = tempfile.mkdtemp(prefix="ferry-bench-cache.")
gen = r'''
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
random.seed(7)
n = done = 0
while done < total:
    d = os.path.join(root, "d%03d" % (n // 200))
    os.makedirs(d, exist_ok=True)
    size = random.randint(1000, 24000)
    data = os.urandom(size // 2).hex().encode()[:size]
    with open(os.path.join(d, "f%04d.txt" % (n % 200)), "wb") as f:
        f.write(data)
    n += 1
    done += size
print("made %d files, %d MiB" % (n, done >> 20))
'''

def durations(log, fold):
    """Seconds of each timed command in a fold of the job log."""
    text = open(log, errors="replace").read().replace("\r", "\n")
    m = re.search(r"travis_fold:start:%s\n(.*?)travis_fold:end:%s" % (fold, fold), text, re.S)
    if not m:
        sys.exit("no fold %s in %s" % (fold, log))
    return [int(x) / 1e9 for x in re.findall(r"duration=(\d+)", m.group(1))], m.group(1)

def run(proj, conf, name):
    logs = os.path.join(top, "logs-" + name)
    r = subprocess.run([ferry, "run", "--plain", "--config", conf, "--image", image,
                        "--log-dir", logs, "--timeout-silence", "30m", proj],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, XDG_DATA_HOME=os.path.join(top, "data-" + name.split("-")[0])))
    log = glob.glob(os.path.join(logs, "*.log"))
    if r.returncode or not log:
        sys.exit("ferry run %s failed (%d): %s" % (name, r.returncode, r.stderr[-2000:]))
    return log[0]

def tar_x(archive, fmt):
    best = None
    for _ in range(2):
        dest = tempfile.mkdtemp(dir=top)
        t = time.monotonic()
        subprocess.run(["tar", "--zstd" if fmt == "zstd" else "-z", "-xf", archive, "-C", dest], check=True)
        d = time.monotonic() - t
        best = d if best is None else min(best, d)
        shutil.rmtree(dest)
    return best

proj = os.path.join(top, "proj")
os.makedirs(proj)
with open(os.path.join(proj, "gen.py"), "w") as f:
    f.write(gen)
with open(os.path.join(proj, ".travis.yml"), "w") as f:
    f.write("language: shell\ncache:\n  directories: [$HOME/big]\n"
            "script:\n  - test -d $HOME/big/d000 || python3 gen.py $HOME/big %d\n"
            "  - find $HOME/big -type f | wc -l\n" % mib)
status = 0
for fmt in formats:
    conf = os.path.join(top, fmt + ".yml")
    with open(conf, "w") as f:
        f.write("cache:\n  compression: %s\n  quota: 0\n  repo_quota: 0\n  timeout: 30m\n" % fmt)
    push_log = run(proj, conf, fmt + "-push")
    (push,), text = durations(push_log, "cache.2")
    if "cache uploaded" not in text:
        sys.exit("%s: the cache was not stored:\n%s" % (fmt, text[-1500:]))
    restore_log = run(proj, conf, fmt + "-restore")
    times, text = durations(restore_log, "cache.1")
    if "found cache" not in text or len(times) != 2:
        sys.exit("%s: no restore:\n%s" % (fmt, text[-1500:]))
    fetch, add = times
    (check,), text2 = durations(restore_log, "cache.2")
    if "nothing changed" not in text2:
        sys.exit("%s: the restored cache differs:\n%s" % (fmt, text2[-1500:]))
    archive = glob.glob(os.path.join(top, "data-" + fmt, "ferry", "cache", "*", "*", "*", "*@*.tar.*"))[0]
    size = os.path.getsize(archive)
    base = tar_x(archive, fmt)
    restore = fetch + add
    print("%s: %d MiB archive; first push %.2fs; restore %.2fs (fetch %.2fs, adds %.2fs); "
          "nothing-changed check %.2fs; tar -xf %.2fs: restore/tar ratio %.2fx"
          % (fmt, size >> 20, push, restore, fetch, add, check, base, restore / base))
shutil.rmtree(top, ignore_errors=True)
PY
