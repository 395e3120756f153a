"""The text pipeline: one token space per language whatever the script, accents or case."""

from __future__ import annotations

import pytest

from kb import text as tx


class TestSerbianScripts:
    @pytest.mark.parametrize(
        "variants",
        [
            ("Заборавио сам лозинку", "Zaboravio sam lozinku", "ZABORAVIO SAM LOZINKU"),
            ("Шта је шифра?", "Šta je šifra?", "Sta je sifra?"),
            ("Ђорђе плаћа рачун", "Đorđe plaća račun", "Djordje placa racun"),
            ("Љубав и њива у џепу", "Ljubav i njiva u džepu", "Ljubav i njiva u dzepu"),
        ],
    )
    def test_cyrillic_latin_and_no_diacritics_give_the_same_tokens(
        self, variants: tuple[str, ...]
    ) -> None:
        normalised = {tuple(tx.normalized_tokens(v, "sr")) for v in variants}
        assert len(normalised) == 1
        assert all(tok.isascii() for tok in next(iter(normalised)))

    def test_transliteration_round_trip(self) -> None:
        cyr = "Љубљана, џеп, њива, шифра, Ђорђе, ћуфте, чаша, жаба"
        assert tx.to_serbian_cyrillic(tx.to_serbian_latin(cyr)) == cyr
        assert tx.to_serbian_latin("Љиљана") == "Ljiljana"

    def test_lemmatisation_merges_inflected_forms(self) -> None:
        assert tx.normalized_tokens("лозинку", "sr") == tx.normalized_tokens("lozinka", "sr")


class TestOtherLanguages:
    def test_greek_with_and_without_accents(self) -> None:
        a = tx.normalized_tokens("Πώς αλλάζω τον κωδικό πρόσβασης;", "el")
        b = tx.normalized_tokens("ΠΩΣ ΑΛΛΑΖΩ ΤΟΝ ΚΩΔΙΚΟ ΠΡΟΣΒΑΣΗΣ", "el")
        c = tx.normalized_tokens("πως αλλαζω τον κωδικο προσβασης", "el")
        assert a == b == c
        assert not any("ς" in t for t in a)  # final sigma folded

    def test_russian_yo_and_inflection(self) -> None:
        assert tx.normalized_tokens("Ещё пароли", "ru") == tx.normalized_tokens("еще пароль", "ru")

    def test_english_lemmas(self) -> None:
        assert tx.normalized_tokens("Passwords were changed", "en") == ["password", "be", "change"]

    def test_fold_keeps_short_i(self) -> None:
        assert tx.fold("Мой") == "мой"
        assert tx.fold("Ёлка") == "елка"


class TestDetection:
    @pytest.mark.parametrize(
        ("message", "lang"),
        [
            ("How do I reset my password?", "en"),
            ("refund", "en"),
            ("card declined", "en"),
            ("Πώς αλλάζω κωδικό;", "el"),
            ("κωδικος", "el"),
            ("Я забыл пароль", "ru"),
            ("Где мой заказ?", "ru"),
            ("Не могу войти", "ru"),
            ("Заборавио сам лозинку", "sr"),
            ("Како да платим?", "sr"),
            ("Где је моја поруџбина", "sr"),
            ("Zaboravio sam lozinku", "sr"),
            ("Kako da promenim šifru", "sr"),
            ("kako da platim racun", "sr"),
            ("gde je moja porudzbina", "sr"),
        ],
    )
    def test_short_messages(self, message: str, lang: str) -> None:
        assert tx.detect_language(message) == lang

    @pytest.mark.parametrize(
        "message", ["", "   ", "😀😀😀", "12345", "!!!", "如何重置密码", "\x00\x01"]
    )
    def test_undetectable_is_none(self, message: str) -> None:
        assert tx.detect_language(message) is None

    def test_mixed_scripts_follow_the_dominant_one(self) -> None:
        assert tx.detect_language("Не могу войти в аккаунт, error 403 OK") == "ru"


class TestCleaning:
    def test_control_characters_and_whitespace(self) -> None:
        assert tx.clean("a\x00b\u200bc\n\t d") == "a b c d"

    def test_huge_input_is_cut_first(self) -> None:
        assert len(tx.clean("x" * 100_000)) <= tx.MAX_CHARS

    def test_char_ngrams_survive_a_typo(self) -> None:
        right = set(tx.char_ngrams("password"))
        typo = set(tx.char_ngrams("pasword"))
        assert len(right & typo) / len(right | typo) > 0.4


def test_compact_lookup_keeps_first_lemma_and_misses_cleanly() -> None:
    from kb.text import CompactLookup

    table = CompactLookup([("lozinku", "lozinka"), ("lozinke", "lozinka"), ("lozinku", "x"),
                           ("reci", "rec"), ("known", None)])  # fmt: skip
    assert len(table) == 4
    assert table.get("lozinku", "?") == "lozinka"  # the first pair given for a form wins
    assert table.get("reci", "?") == "rec"
    assert table.get("known", "?") == "?" and "known" in table  # a member without a lemma
    assert table.get("nepoznato", "nepoznato") == "nepoznato" and "nepoznato" not in table
    assert 5 not in table and len(CompactLookup([])) == 0 and "a" not in CompactLookup([])
