#!/usr/bin/env python3
"""Host-driven shell test: boots the ISO in QEMU and types into the serial
console as a person would (docs/shell.md, docs/testing.md).

usage: tests/system/test_shell.py [--iso build/exec-rt.iso] [--uefi]
                                  [--machine q35] [--name shell]
Prints one line per test ("ok NAME" / "FAIL NAME: why") and ends with
"N passed, N failed"; exit status 1 on any failure.
"""
import argparse
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tools"))
from qemu_session import PROMPT, Guest, Timeout  # noqa: E402

CTRL_C = "\x03"
CTRL_U = "\x15"
UP = "\x1b[A"
DOWN = "\x1b[B"


class Failed(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Failed(why)


class Suite:
    def __init__(self, g):
        self.g = g
        self.passed = 0
        self.failed = 0
        self.broken = False

    def run(self, name, fn):
        if self.broken:
            print("FAIL %s: not run (the guest stopped answering)" % name)
            self.failed += 1
            return
        try:
            fn(self.g)
            print("ok   %s" % name)
            self.passed += 1
        except (Failed, Timeout) as e:
            print("FAIL %s: %s" % (name, str(e)[:600]))
            self.failed += 1
            self.resync()

    def resync(self):
        """Gets a prompt back after a failed test (Ctrl-C, Ctrl-U, Enter)."""
        g = self.g
        try:
            g.send(CTRL_C)
            g.drain(0.5)
            g.send(CTRL_U + "\r")
            g.expect(PROMPT, 20)
            g.drain(0.3)
            g.pos = len(g.buf)
        except Timeout:
            self.broken = True


def t_boot(g):
    out, m = g.expect(r"sh: ready in ([0-9.]+) ms", 120, regex=True)
    need("PANIC" not in out, "kernel panic during boot")
    g.expect(PROMPT, 30)
    print("     boot: shell ready %s ms after kernel entry" %
          m.group(1).decode())


def t_help(g):
    out = g.command("help")
    for word in ("ps", "top", "kill", "mem", "uptime", "clctl", "portctl",
                 "poweroff", "reboot", "ls", "cat", "echo", "mkdir", "rm",
                 "mv", "cd", "pwd", "> FILE"):
        need(word in out, "help does not mention %s" % word)


def t_files(g):
    """The file builtins through fsd (docs/shell.md "Files")."""
    out = g.command("ls /boot/bin")
    for name in ("hello", "sh", "fstest", "fsd"):
        need(re.search(r"^%s\r?$" % name, out, re.M),
             "ls /boot/bin lacks %s: %r" % (name, out))
    out = g.command("ls -l /boot/bin")
    need(re.search(r"^-r[-w]xr-xr-x +1 +[0-9]+ hello\r?$", out, re.M),
         "ls -l: %r" % out)
    need("sh: " not in g.command("echo hello world > /tmp/x"),
         "echo > /tmp/x complained")
    g.command("echo second line >> /tmp/x")
    out = g.command("cat /tmp/x")
    need("hello world\r\nsecond line" in out, "cat after >>: %r" % out)
    out = g.command("echo replaced > /tmp/x")
    out = g.command("cat /tmp/x")
    need("replaced" in out and "hello" not in out, "> truncates: %r" % out)
    g.command("mkdir /tmp/d")
    g.command("mv /tmp/x /tmp/d")
    out = g.command("ls -l /tmp/d")
    need(re.search(r"^-rw-r--r-- +1 +9 x\r?$", out, re.M),
         "mv into a directory: %r" % out)
    out = g.command("ls /tmp")
    need(re.search(r"^d\r?$", out, re.M) and not re.search(r"^x\r?$", out,
                                                            re.M),
         "ls /tmp after mv: %r" % out)
    g.command("cd /tmp/d")
    out = g.command("pwd")
    need("/tmp/d\r\n" in out, "pwd: %r" % out)
    out = g.command("cat x")
    need("replaced" in out, "a relative path after cd: %r" % out)
    # A program by name, by absolute and by relative path; its stdout to
    # a file (relative to the working directory it inherits).
    out = g.command("hello one > out")
    need("hello from user space" not in out, "redirected output shown: %r"
         % out)
    out = g.command("cat out")
    need('argv[1] = "one"' in out, "hello > out: %r" % out)
    out = g.command("/boot/bin/hello two")
    need('argv[1] = "two"' in out, "by path: %r" % out)
    out = g.command("../../boot/bin/hello three >> out")
    out = g.command("cat /tmp/d/out")
    need('argv[1] = "one"' in out and 'argv[1] = "three"' in out,
         "relative path, >>: %r" % out)
    out = g.command("mv out renamed")
    out = g.command("ls")
    need(re.search(r"^renamed\r?$", out, re.M) and
         not re.search(r"^out\r?$", out, re.M), "mv: %r" % out)
    g.command("rm x renamed")
    g.command("cd ..")
    out = g.command("pwd")
    need("/tmp\r\n" in out, "cd ..: %r" % out)
    need("sh: " not in g.command("rmdir d"), "rmdir d complained")
    out = g.command("ls /tmp")
    need(out.strip() == "", "/tmp not empty: %r" % out)
    g.command("cd")
    # Errors: each with its reason, and a prompt after it.
    for cmd, why in (("cat /nope", "No such file or directory"),
                     ("cd /nope", "No such file or directory"),
                     ("cd /boot/bin/hello", "Not a directory"),
                     ("mkdir /boot/x", "Read-only file system"),
                     ("rm /tmp", "Is a directory"),
                     ("echo x > /nope/y", "No such file or directory"),
                     ("ls /nope", "No such file or directory")):
        out = g.command(cmd)
        need("sh: " in out and why in out, "%s: %r" % (cmd, out))
    out = g.command("/boot/bin/nope")
    need("sh: " in out and "not found" in out, "a missing path: %r" % out)


def t_fstest(g):
    out = g.command("fstest", timeout=120)
    m = re.search(r"fstest: ([0-9]+) passed, ([0-9]+) failed", out)
    need(m and m.group(2) == "0" and int(m.group(1)) > 50,
         "fstest: %r" % out[-2000:])


def t_fsd_restart(g):
    """fsd restarted under the shell: its next file call reconnects."""
    out = g.command("echo kept > /tmp/k")
    out = g.command("clctl restart fsd", timeout=30)
    need("sh: " not in out, "restart: %r" % out)
    out = g.command("ls /boot/bin", timeout=30)
    need(re.search(r"^hello\r?$", out, re.M), "after the restart: %r" % out)
    out = g.command("cat /tmp/k")
    need("No such file" in out, "a new fsd has a new /tmp: %r" % out)
    out = g.command("hello after")
    need('argv[1] = "after"' in out, "a program after the restart: %r" % out)


def t_uptime(g):
    out = g.command("uptime")
    need(re.search(r"up .*[0-9]", out), "no time in %r" % out)


def t_mem(g):
    out = g.command("mem")
    need(re.search(r"[0-9]+", out) and ("MiB" in out or "frames" in out),
         "mem printed %r" % out)


def t_ps(g):
    out = g.command("ps")
    for name in ("init", "names", "console", "testsvc", "sh"):
        need(re.search(r"\b%s\b" % name, out), "ps lacks %s:\n%s" % (name,
                                                                    out))


def t_program(g):
    out = g.command("hello one two")
    need("hello from user space" in out, "hello printed %r" % out)
    need('argv[2] = "two"' in out, "arguments lost: %r" % out)


def t_unknown(g):
    out = g.command("no-such-program --x")
    need("sh: " in out and "not found" in out, "got %r" % out)


def t_quotes(g):
    out = g.command('hello "unbalanced')
    need("sh: " in out, "no error for unbalanced quotes: %r" % out)
    out = g.command("hello 'it''s' \"a b\"")
    need('argv[1] = "its"' in out and 'argv[2] = "a b"' in out,
         "quoting wrong: %r" % out)


def t_long_line(g):
    g.send("x" * 10240, delay=0.002, chunk=64)
    g.send("\r")
    out, _ = g.expect(PROMPT, 60)
    need("too long" in out.lower(), "10 KiB line: %r" % out[-300:])
    out = g.command("uptime")
    need("up" in out, "shell not answering after a long line")


def t_garbage(g):
    rnd = random.Random(1234)
    junk = bytes(rnd.choice(list(range(1, 32)) + list(range(127, 256)))
                 for _ in range(300))
    junk = junk.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x03", b"")
    g.send(junk, delay=0.002, chunk=8)
    g.send(b"\x1b[1;5X\x1b[999999999999A\x1bOZ\x1b\x1b[" + CTRL_U.encode())
    g.drain(0.5)
    out = g.command("uptime")
    need("up" in out, "after garbage: %r" % out[-300:])


def t_editing(g):
    out = g.command("uptimX\x7fe")
    need(re.search(r"up .*[0-9]", out), "backspace: %r" % out)
    g.send("garbage words here" + CTRL_U)
    out = g.command("uptime")
    need("not found" not in out, "Ctrl-U did not clear the line: %r" % out)
    g.send(UP)
    g.drain(0.3)
    g.pos = len(g.buf)  # the redrawn line is not the command's end
    g.send("\r")
    g.expect("\r\n", 10)
    out, _ = g.expect(PROMPT, 30)
    need(re.search(r"up .*[0-9]", out), "history (up arrow): %r" % out)


def console_dropped(g):
    out = g.command("portctl console '{\"cmd\":\"status\"}' --compact")
    m = re.search(r'"dropped":([0-9]+)', out)
    need(m, "console status: %r" % out)
    return int(m.group(1))


def t_arrow_paste(g):
    """3000 arrow keys pasted over a 1000-byte history line ask for ~1 KiB
    of redraw each: the console must take input more slowly, not drop
    its echo (review-b: 2043 echo pieces, 1 MB, dropped; the screen no
    longer showed the line)."""
    before = console_dropped(g)
    g.send("x" * 1000 + "\r", delay=0.002, chunk=64)
    g.expect(PROMPT, 30)
    g.send((UP + DOWN) * 1500, delay=0, chunk=4096)
    g.drain(3.0)
    out = g.command("uptime", timeout=60)
    need(re.search(r"up .*[0-9]", out), "after the arrows: %r" % out[-300:])
    need(console_dropped(g) == before, "the console dropped echo")


def t_portctl(g):
    out = g.command("portctl test '{\"cmd\":\"ping\"}'")
    need("ports/v0" in out and "test" in out, "ping: %r" % out)
    out = g.command("portctl test '{\"cmd\":\"nope\"}'")
    need("BAD_CMD" in out, "bad command: %r" % out)
    out = g.command("portctl test 'not json'")
    need("BAD_JSON" in out or "sh: " in out or "portctl:" in out,
         "bad json: %r" % out)


def t_stream_ctrl_c(g):
    g.line("portctl test '{\"cmd\":\"subscribe\",\"events\":[\"tick\"]}' "
           "--stream")
    g.expect('"event":"tick"', 20)  # not the echoed command line
    g.send(CTRL_C)  # at once: the shell must already be listening
    g.expect(PROMPT, 10)
    g.line("portctl test '{\"cmd\":\"subscribe\",\"events\":[\"tick\"]}' "
           "--stream")
    g.expect('"event":"tick"', 20)
    g.expect('"event":"tick"', 20)
    g.send(CTRL_C)
    out, _ = g.expect(PROMPT, 10)
    out = g.command("uptime")
    need("up" in out, "no prompt after Ctrl-C")


def t_ctrl_c_not_stolen(g):
    """A program that subscribes to the console's Ctrl-C itself must not
    take it away from the shell (review-b: it did, and the prompt never
    came back); nor can it drop the shell's subscription."""
    out = g.command("portctl console '{\"cmd\":\"unsubscribe\"}'")
    need("BAD_ARG" in out, "unsubscribe without its port: %r" % out)
    g.line("portctl console '{\"cmd\":\"subscribe\",\"events\":"
           "[\"interrupt\"]}' --stream")
    g.expect('"result"', 20)
    g.drain(0.5)
    g.send(CTRL_C)
    g.expect("task killed", 10)
    g.expect(PROMPT, 10)
    out = g.command("uptime")
    need("up" in out, "no prompt after Ctrl-C")


def t_readline_not_stolen(g):
    """REVIEW-18 R6: a background program asking the console for a line
    (it shares sh's badge) does not get what is typed at sh's prompt. A
    regression check of the new rule end to end: it passes on the old
    console too (a one-shot readline is taken back by sh's retry); the
    rule itself is tests/host/test_console_rlown.c."""
    g.line("portctl console '{\"cmd\":\"readline\",\"prompt\":\"\"}' &")
    g.expect(PROMPT, 10)
    g.drain(1.5)
    out = g.command("uptime")
    need('"line"' not in out, "the program got sh's line: %r" % out)
    need("up " in out, "sh did not run it: %r" % out)
    g.drain(0.5)
    out = g.command("uptime")
    need("up " in out, "no prompt after: %r" % out)


def t_foreground_gets_the_line(g):
    """Sessions (docs/console.md "Sessions and the foreground"): sh gives
    each program a console session of its own and makes the foreground
    one the console's foreground. A background program looping readline
    is refused ("background") every time and the line typed goes to the
    foreground program. Fails on the console before sessions (all shared
    sh's badge): the looping reader's pending readline had the line
    reserved and the foreground readline was refused BUSY."""
    g.drain(0.2)
    start = len(g.buf)
    g.line("portctl console '{\"cmd\":\"readline\",\"prompt\":\"\"}' "
           "--compact --until-ok --timeout 5000 &")
    g.expect(PROMPT, 10)
    g.drain(1.0)
    g.pos = len(g.buf)
    g.line("portctl console '{\"cmd\":\"readline\",\"prompt\":"
           "\"fg> \"}' --compact")
    g.expect("--compact\r\n", 10)
    g.expect("fg> ", 10)
    g.line("typed-for-fg")
    out, _ = g.expect(PROMPT, 10)
    need('"line":"typed-for-fg"' in out, "foreground: %r" % out)
    for _ in range(20):  # the looping reader gives up after 5 s
        if re.search(r'"background"|request: timed out', g.text(start)):
            break  # (its last call may time out on a loaded host)
        g.drain(0.5)
    whole = g.text(start)
    need(re.search(r'"background"|request: timed out', whole) and
         whole.count('"line"') == 1, "background: %r" % whole)
    out = g.command("uptime")
    need("up " in out, "no prompt after: %r" % out)


def t_nested_sh_reads(g):
    """A shell run as a program (`sh -c`) is in a session of its own; the
    programs it starts are adopted into it (console `adopt`), so one that
    looks /svc/console up by name reads the typed line. Without adopt it
    was background (a regression check of sessions: before them everyone
    shared one badge and this worked too)."""
    g.drain(0.2)
    g.pos = len(g.buf)
    # Single quotes keep the backslashes for the inner sh's parse.
    g.line("sh -c portctl console "
           "'{\\\"cmd\\\":\\\"readline\\\",\\\"prompt\\\":\\\"in:\\\"}' "
           "--compact")
    g.expect("--compact\r\n", 10)
    g.expect("in:", 10)
    g.line("typed-nested")
    out, _ = g.expect(PROMPT, 10)
    need('"line":"typed-nested"' in out, "nested: %r" % out)


def t_fg_job(g):
    """fg KOID: a background program looping readline (refused
    "background" meanwhile) is brought to the foreground: its next try
    gets the console (its prompt appears) and the line typed."""
    out = g.command("portctl console '{\"cmd\":\"readline\",\"prompt\":"
                    "\"job: \"}' --compact --until-ok --timeout 30000 &")
    m = re.search(r"\[([0-9]+)\] started", out)
    need(m, "not started: %r" % out)
    g.drain(0.5)
    g.pos = len(g.buf)
    g.line("fg %s" % m.group(1))
    g.expect("fg %s\r\n" % m.group(1), 10)
    g.expect("job: ", 10)
    g.line("typed-after-fg")
    out, _ = g.expect(PROMPT, 10)
    need('"line":"typed-after-fg"' in out, "fg: %r" % out)
    out = g.command("jobs")
    need("no background jobs" in out, "jobs left: %r" % out)


def t_program_cannot_control_init(g):
    """REVIEW-18 R2: a program sh runs reaches /svc/init read-only: stop
    and poweroff are DENIED; sh's own clctl still controls."""
    out = g.command("portctl init '{\"cmd\":\"stop\",\"name\":\"fsd\"}'")
    need("DENIED" in out, "a program stopped fsd? %r" % out)
    out = g.command("portctl init '{\"cmd\":\"poweroff\"}'")
    need("DENIED" in out, "poweroff from a program: %r" % out)
    out = g.command("portctl init '{\"cmd\":\"status\"}'")
    need("fsd" in out and "running" in out, "status: %r" % out)
    out = g.command("clctl status")
    need(re.search(r"\bfsd\b.*running", out), "fsd not running: %r" % out)


def t_paste_block(g):
    """Commands pasted at once run one after the other: what arrives
    while a program runs is type-ahead for the next prompt (review-b: sh
    took it as key events and dropped it; 64 pasted lines ran 43 times,
    one of them glued to the next)."""
    g.drain(0.2)
    g.pos = len(g.buf)
    n = 24
    g.send("".join("hello paste%02d\r" % i for i in range(n)), delay=0,
           chunk=4096)
    for i in range(n):
        g.expect('argv[1] = "paste%02d"' % i, 30)
    g.expect(PROMPT, 10)
    out = g.command("uptime")
    need("up" in out and "not found" not in out, "after the paste: %r" %
         out)


def t_many_jobs(g):
    """8 background jobs (sh's limit) and a foreground program at the
    same time; the 9th job is refused with a message, and once the jobs
    are killed sh's memory is back (review-b: with 16 MiB per child the
    4th program, background or not, found no memory). The jobs wait on
    console streams, not on a server's call (a killed caller's task stays
    charged while its call sits in a server's queue: REVIEW-B.md)."""
    before = sh_mem_used(g)
    koids = []
    for _ in range(8):
        out = g.command("portctl console '{\"cmd\":\"subscribe\","
                        "\"events\":[\"interrupt\"]}' --stream &")
        m = re.search(r"\[([0-9]+)\] started", out)
        need(m, "job %d not started: %r" % (len(koids) + 1, out))
        koids.append(m.group(1))
    out = g.command("hello fg")
    need('argv[1] = "fg"' in out, "foreground beside 8 jobs: %r" % out)
    out = g.command("hello &")
    need("too many background jobs" in out, "9th job: %r" % out)
    for k in koids:
        out = g.command("kill %s" % k)
        need("killed" in out, "kill %s: %r" % (k, out))
    out = g.command("jobs")
    need("no background jobs" in out, "jobs left: %r" % out)
    after = sh_mem_used(g)
    need(after <= before + (1 << 20), "sh's memory not back: %d -> %d" %
         (before, after))


def sh_mem_used(g):
    """sh's memory used (bytes) from `mem`. Not an absolute figure: a
    program killed while its call waits in a server's queue stays charged
    to sh until the server gets to it (REVIEW-B.md R4)."""
    out = g.command("mem")
    m = re.search(r"sh:\s+([0-9.]+)([KMG]?) used", out)
    need(m, "mem: %r" % out)
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]
    return int(float(m.group(1)) * mult)


