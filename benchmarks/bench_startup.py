"""How long a command takes to start, as whole processes, against the bare interpreter and bagit-python.

- `python -c pass`: the floor every Python command pays.
- `preservation --help`: target under 60 ms above the floor (aim: 50).
- `preservation validate BAG` of a one-file bag vs `bagit.py --validate BAG` (bagit-python's own command
  line) on the same bag: target faster (aim: 1.10x).

Each command runs ROUNDS times (or as often as the first argument says), interleaved with the others; the
best time counts. The machine may be shared: the load average before and after is printed with the figures,
and more rounds find its quiet moments. Run from the checkout: `PYTHONPATH=. python
benchmarks/bench_startup.py [ROUNDS]`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bagit

ROUNDS = 15


def one_file_bag(root: Path) -> Path:
    folder = root / "bag"
    folder.mkdir()
    (folder / "a.txt").write_text("one file\n", encoding="utf-8")
    bagit.make_bag(str(folder), checksums=["sha256"])
    return folder


def best_of(commands: dict[str, list[str]], env: dict[str, str], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(rounds):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def main() -> None:
    bagit_cli = shutil.which("bagit.py")
    if bagit_cli is None:
        sys.exit("bagit.py (bagit-python's command line) is not on the PATH")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        # Bytecode cached as an installed package has it (pip compiles at install): without it every
        # run compiles our modules anew (~80 ms), and PYTHONDONTWRITEBYTECODE may be set in the shell.
        # The cache lives in the temporary folder, for every command alike, so the checkout stays clean.
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        bag = str(one_file_bag(Path(tmp)))
        python = sys.executable
        best = best_of(
            {
                "python -c pass": [python, "-c", "pass"],
                "preservation --help": [python, "-m", "preservation", "--help"],
                "preservation validate BAG": [python, "-m", "preservation", "validate", bag],
                "bagit.py --validate BAG": [python, bagit_cli, "--validate", bag],
            },
            env,
            int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS,
        )
    pairs = zip(load_before, os.getloadavg(), strict=True)
    print("load average (1, 5, 15 min):", " / ".join(f"{was:.2f} → {now:.2f}" for was, now in pairs))
    for name, seconds in best.items():
        print(f"{name:28} {seconds * 1000:6.1f} ms")
    floor = best["python -c pass"]
    above = (best["preservation --help"] - floor) * 1000
    print(f"--help above the interpreter: {above:.1f} ms (target < 60, aim 50)")
    ratio = best["bagit.py --validate BAG"] / best["preservation validate BAG"]
    print(f"validate of a one-file bag: {ratio:.2f}x bagit.py --validate (target > 1, aim 1.10)")


if __name__ == "__main__":
    main()
