"""What the demo's people write, and who they are: the customers' and agents' phrases in every
language (Serbian in Latin; a Cyrillic conversation gets it transliterated), the escalation
notes, the customers' first names and the demo desk's agents, with the two helpers that turn a
phrase or an example question into what a customer types."""

from __future__ import annotations

import random

from handoff.lifecycle import Tier
from kb.text import to_serbian_cyrillic, to_serbian_latin

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hello": {
        "en": ("Hi, ", "Hello, ", "Hey, "), "el": ("Γεια σας, ", "Καλησπέρα, "),
        "ru": ("Здравствуйте, ", "Добрый день, "), "sr": ("Zdravo, ", "Dobar dan, "),
    },
    "please": {
        "en": (" please", ", thanks"), "el": (" παρακαλώ", ", ευχαριστώ"),
        "ru": (", пожалуйста", ", спасибо"), "sr": (", molim vas", ", hvala"),
    },
    "person": {
        "en": ("I want to talk to a person", "Can I speak to someone from support?",
               "agent please"),
        "el": ("Θέλω να μιλήσω με έναν άνθρωπο", "Μπορώ να μιλήσω με κάποιον από την υποστήριξη;"),
        "ru": ("Хочу поговорить с оператором", "Соедините с живым человеком, пожалуйста"),
        "sr": ("Želim da razgovaram sa operaterom", "Mogu li da pričam sa nekim iz podrške?"),
    },
    "thanks": {
        "en": ("Thanks!", "Great, thank you", "ok that worked"),
        "el": ("Ευχαριστώ πολύ!", "Τέλεια, ευχαριστώ"),
        "ru": ("Спасибо!", "Отлично, спасибо"), "sr": ("Hvala!", "Super, hvala vam"),
    },
    "urgent": {
        "en": (" — urgent, I can't work", " ASAP please"), "el": (" — επείγον!",),
        "ru": (" — срочно!",), "sr": (" — hitno!",),
    },
    "detail": {
        "en": ("It started this morning.", "I tried that already.",
               "Same email as this chat, account in my name."),
        "el": ("Ξεκίνησε σήμερα το πρωί.", "Το δοκίμασα ήδη."),
        "ru": ("Началось сегодня утром.", "Я это уже пробовал."),
        "sr": ("Počelo je jutros.", "Već sam to probao."),
    },
    "again": {
        "en": ("It's happening again", "Still doesn't work, sorry"),
        "el": ("Συμβαίνει ξανά", "Πάλι δεν λειτουργεί"),
        "ru": ("Опять не работает", "Снова та же проблема"),
        "sr": ("Opet ne radi", "Ponovo isti problem"),
    },
    "looking": {
        "en": ("Hello, I'm looking into this for you now.",),
        "el": ("Γεια σας, το εξετάζω αμέσως.",),
        "ru": ("Здравствуйте, уже смотрю, в чём дело.",),
        "sr": ("Zdravo, odmah proveravam o čemu se radi.",),
    },
    "fixed": {
        "en": ("Done — it should work now. Please try again.",),
        "el": ("Έγινε — δοκιμάστε ξανά τώρα.",),
        "ru": ("Готово — попробуйте, пожалуйста, ещё раз.",),
        "sr": ("Rešeno je — pokušajte ponovo, molim vas.",),
    },
    # questions the KB does not cover (the editors' queue fills with them)
    "not_in_kb": {
        "en": ("Do you sell gift cards?", "Can I pay with bitcoin?",
               "Is there a student discount?", "Are you hiring support staff?",
               "Which TV channels are in the sports pack?", "Do you have a shop in Novi Sad?"),
        "el": ("Πουλάτε δωροκάρτες;", "Μπορώ να πληρώσω με bitcoin;",
               "Υπάρχει φοιτητική έκπτωση;", "Έχετε κατάστημα στη Θεσσαλονίκη;",
               "Ποια κανάλια έχει το αθλητικό πακέτο;"),
        "ru": ("Вы продаёте подарочные карты?", "Можно оплатить биткоинами?",
               "Есть ли скидка для студентов?", "У вас есть офис в Белграде?",
               "Какие каналы входят в спортивный пакет?"),
        "sr": ("Da li prodajete poklon kartice?", "Mogu li da platim bitkoinom?",
               "Da li postoji popust za studente?", "Da li imate prodavnicu u Novom Sadu?",
               "Koji kanali su u sportskom paketu?"),
    },
}  # fmt: skip
ESCALATION_NOTES = (
    "Needs account changes L1 cannot make; customer details verified.",
    "Looks like a provisioning fault on our side, not the customer's setup.",
    "Billing record does not match the invoice; please check the ledger.",
)
FIRST_NAMES = {
    "en": ("Emma", "Liam", "Olivia", "Noah", "Grace", "Oscar"),
    "el": ("Maria", "Giorgos", "Eleni", "Kostas", "Sofia"),
    "ru": ("Anna", "Ivan", "Natalia", "Sergei", "Irina"),
    "sr": ("Jelena", "Marko", "Ana", "Nikola", "Milica"),
}

#: (email local part, name, tier): the demo desk.
DEMO_AGENTS = (
    ("demo-l1-mila", "Mila Jovanović", Tier.L1),
    ("demo-l1-nikos", "Nikos Papadakis", Tier.L1),
    ("demo-l1-olga", "Olga Smirnova", Tier.L1),
    ("demo-l1-jack", "Jack Turner", Tier.L1),
    ("demo-l2-vesna", "Vesna Marković", Tier.L2),
    ("demo-l2-dmitri", "Dmitri Orlov", Tier.L2),
    ("demo-l3-eleni", "Eleni Georgiou", Tier.L3),
)


def written(text: str, language: str, script: str | None) -> str:
    """Serbian as the customer types it, in the conversation's script."""
    if language != "sr":
        return text
    return to_serbian_cyrillic(text) if script == "Cyrl" else to_serbian_latin(text)


def vary(rng: random.Random, question: str, language: str) -> str:
    """A question as people type it: as written, lower case, with a greeting or a please."""
    roll = rng.random()
    if roll < 0.45:
        return question
    if roll < 0.62:
        return question.lower().rstrip("?;.!")
    if roll < 0.82:
        hello = rng.choice(PHRASES["hello"].get(language, PHRASES["hello"]["en"]))
        return hello + question[:1].lower() + question[1:]
    please = rng.choice(PHRASES["please"].get(language, PHRASES["please"]["en"]))
    return question.rstrip("?;.!") + please