def t_ctrl_c_foreground(g):
    g.line("portctl test '{\"cmd\":\"sleep\",\"usec\":60000000}'")
    g.drain(1.0)
    t0 = time.monotonic()
    g.send(CTRL_C)
    g.expect(PROMPT, 10)
    need(time.monotonic() - t0 < 10, "Ctrl-C took too long")


def t_type_ahead(g):
    """What is typed while a program runs is kept for the next prompt."""
    g.line("portctl test '{\"cmd\":\"sleep\",\"usec\":1500000}'")
    g.drain(0.3)
    g.send("uptime\r")
    g.expect(PROMPT, 20)
    out, _ = g.expect(PROMPT, 20)
    need(re.search(r"up .*[0-9]", out), "typed-ahead command lost: %r" %
         out[-300:])


def t_background_kill(g):
    out = g.command("portctl test '{\"cmd\":\"sleep\",\"usec\":60000000}' &")
    m = re.search(r"\[([0-9]+)\]", out)
    need(m, "no job number: %r" % out)
    koid = m.group(1)
    out = g.command("ps")
    need("portctl" in out, "background job not in ps: %r" % out)
    out = g.command("kill %s" % koid)
    g.drain(1.0)
    out = g.command("ps")
    need(not re.search(r"\bportctl\b", out), "still running: %r" % out)


