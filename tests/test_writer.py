"""Tests the output folder is replaced whole or not at all: stale files, unsafe paths, full disks, read-only disks, signals, locks."""
import fcntl
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from broadside.errors import BuildFailed
from broadside.writer import check_output_path, write_site
from tests.helpers import REPO, make_project, manifest, run_cli


def test_output_holds_exactly_the_files_of_the_build(tmp_path):
    out = tmp_path / "output"
    write_site({"a.html": b"A", "d/b.html": b"B", ".nojekyll": b""}, out)
    report = write_site({"a.html": b"A", "c.html": b"C", ".nojekyll": b""}, out)
    assert sorted(manifest(out)) == [".nojekyll", "a.html", "c.html"]
    assert (report.written, report.unchanged) == (1, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]  # no temporary folder left behind


def test_files_gone_take_the_folders_they_emptied_with_them(tmp_path):
    """A tree of folders emptied at once (a language given up) goes whole; a folder still holding a file stays."""
    out = tmp_path / "output"
    write_site({"fr/index.html": b"F", "fr/issues/alpha/page/2/index.html": b"2", "d/e/b.html": b"B", "d/c.html": b"C",
                ".nojekyll": b""}, out)
    write_site({"d/c.html": b"C", ".nojekyll": b""}, out)
    assert sorted(path.relative_to(out).as_posix() for path in out.rglob("*")) == [".nojekyll", "d", "d/c.html"]


def test_deleted_briefing_leaves_no_stale_page(tmp_path):
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    (project / "content/briefings/third.md").unlink()
    assert run_cli(project).returncode == 0
    assert not (project / "output/briefings/third").exists()


@pytest.mark.parametrize("path", ["../outside/index.html", "../out-old/x", "/etc/x", "a/../../x", "a\\..\\x",
                                  "a/./b", "", "a//b", "C:/x", "a\x00b"])
