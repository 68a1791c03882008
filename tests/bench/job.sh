#!/bin/sh
# ferry run against plain docker, in one invocation:
#  1. wall time of `ferry run` of a one-command job vs
#     `docker run --rm IMAGE true` on the same image (median of 7 each,
#     interleaved; target: ferry at most 1.5x);
#  2. ferry's peak memory (max RSS) while a job prints 200 MiB, against a
#     job that prints nothing: it must stay flat.
cd "${FERRY_TOP:-$(dirname "$0")/../..}" || exit 2
. tests/setup/test-image.sh >/dev/null || exit 1
python3 - "$FERRY" "$FERRY_JOB_IMAGE" <<'PY'
import os, resource, statistics, subprocess, sys, tempfile, time
ferry, image = sys.argv[1], sys.argv[2]
top = tempfile.mkdtemp(prefix="ferry-bench-job.")
env = dict(os.environ, XDG_DATA_HOME=os.path.join(top, "data"))

def project(name, script):
    d = os.path.join(top, name)
    os.makedirs(d)
    with open(os.path.join(d, ".travis.yml"), "w") as f:
        f.write("language: shell\nscript: %s\n" % script)
    return d

def timed(cmd):
    t = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.monotonic() - t

one = project("one", "true")
ferry_cmd = [ferry, "run", "--plain", "--image", image, "--log-dir", os.path.join(top, "logs"), one]
docker_cmd = ["docker", "run", "--rm", image, "true"]
timed(ferry_cmd); timed(docker_cmd)  # warm up
f, d = [], []
for _ in range(7):
    f.append(timed(ferry_cmd))
    d.append(timed(docker_cmd))
mf, md = statistics.median(f), statistics.median(d)
print("one-command job: ferry run %.3fs, docker run --rm %.3fs (medians of 7): ratio %.2fx (target <= 1.5x)" % (mf, md, mf / md))

def peak(script, name):
    # A fresh process per measurement: its RUSAGE_CHILDREN is ferry's alone.
    d = project(name, script)
    cmd = [ferry, "run", "--plain", "--image", image, "--log-max", "400MiB",
           "--log-dir", os.path.join(top, "logs-" + name), d]
    out = subprocess.run([sys.executable, "-c",
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"] + cmd,
        capture_output=True, text=True, env=env).stdout.split()
    return int(out[0]), int(out[1])

quiet_rss, rc1 = peak("true", "quiet")
big_rss, rc2 = peak("head -c 209715200 /dev/zero | tr '\\\\0' x | fold -w 100", "big")
size = os.path.getsize(os.path.join(top, "logs-big", "1.1.log"))
print("peak memory (max RSS): quiet job %d KiB, job printing 200 MiB %d KiB (log %d MiB; exit %d/%d)"
      % (quiet_rss, big_rss, size >> 20, rc1, rc2))
subprocess.run(["rm", "-rf", top])
PY