def t_clctl(g):
    out = g.command("clctl status")
    need(re.search(r"\btest\b.*running", out), "status: %r" % out)
    gen = re.search(r"\btest\b.*?running.*", out).group(0)
    out = g.command("clctl restart test", timeout=30)
    need("sh: " not in out, "restart: %r" % out)
    g.drain(1.0)
    out = g.command("portctl test '{\"cmd\":\"ping\"}'")
    need("ports/v0" in out, "test not back after restart: %r" % out)
    out = g.command("clctl status")
    line = re.search(r"\btest\b.*?running.*", out)
    need(line and line.group(0) != gen, "generation unchanged: %r" % out)
    out = g.command("clctl stop test", timeout=30)
    g.drain(0.5)
    out = g.command("clctl status")
    need(re.search(r"\btest\b.*stopped", out), "stop: %r" % out)
    t0 = time.monotonic()
    out = g.command("portctl test '{\"cmd\":\"ping\"}'", timeout=30)
    need("ports/v0" not in out, "a stopped service answered: %r" % out)
    need(time.monotonic() - t0 < 15, "a call to a stopped service hung")
    out = g.command("clctl start test", timeout=30)
    g.drain(1.0)
    out = g.command("portctl test '{\"cmd\":\"ping\"}'")
    need("ports/v0" in out, "test not back after start: %r" % out)
    out = g.command("clctl logs test")
    need(len(out.strip()) > 0, "no logs")
    out = g.command("clctl doctor")
    need(len(out.strip()) > 0, "doctor silent")