def test_paths_that_could_escape_are_refused(tmp_path, path):
    with pytest.raises(BuildFailed):
        check_output_path(path)
    with pytest.raises(BuildFailed):
        write_site({path: b"x"}, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_folder_broadside_did_not_make_is_never_replaced(tmp_path):
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(BuildFailed) as caught:
        write_site({"index.html": b"x"}, precious, label="Documents")
    assert "Documents/ holds files Broadside did not write" in str(caught.value)
    assert (precious / "thesis.docx").read_bytes() == b"years of work"


def test_a_second_build_is_refused_while_one_holds_the_lock(tmp_path):
    project = make_project(tmp_path)
    (project / "output.tmp-4242").mkdir()
    fd = os.open(project, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = run_cli(project)
    finally:
        os.close(fd)
    assert result.returncode == 1
    assert "output: another build is running (pid 4242) (wait for it to finish, then build again)" in result.stderr
    assert run_cli(project).returncode == 0 and not (project / "output.tmp-4242").exists()


def in_namespace(script: str, tmp_path) -> dict:
    """Run a shell script as root of a private mount namespace; it prints JSON as its last line."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed for the disk failure tests")
    result = subprocess.run(["unshare", "-rm", "bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


REPORT = textwrap.dedent("""
    import hashlib, json, pathlib, sys
    root = pathlib.Path(sys.argv[1])
    print(json.dumps({p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in sorted(root.rglob("*")) if p.is_file()}))
""")


def test_read_only_disk_fails_cleanly_and_keeps_the_old_output(tmp_path):
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    before = manifest(project / "output")
    (project / "content/briefings/new.md").write_text("---\ntitle: New\ndate: 2022-01-01\nissues: [alpha]\n---\nNew\n")
    script = f"""
        set -e
        mount --bind {project} {project} && mount -o remount,bind,ro {project}
        set +e
        {sys.executable} {REPO}/build.py --project {project} > out.txt 2> err.txt; echo $? > rc.txt
        {sys.executable} -c '{REPORT}' {project}/output
    """
    after = in_namespace(script, tmp_path)
    assert (tmp_path / "rc.txt").read_text().strip() == "1"
    assert "output: cannot write output/: Read-only file system" in (tmp_path / "err.txt").read_text()
    assert after == before and manifest(project / "output") == before


def test_full_disk_fails_cleanly_and_keeps_the_old_output(tmp_path):
    project = make_project(tmp_path)
    site = tmp_path / "disk"
    site.mkdir()
    staged = tmp_path / "staged"
    staged.mkdir()
    for n in range(3):
        (staged / f"big-{n}.md").write_text("---\ntitle: Big\ndate: 2022-01-01\nissues: [alpha]\n---\n" + "word " * 300_000)
    script = f"""
        set -e
        mount -t tmpfs -o size=512k tmpfs {site}
        {sys.executable} {REPO}/build.py --project {project} --output {site}/output > /dev/null
        {sys.executable} -c '{REPORT}' {site}/output > before.json
        cp {staged}/*.md {project}/content/briefings/
        set +e
        {sys.executable} {REPO}/build.py --project {project} --output {site}/output > out.txt 2> err.txt; echo $? > rc.txt
        ls -a {site} > listing.txt
        {sys.executable} -c '{REPORT}' {site}/output
    """
    after = in_namespace(script, tmp_path)
    assert (tmp_path / "rc.txt").read_text().strip() == "1"
    assert "No space left on device" in (tmp_path / "err.txt").read_text()
    assert after == json.loads((tmp_path / "before.json").read_text()) and after
    assert (tmp_path / "listing.txt").read_text().split() == [".", "..", "output"]


def test_file_too_large_fails_cleanly(tmp_path):
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    before = manifest(project / "output")
    (project / "content/briefings/long.md").write_text("---\ntitle: Long\ndate: 2022-01-01\nissues: [alpha]\n---\n" + "word " * 2000)
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))  # noqa: E731
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--project", str(project)],
                            capture_output=True, text=True, preexec_fn=limit, timeout=60)
    assert result.returncode == 1 and "File too large" in result.stderr and "Traceback" not in result.stderr
    assert manifest(project / "output") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("output")) == ["output"]


def test_interrupted_builds_leave_the_old_or_the_new_output_never_a_mix(tmp_path):
    files = {f"content/briefings/b-{n:03}.md": f"---\ntitle: B {n}\ndate: 2020-01-{n % 28 + 1:02}\nissues: [alpha]\n---\n"
             + "Some text. " * 400 for n in range(150)}
    project = make_project(tmp_path, files=files)
    assert run_cli(project).returncode == 0
    old = manifest(project / "output")
    (project / "content/briefings/b-000.md").write_text(files["content/briefings/b-000.md"].replace("B 0", "B zero"))
    assert run_cli(project, "--output", str(tmp_path / "probe")).returncode == 0
    new = manifest(tmp_path / "probe")
    outcomes = []
    for attempt in range(10):
        chance = random.Random(attempt)
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--project", str(project)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Strike inside the write phase: once the temporary folder exists, after a random delay.
        temporary = project / f"output.tmp-{process.pid}"
        while process.poll() is None and not temporary.exists():
            time.sleep(0.001)
        time.sleep(chance.uniform(0, 0.08))
        process.send_signal(chance.choice([signal.SIGINT, signal.SIGTERM]))
        _, stderr = process.communicate(timeout=60)
        assert process.returncode in (0, 130, 143) and "Traceback" not in stderr, stderr
        state = manifest(project / "output")
        assert state in (old, new)
        outcomes.append(process.returncode)
        if state == new:  # put the old output back for the next attempt
            (project / "content/briefings/b-000.md").write_text(files["content/briefings/b-000.md"])
            assert run_cli(project).returncode == 0
            (project / "content/briefings/b-000.md").write_text(files["content/briefings/b-000.md"].replace("B 0", "B zero"))
        assert not [p for p in project.iterdir() if ".tmp-" in p.name or ".old-" in p.name] or process.returncode == 0
    assert run_cli(project).returncode == 0 and manifest(project / "output") == new
    assert not [p for p in project.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert outcomes.count(0) < 8, f"most signals came too late to interrupt anything: {outcomes}"
