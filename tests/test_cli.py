"""Tests build.py as people run it: default command, options, exit codes, and errors printed without tracebacks."""
from tests.helpers import make_project, manifest, run_cli


def test_build_is_the_default_command_and_ends_with_a_summary(tmp_path):
    project = make_project(tmp_path)
    result = run_cli(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 24 pages: 73 files written, 0 unchanged, 0 held back, in ")
    again = run_cli(project)
    assert "0 files written, 73 unchanged" in again.stdout


def test_output_and_base_url_options(tmp_path):
    project = make_project(tmp_path)
    result = run_cli(project, "--output", str(tmp_path / "elsewhere"), "--base-url", "https://user.github.io/repo/")
    assert result.returncode == 0 and (tmp_path / "elsewhere/index.html").is_file()
    assert 'href="https://user.github.io/repo/index.html"' in (tmp_path / "elsewhere/404.html").read_text()
    assert not (project / "output").exists()


def test_errors_are_listed_all_at_once_and_the_output_is_untouched(tmp_path):
    project = make_project(tmp_path)
    assert run_cli(project).returncode == 0
    before = manifest(project / "output")
    (project / "content/briefings/a.md").write_text("---\ntitle: 'x\n---\n")
    (project / "content/briefings/b.md").write_text("---\ntitle: x\ndate: 2021-02-30\n---\n")
    result = run_cli(project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "content/briefings/a.md:2:8: invalid YAML: found unexpected end of stream (close the quote at the end of the value)",
        "content/briefings/b.md:3: invalid date '2021-02-30' (use YYYY-MM-DD[THH:MM±HH:MM])",
        "2 error(s); nothing was changed",
    ]
    assert manifest(project / "output") == before


def test_strict_turns_warnings_into_errors(tmp_path):
    project = make_project(tmp_path, files={"content/issues/gamma.md": "---\ntitle: Gamma\n---\nSee [x](missing.md).\n"})
    relaxed = run_cli(project)
    assert relaxed.returncode == 0
    assert "content/issues/gamma.md:4: warning: broken link 'missing.md': there is no content/issues/missing.md" in relaxed.stderr
    strict = run_cli(project, "--strict")
    assert strict.returncode == 1 and "content/issues/gamma.md:1: issue 'gamma' has no briefings" in strict.stderr


def test_check_writes_nothing(tmp_path):
    project = make_project(tmp_path)
    result = run_cli(project, "check", "--strict")
    assert result.returncode == 0 and result.stdout.startswith("Checked 24 pages: 0 warnings, 0 errors")
    assert not (project / "output").exists()


def test_new_briefing_is_a_valid_draft_and_never_overwrites(tmp_path):
    project = make_project(tmp_path)
    result = run_cli(project, "new", "briefing", "Plenary: what's next #3", "--issue", "alpha")
    assert result.returncode == 0 and result.stdout.strip() == "content/briefings/plenary-what-s-next-3.md"
    text = (project / result.stdout.strip()).read_text()
    assert "title: 'Plenary: what''s next #3'" in text and "issues: [alpha]" in text and "draft: true" in text
    built = run_cli(project, "--strict", "--drafts")
    assert built.returncode == 0, built.stderr
    assert "Plenary: what&#39;s next #3" in (project / "output/briefings/plenary-what-s-next-3/index.html").read_text()
    assert "held back: content/briefings/plenary-what-s-next-3.md (draft)" in run_cli(project).stderr
    again = run_cli(project, "new", "briefing", "Plenary: what's next #3")
    assert again.returncode == 1 and "content/briefings/plenary-what-s-next-3.md: the file already exists" in again.stderr


def test_new_issue_and_unknown_issue(tmp_path):
    project = make_project(tmp_path)
    assert run_cli(project, "new", "issue", "Gamma watch").stdout.strip() == "content/issues/gamma-watch.md"
    assert run_cli(project, "check").returncode == 0
    wrong = run_cli(project, "new", "briefing", "X", "--issue", "nope")
    assert wrong.returncode == 1 and "unknown issue 'nope'" in wrong.stderr


def test_progress_bar_only_on_a_terminal(tmp_path):
    import io

    from broadside.progress import terminal_progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    show = terminal_progress(screen, minimum=2)
    for done in range(1, 5):
        show("reading", done, 4)
    assert "reading    [" in screen.getvalue() and "4/4" in screen.getvalue()
    assert terminal_progress(io.StringIO())("reading", 1, 4) is None and run_cli(make_project(tmp_path)).stderr == ""


def test_drafts_and_scheduled_briefings_leave_no_trace_in_the_output(tmp_path):
    draft = "---\ntitle: Secret draft zebra\ndate: 2021-01-01\nissues: [alpha]\ndraft: true\n---\nDraft body.\n"
    later = "---\ntitle: Future giraffe\ndate: 2999-01-01\nissues: [alpha]\n---\nLater body.\n"
    project = make_project(tmp_path, files={"content/briefings/zebra.md": draft, "content/briefings/giraffe.md": later})
    result = run_cli(project)
    assert result.returncode == 0
    assert "held back: content/briefings/zebra.md (draft)" in result.stderr
    assert "held back: content/briefings/giraffe.md (scheduled for 2999-01-01)" in result.stderr
    assert ", 2 held back, in " in result.stdout
    for path in (project / "output").rglob("*"):
        assert "zebra" not in str(path) and "giraffe" not in str(path)
        if path.is_file():
            data = path.read_bytes().lower()
            assert b"zebra" not in data and b"giraffe" not in data, path
    both = run_cli(project, "--drafts", "--future", "--output", str(tmp_path / "preview"))
    assert both.returncode == 0 and (tmp_path / "preview/briefings/zebra/index.html").is_file()
    assert "Scheduled" in (tmp_path / "preview/briefings/giraffe/index.html").read_text()


def test_check_reports_each_kind_of_problem(tmp_path):
    problems = {
        "content/briefings/yaml.md": ("---\ntitle: 'x\n---\n", "content/briefings/yaml.md:2:8: invalid YAML"),
        "content/briefings/issue.md": ("---\ntitle: x\ndate: 2021-01-01\nissues: [gamma]\n---\n", "unknown issue 'gamma'"),
        "content/briefings/First.md": ("---\ntitle: x\ndate: 2021-01-01\n---\n", "give the same address 'first'"),
    }
    project = make_project(tmp_path, files={path: text for path, (text, _) in problems.items()})
    result = run_cli(project, "check")
    assert result.returncode == 1
    for _, expected in problems.values():
        assert expected in result.stderr
    assert not (project / "output").exists()


def test_check_warnings_and_strict(tmp_path):
    body = "---\ntitle: x\ndate: 2021-01-01\nissues: [alpha]\n---\n[a](nope.md) [b](first.md#nowhere)\n"
    project = make_project(tmp_path, files={"content/briefings/links.md": body})
    relaxed = run_cli(project, "check")
    assert relaxed.returncode == 0 and relaxed.stdout.startswith("Checked 26 pages: 2 warnings, 0 errors")
    strict = run_cli(project, "check", "--strict")
    assert strict.returncode == 1 and "content/briefings/links.md:6: broken link 'nope.md'" in strict.stderr