def t_crash_restart(g):
    g.command("portctl test '{\"cmd\":\"crash\"}'", timeout=30)
    g.drain(1.5)
    out = g.command("portctl test '{\"cmd\":\"ping\"}'")
    need("ports/v0" in out, "test not restarted after a crash: %r" % out)


def t_restart_core_services(g):
    """clctl restart names, sh, console: each time the shell comes back
    (console and sh restart with names; sh follows the console) and every
    service can be looked up again (a new names starts empty: init
    restarts the services that register names)."""
    for svc in ("names", "sh", "console"):
        g.drain(0.3)
        g.pos = len(g.buf)
        g.line("clctl restart %s" % svc)
        g.expect("sh: ready in", 30)
        g.expect(PROMPT, 30)
        for name in ("test", "console"):
            out = g.command("portctl %s '{\"cmd\":\"ping\"}'" % name,
                            timeout=30)
            need("ports/v0" in out, "after restart %s, %s: %r" % (
                svc, name, out))


def t_log_flood(g):
    """A service flooding its log must not starve the console or the
    shell: init rate-limits what reaches the console, the ring keeps
    the newest lines and counts what it dropped."""
    out = g.command("portctl test '{\"cmd\":\"log\",\"lines\":20000}' &")
    need(re.search(r"\[([0-9]+)\]", out), "no job: %r" % out)
    for _ in range(3):
        t0 = time.monotonic()
        out = g.command("uptime", timeout=20)
        need(re.search(r"up .*[0-9]", out), "uptime during a flood: %r" %
             out[-300:])
        need(time.monotonic() - t0 < 10, "shell slow during a flood")
    g.drain(3.0)
    out = g.command("clctl logs test", timeout=30)
    need("log line" in out, "no flood lines in the ring: %r" % out[-300:])
    # The flood outlives portctl's call (20000 lines under the service's
    # CPU quota take minutes under TCG): end it, so that the next steps
    # do not run beside it.
    out = g.command("clctl restart test", timeout=30)
    need("ok" in out, "restart test: %r" % out)


