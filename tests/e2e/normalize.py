#!/usr/bin/env python3
"""Normalise a Travis-format job log for comparison with an expected log.

Markers and colours become readable tokens; what changes from run to run
(timer ids, timestamps, bash's version) becomes a fixed token, but only
after checking that it is well formed:
  travis_fold:start:NAME\\r\\033[0K          -> [fold:start:NAME]
  travis_time:start:8-HEX\\r\\033[0K          -> [time:start]
  travis_time:end:ID:start=S,finish=F,duration=D,event=E\\r\\033[0K
                                            -> [time:end:E]  (ID must match
     the open timer, S and F be nanoseconds, D == F - S)
  \\033[31;1m <red>  \\033[32;1m <green>  \\033[33;1m <yellow>  \\033[0m <reset>
usage: normalize.py < log > normalised
"""
import re
import sys

data = sys.stdin.buffer.read().decode("utf-8", "replace")
out = []
timer = None
pos = 0
marker = re.compile(
    r"travis_fold:(start|end):([^\r\n]*?)\r\x1b\[0K"
    r"|travis_time:start:([0-9a-f]{8})\r\x1b\[0K"
    r"|travis_time:end:([0-9a-f]{8}):start=(\d+),finish=(\d+),duration=(\d+),event=([^\r\n]*?)\r\x1b\[0K")
for m in marker.finditer(data):
    out.append(data[pos:m.start()])
    pos = m.end()
    if m.group(1):
        out.append("[fold:%s:%s]" % (m.group(1), m.group(2)))
    elif m.group(3):
        timer = m.group(3)
        out.append("[time:start]")
    else:
        tid, s, f, d, ev = m.group(4), int(m.group(5)), int(m.group(6)), int(m.group(7)), m.group(8)
        ok = tid == timer and f >= s and d == f - s and s > 10**18
        out.append("[time:end:%s]" % ev if ok else m.group(0).replace("\r", "\\r").replace("\x1b", "\\e"))
        timer = None
out.append(data[pos:])
text = "".join(out)
for code, name in (("\x1b[31;1m", "<red>"), ("\x1b[32;1m", "<green>"),
                   ("\x1b[33;1m", "<yellow>"), ("\x1b[0m", "<reset>"),
                   ("\x1b[0K", "<clear>")):
    text = text.replace(code, name)
text = re.sub(r"^\d+\.\d+\.\d+\(\d+\)-release$", "BASH_VERSION", text, flags=re.M)
text = text.replace("\r", "\\r").replace("\x1b", "\\e")
sys.stdout.write(text)
