# The Python check harness: runs inside the child process that pythonRunner.ts starts for one
# candidate (copied to dist/check-harness.py; the standard library only). It caps its own memory,
# refuses file writes, processes and network connections through an audit hook, runs the
# candidate's program, then its checks one by one, and reports each on fd 3 as it goes, so a
# check that never returns is known by its index. The messages are harnessProtocol.ts's.
import json
import os
import sys

CHANNEL = 3
MAX_SHOWN = 400


def send(message):
    os.write(CHANNEL, (json.dumps(message) + "\n").encode("utf-8"))


def show(value):
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def describe(error):
    message = str(error).split("\n")[0]
    if len(message) > MAX_SHOWN:
        message = message[:MAX_SHOWN] + "…"
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class NotAllowed(PermissionError):
    pass


# What a candidate may not do. An audit hook cannot be removed once added.
REFUSED_EVENTS = {
    "subprocess.Popen": "starting a process",
    "os.system": "starting a process",
    "os.exec": "starting a process",
    "os.posix_spawn": "starting a process",
    "os.spawn": "starting a process",
    "os.fork": "starting a process",
    "os.forkpty": "starting a process",
    "os.kill": "signalling a process",
    "socket.connect": "a network connection",
    "socket.bind": "a network connection",
    "socket.sendto": "a network connection",
    "os.remove": "removing a file",
    "os.rmdir": "removing a folder",
    "os.rename": "renaming a file",
    "os.mkdir": "making a folder",
    "os.truncate": "truncating a file",
    "os.chmod": "changing a file",
    "shutil.rmtree": "removing a folder",
    "ctypes.dlopen": "loading native code",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def audit(event, args):
    if not armed:
        return
    if event in REFUSED_EVENTS:
        raise NotAllowed(f"not allowed here: {REFUSED_EVENTS[event]} ({event})")
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & WRITE_FLAGS)
        if writing:
            raise NotAllowed(f"not allowed here: writing a file ({path})")


armed = False


def limit_memory(megabytes):
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def run_check(check, namespace):
    scope = dict(namespace)
    try:
        if check.get("setup"):
            exec(compile(check["setup"], "<setup>", "exec"), scope)
        code = check["code"]
        try:
            expression = compile(code, "<check>", "eval")
        except SyntaxError:
            expression = None
        if expression is None:
            exec(compile(code, "<check>", "exec"), scope)
            actual = None
        else:
            actual = eval(expression, scope)
    except MemoryError:
        return {"outcome": "error", "message": "used more than the memory limit"}
    except Exception as error:  # noqa: BLE001 - a candidate may raise anything
        return {"outcome": "error", "message": describe(error)}
    if "expectedOutput" in check:
        # Doctest: what the interpreter would print for it.
        printed = "" if actual is None else repr(actual)
        expected = check["expectedOutput"].strip()
        if printed.strip() == expected:
            return {"outcome": "passed", "actual": printed}
        return {"outcome": "failed", "actual": printed, "message": f"expected {expected}"}
    if "expected" in check:
        try:
            expected = eval(compile(check["expected"], "<expected>", "eval"), scope)
        except Exception as error:  # noqa: BLE001
            return {"outcome": "skipped", "message": f"its expected value does not evaluate: {describe(error)}"}
        if actual == expected and type(actual) is type(expected):
            return {"outcome": "passed", "actual": show(actual)}
        return {"outcome": "failed", "actual": show(actual), "message": f"expected {show(expected)}"}
    if actual is False:
        return {"outcome": "failed", "actual": show(actual), "message": "expected it to hold"}
    return {"outcome": "passed", "actual": show(actual)}


def main():
    global armed
    program_path, checks_path, memory = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(program_path, encoding="utf-8") as file:
        program = file.read()
    with open(checks_path, encoding="utf-8") as file:
        checks = json.load(file)
    limit_memory(memory)
    sys.addaudithook(audit)
    armed = True
    namespace = {"__name__": "candidate"}
    try:
        exec(compile(program, "candidate.py", "exec"), namespace)
    except SyntaxError as error:
        send({"type": "crashed", "message": f"does not compile: {error.msg} (line {error.lineno})"})
        return
    except BaseException as error:  # noqa: BLE001 - SystemExit too: the candidate may not end the run
        send({"type": "crashed", "message": describe(error)})
        return
    send({"type": "loaded"})
    for index, check in enumerate(checks):
        send({"type": "start", "index": index})
        try:
            result = run_check(check, namespace)
        except BaseException as error:  # noqa: BLE001 - SystemExit, KeyboardInterrupt
            result = {"outcome": "error", "message": describe(error)}
        send({"type": "result", "index": index, **result})
    send({"type": "done"})


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