def t_kill_names(g):
    """`kill` of the name service (through /svc/init's kill, not clctl):
    init restarts it and the services that had registered a name register
    again, and a later sh finds the console (review-b saw /svc/console and
    /svc/test unreachable for good and every new sh crash-looping)."""
    out = g.command("ps")
    m = re.search(r"^\s*([0-9]+)\s+[0-9]+\s+names\b", out, re.M)
    need(m, "no names in ps: %r" % out)
    g.line("kill %s" % m.group(1))
    g.expect("sh: ready in", 30)  # the console restarts, so does sh
    g.expect(PROMPT, 15)
    g.drain(1.0)
    out = g.command("portctl test '{\"cmd\":\"ping\"}'", timeout=30)
    need("ports/v0" in out, "/svc/test after names restarted: %r" % out)
    g.line("exit 0")  # a new sh must find the console
    g.expect("sh: ready in", 30)
    g.expect(PROMPT, 15)
    out = g.command("clctl status")
    need(re.search(r"\bnames\b.*running", out), "status: %r" % out)
    # Every service came back: vmgr restarted twice (with names) while
    # the services it had lent quota to lived on; its dead pools must
    # not starve init (a CI run saw sh, a local run iod, fail for good
    # with "vmgr lent no quota").
    for _ in range(20):
        out = g.command("clctl status")
        need(not re.search(r"^\S+\s+failed", out, re.M),
             "a service failed after names restarted: %r" % out)
        total = re.search(r"^([0-9]+) services", out, re.M)
        need(total, "no service count: %r" % out)
        if len(re.findall(r"^\S+\s+running", out, re.M)) == \
                int(total.group(1)):
            break
        time.sleep(0.5)
    else:
        need(False, "not every service running: %r" % out)


