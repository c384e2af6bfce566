"""Tests guessing a seed's language, and `import --lang`: the language written, and the report saying how it was chosen."""
from __future__ import annotations

from broadside.language_guess import guess_language
from tests.helpers import make_project, run_cli

FRENCH_SEED = (" date 2021-07-01 La coalition saisit les Nations unies sur les diamants de la guerre\n\n"
               "La Coalition de la société civile du Processus de Kimberley prévoit de saisir les Nations unies de "
               "l’impasse sur la redéfinition des diamants de la guerre.\n\nSelon la coalition, les participants ont "
               "invoqué des objections de procédure pour bloquer les discussions sur la réforme.\n")
DUTCH_SEED = (" date 2021-07-02 De coalitie stapt naar de Verenigde Naties over conflictdiamanten\n\n"
              "De coalitie van het maatschappelijk middenveld wil de Verenigde Naties vragen om de definitie van "
              "conflictdiamanten te herzien.\n\nVolgens de coalitie blokkeren sommige deelnemers elke hervorming.\n")
FRENCH = '\n[languages.fr]\ntitle = "Veille"\ndescription = "Un site de test."\n'


def test_guesses_are_tags_with_a_certainty_and_repeatable():
    guess = guess_language("La Coalition de la société civile prévoit de saisir les Nations unies de l'impasse.")
    assert guess.lang == "fr" and 0.9 <= guess.certainty <= 1
    assert guess_language("Os delegados reuniram-se em plenária sem chegar a acordo sobre a definição.").lang == "pt"
    assert guess_language("1234 5678") == guess_language("1234 5678")


def project_with_seeds(tmp_path, french_declared: bool = True):
    project = make_project(tmp_path, files={"seeds/fr.txt": FRENCH_SEED, "seeds/nl.txt": DUTCH_SEED})
    if french_declared:
        (project / "site.toml").write_text((project / "site.toml").read_text() + FRENCH)
    return project


def test_import_guesses_a_declared_language_and_says_how_sure(tmp_path):
    project = project_with_seeds(tmp_path)
    result = run_cli(project, "import", "seeds/fr.txt")
    target = "content/briefings/la-coalition-saisit-les-nations-unies-sur-les-diamants-de-la.md"
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"seeds/fr.txt -> {target}\n") and "\n  language: fr (guessed, 100% sure)\n" in result.stdout
    assert "\nlang: fr\n" in (project / target).read_text()
    built = run_cli(project)
    assert built.returncode == 0, built.stderr
    assert (project / "output/fr/briefings/la-coalition-saisit-les-nations-unies-sur-les-diamants-de-la/index.html").is_file()


def test_an_undeclared_language_is_imported_in_the_default_one_with_a_warning(tmp_path):
    project = project_with_seeds(tmp_path)
    result = run_cli(project, "import", "seeds/nl.txt")
    assert result.returncode == 0
    assert ("seeds/nl.txt:1: warning: imported as en, the site's default language: the text looks nl (100% sure), "
            "which site.toml does not declare (import it again with --lang and --force, or add [languages.nl] to "
            "site.toml)") in result.stderr
    assert "\nlang:" not in (project / "content/briefings/de-coalitie-stapt-naar-de-verenigde-naties-over.md").read_text()


def test_lang_option_sets_the_language_and_must_be_declared(tmp_path):
    project = project_with_seeds(tmp_path)
    result = run_cli(project, "import", "--lang", "fr", "seeds/nl.txt")
    assert result.returncode == 0 and "\n  language: fr (given with --lang)\n" in result.stdout
    assert "\nlang: fr\n" in (project / "content/briefings/de-coalitie-stapt-naar-de-verenigde-naties-over.md").read_text()
    refused = run_cli(project, "import", "--lang", "pt", "--force", "seeds/nl.txt")
    assert refused.returncode == 1
    assert refused.stderr.startswith("--lang: language 'pt' is not declared in site.toml (declared: en, fr)")
    english = run_cli(project, "import", "--lang", "en", "--force", "seeds/nl.txt")
    assert english.returncode == 0  # the default language needs no lang line
    assert "\nlang:" not in (project / "content/briefings/de-coalitie-stapt-naar-de-verenigde-naties-over.md").read_text()


def test_a_site_in_one_language_gives_every_seed_that_language(tmp_path):
    project = project_with_seeds(tmp_path, french_declared=False)
    result = run_cli(project, "import", "seeds/fr.txt")
    assert result.returncode == 0 and result.stderr.count("warning") == 2  # no byline, no issue: nothing on language
    assert "language:" not in result.stdout  # nothing chosen, so nothing said
