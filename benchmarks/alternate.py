"""Takes two commits of Broadside and a corpus size, gives their cold, no-change and one-edit builds measured in
turn, round after round, with each figure's median and the ratio of the second commit's to the first's.

Run: .venv/bin/python benchmarks/alternate.py BEFORE AFTER [--briefings 5000] [--rounds 6] [--saves 0]
A machine shared with other work changes speed by 10-20 % within an hour, more than most changes to Broadside gain
or lose, so figures taken at different hours compare badly; builds of the two commits taken in turn see the same
machine. Each commit is checked out in a scratch folder (a detached git worktree, its modules compiled first: see
run.compile_broadside) and builds its own copy of one generated corpus (benchmarks/corpus.py, with that commit's
themes/), with this environment's Python and libraries. Each round, for each commit in turn: a cold build (output
and cache set aside first, as run.py does), a no-change rebuild, and a one-edit rebuild (one sentence appended to the
same briefing for both). Printed: wall time, CPU time (user + system of the build and its workers), and for the
cold build wall / CPU, which falls when the build keeps more cores busy. With --saves N, each round then runs a
preview of each project in turn, as `build.py serve` does (growth.py's preview child, the same harness for both
commits): N saves to the body of one briefing each, and the medians of the page shown at once and of the full
preview build that follows (a figure per side a round; their medians are printed).
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import corpus
from growth import preview_saves
from run import append_sentence, compile_broadside, log, run_command, set_aside

REPO = Path(__file__).resolve().parents[1]
BUILDS = ("cold", "no-change", "one-edit")
SAVES = (("page at once", "at_once"), ("full preview build", "full"))  # growth.preview_saves' figures


def check_out(revision: str, folder: Path) -> Path:
    """A detached worktree of `revision` in `folder`, its modules compiled."""
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(folder), revision], check=True)
    compile_broadside(folder)
    return folder


def build(code: Path, project: Path) -> tuple[float, float]:
    """Build `project` with the Broadside of `code`; give the wall and CPU seconds."""
    run = run_command([sys.executable, str(code / "build.py"), "build", "-q", "--project", str(project)], code)
    return run.seconds, run.cpu


def measure(sides: dict[str, tuple[Path, Path]], rounds: int, trash: Path, saves: int = 0
            ) -> dict[tuple[str, str], list]:
    """Each side's (wall, CPU) per build, and per preview save figure with `saves`, round after round, the sides in
    turn within each round."""
    figures: dict[tuple[str, str], list] = {(side, name): [] for side in sides for name in (*BUILDS, *dict(SAVES))}
    names = sorted(path.name for path in (next(iter(sides.values()))[1] / "content/briefings").glob("*.md"))
    for number in range(rounds):
        edited = random.Random(number).choice(names)
        for side, (code, project) in sides.items():
            for path in (project / "output", project / ".broadside"):
                set_aside(path, trash)
            figures[(side, "cold")].append(build(code, project))
            figures[(side, "no-change")].append(build(code, project))
            append_sentence(project / "content/briefings" / edited, f"One more sentence, round {number + 1}.")
            figures[(side, "one-edit")].append(build(code, project))
        if saves:
            saved = [name.removesuffix(".md") for name in random.Random(-number).sample(names, min(saves, len(names)))]
            for side, (code, project) in sides.items():
                found = preview_saves(project, saved, saves, code)
                for name, key in SAVES:
                    figures[(side, name)].append((found[key], found[f"{key}_cpu"]))
        log(f"round {number + 1} of {rounds}: " + ", ".join(
            f"{side} cold {figures[(side, 'cold')][-1][0]:.2f} s" for side in sides))
    return figures


def report(figures: dict[tuple[str, str], list], sides: list[str], labels: dict[str, str]) -> None:
    """The medians of every build, each side's, and the ratio of the second side to the first."""
    first, second = sides
    print(f"{'measure':30}  {labels[first]:>14}  {labels[second]:>14}  ratio")
    for name in (*BUILDS, *dict(SAVES)):
        if not figures[(first, name)]:
            continue  # no preview saves were asked for
        rows = [("wall", 0), ("CPU", 1)] + ([("wall / CPU", None)] if name == "cold" else [])
        for label, part in rows:
            medians = [statistics.median(wall / cpu if part is None else (wall, cpu)[part]
                                         for wall, cpu in figures[(side, name)]) for side in sides]
            unit = "" if part is None else " s"
            print(f"{name + ' ' + label:30}  {medians[0]:>12.4f}{unit:2}  {medians[1]:>12.4f}{unit:2}  "
                  f"{medians[1] / medians[0]:.3f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the first commit (any revision git knows)")
    parser.add_argument("after", help="the second commit")
    parser.add_argument("--briefings", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--saves", type=int, default=0, help="preview saves per side and round (0: none)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="broadside-alternate-") as scratch:
        workspace, made = Path(scratch), corpus.make_corpus(arguments.briefings)
        sides: dict[str, tuple[Path, Path]] = {}
        try:
            for side, revision in (("before", arguments.before), ("after", arguments.after)):
                code, project = check_out(revision, workspace / f"{side}-code"), workspace / f"{side}-project"
                sides[side] = (code, project)
                corpus.write_broadside(made, project)
                shutil.rmtree(project / "themes")
                shutil.copytree(code / "themes", project / "themes")
            log(f"{arguments.briefings} briefings, {arguments.rounds} rounds, {arguments.before} then {arguments.after}")
            figures = measure(sides, arguments.rounds, workspace / "set-aside", arguments.saves)
            report(figures, list(sides), {"before": arguments.before, "after": arguments.after})
        finally:
            for code, _ in sides.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(code)], check=False)


if __name__ == "__main__":
    main()