def t_top(g):
    # From here on: a prompt redrawn before (a log line during the
    # previous step) must not count as top's end, or the next step types
    # while top still runs.
    g.drain(0.2)
    g.pos = start = len(g.buf)
    g.line("top")
    g.expect("top: refreshing", 15)
    g.expect("=== timeline-inspect", 30)
    g.drain(1.0)
    g.send("q")
    g.expect("timeline-inspect stopped by a key", 30)
    g.expect(PROMPT, 15)
    need("cpu0" in g.text(start), "top showed no CPU")


def t_kill_init_refused(g):
    """No program ends init: sh's `kill` of init's koid goes to /svc/init,
    which kills only what it started. (A kernel race once let a killed
    program's exit end init's thread instead: the system went down with
    `init exited with status 130` right after `top`; ktest
    sched_current_thread_survives_migration.)"""
    out = g.command("ps")
    m = re.search(r"^\s*([0-9]+)\s+0\s+init\b", out, re.M)
    need(m, "no init in ps: %r" % out)
    out = g.command("kill %s" % m.group(1))
    need("not a task init started" in out, "kill of init: %r" % out)
    out = g.command("clctl status")
    need(re.search(r"\bsh\b.*running", out), "after kill of init: %r" % out)


def t_timeline_inspect(g):
    out = g.command("timeline-inspect", timeout=60)
    need("cpu" in out.lower(), "timeline-inspect: %r" % out[-300:])


