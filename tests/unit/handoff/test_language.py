"""Replies follow the customer's language and Serbian script; short shared replies keep them."""

from __future__ import annotations

import pytest

from handoff.language import SUPPORTED_LANGUAGES, next_language, render, script_of


class TestShortRepliesKeepTheLanguage:
    @pytest.mark.parametrize(
        ("text", "current", "script", "expected"),
        [
            ("да", "ru", None, ("ru", None)),
            ("Да!", "ru", None, ("ru", None)),
            ("da", "sr", "Latn", ("sr", "Latn")),
            ("да", "sr", "Cyrl", ("sr", "Cyrl")),
            ("не", "sr", "Cyrl", ("sr", "Cyrl")),
            ("так", "sr", "Cyrl", ("sr", "Cyrl")),
            ("ok", "en", None, ("en", None)),
            ("ok", "sr", "Cyrl", ("sr", "Cyrl")),
            ("ок", "ru", None, ("ru", None)),
            ("yes", "el", None, ("el", None)),
            ("2", "ru", None, ("ru", None)),
            ("👍", "sr", "Latn", ("sr", "Latn")),
            ("ne hvala", "sr", "Latn", ("sr", "Latn")),
            ("Gmail", "sr", "Cyrl", ("sr", "Cyrl")),
        ],
    )
    def test_keeps(
        self, text: str, current: str, script: str | None, expected: tuple[str, str | None]
    ) -> None:
        assert next_language(text, current, script) == expected

    def test_russian_only_no_is_evidence_of_russian(self) -> None:
        assert next_language("нет", "sr", "Cyrl") == ("ru", None)

    def test_serbian_thanks_moves_a_russian_conversation_to_serbian(self) -> None:
        assert next_language("Да, хвала", "ru", None) == ("sr", "Cyrl")


class TestSwitching:
    def test_full_sentence_in_another_language_switches(self) -> None:
        assert next_language("Zdravo, treba mi pomoć sa lozinkom", "en", None) == ("sr", "Latn")
        assert next_language("Не могу войти в аккаунт", "en", None) == ("ru", None)
        assert next_language("Hello, my card was declined", "ru", None) == ("en", None)
        assert next_language("Καλησπέρα, δεν μπορώ να συνδεθώ", "en", None) == ("el", None)

    def test_serbian_script_follows_what_the_customer_writes(self) -> None:
        assert next_language("Не могу да се пријавим на налог", "sr", "Latn") == ("sr", "Cyrl")
        assert next_language("ne mogu da se prijavim", "sr", "Cyrl") == ("sr", "Latn")

    def test_cyrillic_without_russian_evidence_stays_serbian(self) -> None:
        assert next_language("не могу ништа", "sr", "Cyrl") == ("sr", "Cyrl")
        assert next_language("да, спасибо большое", "ru", None) == ("ru", None)

    def test_without_a_current_language_detection_decides(self) -> None:
        assert next_language("hvala", None, None) == ("sr", "Latn")
        assert next_language("Как сбросить пароль?", None, None) == ("ru", None)
        assert next_language("How do I reset my password?", None, None) == ("en", None)
        assert next_language("", None, None) == (None, None)
        assert next_language("👍", None, None) == (None, None)

    def test_unknown_current_language_is_ignored(self) -> None:
        assert next_language("Привет, не работает вход", "de", None) == ("ru", None)

    def test_results_are_supported_languages(self) -> None:
        for text in ("ok", "да", "ναι", "hvala", "xyz", "12"):
            language, _ = next_language(text, None, None)
            assert language is None or language in SUPPORTED_LANGUAGES


class TestRender:
    def test_latin_to_cyrillic_keeps_urls_emails_and_placeholders(self) -> None:
        text = (
            "Posetite https://tierzero.io/help?lang=sr-Latn, pišite na podrska@tierzero.io "
            "ili otvorite [uputstvo](https://docs.tierzero.io/lozinka). Zdravo {customer_name}!"
        )
        assert render(text, "sr", "Cyrl") == (
            "Посетите https://tierzero.io/help?lang=sr-Latn, пишите на podrska@tierzero.io "
            "или отворите [упутство](https://docs.tierzero.io/lozinka). Здраво {customer_name}!"
        )

    def test_codes_acronyms_and_backticks_stay_latin(self) -> None:
        text = "Uključite 2FA preko SMS ili VPN, pa unesite `reset-lozinke` i IBAN u PDF."
        assert render(text, "sr", "Cyrl") == (
            "Укључите 2FA преко SMS или VPN, па унесите `reset-lozinke` и IBAN у PDF."
        )

    def test_product_names_stay_latin(self) -> None:
        text = "Povežite Slack, Windows i iPhone."
        assert render(text, "sr", "Cyrl", keep_latin={"Slack"}) == (
            "Повежите Slack, Windows и iPhone."
        )

    def test_digraphs_become_single_letters(self) -> None:
        assert render("Ljubav, njiva, džep", "sr", "Cyrl") == "Љубав, њива, џеп"

    def test_cyrillic_to_latin_keeps_urls(self) -> None:
        text = "Лозинку промените на https://tierzero.io/налог, шифра {код}."
        assert render(text, "sr", "Latn") == (
            "Lozinku promenite na https://tierzero.io/налог, šifra {код}."
        )

    def test_other_languages_and_unknown_scripts_are_unchanged(self) -> None:
        text = "Reset your password at https://tierzero.io"
        assert render(text, "en", None) == text
        assert render("Сбросьте пароль", "ru", "Cyrl") == "Сбросьте пароль"
        assert render("Resetujte lozinku", "sr", None) == "Resetujte lozinku"


def test_script_of() -> None:
    assert script_of("Здраво") == "Cyrl"
    assert script_of("Zdravo, 2FA") == "Latn"
    assert script_of("Γεια") == "Grek"
    assert script_of("123 👍") is None