def t_poweroff(g):
    g.line("poweroff")
    g.expect("powering off", 30)
    st = g.wait_exit(30)
    need("PANIC" not in g.text(), "kernel panic at poweroff")
    need(st in (0, 1), "QEMU exit status %s" % st)


def t_reboot(g):
    g.line("reboot")
    g.expect("reboot", 30)
    st = g.wait_exit(30)  # -no-reboot: the reset ends QEMU
    need("PANIC" not in g.text(), "kernel panic at reboot")
    need(st in (0, 1), "QEMU exit status %s" % st)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="build/exec-rt.iso")
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--name", default="shell")
    ap.add_argument("--logdir", default="build/logs")
    ap.add_argument("--quick", action="store_true",
                    help="boot, a few commands, poweroff")
    ap.add_argument("--reboot", action="store_true",
                    help="end with reboot instead of poweroff")
    a = ap.parse_args()
    g = Guest(a.name, a.logdir, iso=a.iso, uefi=a.uefi, machine=a.machine,
              timeout=600)
    s = Suite(g)
    tests = [("boot_to_prompt", t_boot), ("help", t_help),
             ("uptime", t_uptime), ("mem", t_mem), ("ps", t_ps)]
    if not a.quick:
        tests += [("program_with_args", t_program),
                  ("unknown_command", t_unknown), ("quotes", t_quotes),
                  ("files", t_files), ("fstest_stdio", t_fstest),
                  ("fsd_restart", t_fsd_restart),
                  ("line_10k", t_long_line), ("garbage_input", t_garbage),
                  ("line_editing_history", t_editing),
                  ("arrow_paste", t_arrow_paste),
                  ("portctl", t_portctl),
                  ("portctl_stream_ctrl_c", t_stream_ctrl_c),
                  ("ctrl_c_foreground", t_ctrl_c_foreground),
                  ("ctrl_c_not_stolen", t_ctrl_c_not_stolen),
                  ("readline_not_stolen", t_readline_not_stolen),
                  ("foreground_gets_the_line", t_foreground_gets_the_line),
                  ("nested_sh_reads", t_nested_sh_reads),
                  ("fg_job", t_fg_job),
                  ("program_cannot_control_init",
                   t_program_cannot_control_init),
                  ("paste_block", t_paste_block),
                  ("many_jobs", t_many_jobs),
                  ("type_ahead", t_type_ahead),
                  ("background_and_kill", t_background_kill),
                  ("clctl", t_clctl), ("crash_restart", t_crash_restart),
                  ("restart_names_sh_console", t_restart_core_services),
                  ("log_flood", t_log_flood),
                  ("top_until_key", t_top),
                  ("kill_init_refused", t_kill_init_refused),
                  ("kill_names", t_kill_names),
                  ("timeline_inspect", t_timeline_inspect)]
    tests.append(("reboot", t_reboot) if a.reboot else
                 ("poweroff", t_poweroff))
    try:
        for name, fn in tests:
            s.run(name, fn)
    finally:
        g.close()
    print("%d passed, %d failed" % (s.passed, s.failed))
    sys.exit(0 if s.failed == 0 else 1)


if __name__ == "__main__":
    main()
