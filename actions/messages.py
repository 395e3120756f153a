"""What the bot says from custom actions, in the customer's language (English as fallback)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "did_it_help": {
        "en": "Did this help?",
        "el": "Σας βοήθησε αυτό;",
        "ru": "Это помогло?",
        "sr": "Da li vam je ovo pomoglo?",
    },
    "yes": {"en": "Yes", "el": "Ναι", "ru": "Да", "sr": "Da"},
    "no": {"en": "No", "el": "Όχι", "ru": "Нет", "sr": "Ne"},
    "glad": {
        "en": "Glad I could help! Anything else?",
        "el": "Χαίρομαι που βοήθησα! Μπορώ να κάνω κάτι άλλο;",
        "ru": "Рад, что смог помочь! Чем ещё помочь?",
        "sr": "Drago mi je što sam pomogao! Mogu li još nešto?",
    },
    "offer_person": {
        "en": "Sorry about that. Would you like to talk to a person?",
        "el": "Λυπάμαι γι' αυτό. Θέλετε να μιλήσετε με έναν άνθρωπο από την ομάδα μας;",
        "ru": "Извините. Хотите поговорить с сотрудником поддержки?",
        "sr": "Izvinite. Želite li da razgovarate sa osobom iz podrške?",
    },
    "not_sure": {
        "en": "I'm not sure I have an answer to that. Would you like to talk to a person?",
        "el": "Δεν είμαι σίγουρος ότι έχω απάντηση σε αυτό. Θέλετε να μιλήσετε με έναν άνθρωπο;",
        "ru": "Боюсь, у меня нет ответа на этот вопрос. Хотите поговорить с сотрудником?",
        "sr": "Nisam siguran da imam odgovor na to. Želite li da razgovarate sa osobom?",
    },
    "clarify": {
        "en": "Which of these did you mean?",
        "el": "Ποιο από αυτά εννοείτε;",
        "ru": "Что из этого вы имели в виду?",
        "sr": "Na šta ste mislili?",
    },
    "none_of_these": {
        "en": "None of these - talk to a person",
        "el": "Κανένα - θέλω άνθρωπο",
        "ru": "Ничего из этого - позвать сотрудника",
        "sr": "Ništa od ovoga - razgovor sa osobom",
    },
    "handed_off": {
        "en": "I've passed your conversation to our support team (ticket #{ticket}). "
        "A person will reply here; you don't need to repeat anything.",
        "el": "Μεταβίβασα τη συνομιλία στην ομάδα υποστήριξης (αίτημα #{ticket}). "
        "Ένας συνάδελφος θα απαντήσει εδώ· δεν χρειάζεται να επαναλάβετε τίποτα.",
        "ru": "Я передал ваш разговор в службу поддержки (обращение #{ticket}). "
        "Сотрудник ответит здесь, повторять ничего не нужно.",
        "sr": "Prosledio sam razgovor timu podrške (tiket #{ticket}). "
        "Osoba iz podrške će odgovoriti ovde; ne morate ništa da ponavljate.",
    },
    "fallback_note": {
        "en": "",
        "el": "(Αυτό το άρθρο υπάρχει μόνο στα αγγλικά.)",
        "ru": "(Эта статья пока есть только на английском.)",
        "sr": "(Ovaj članak postoji samo na engleskom.)",
    },
}


def say(key: str, language: str | None, **values: object) -> str:
    variants = TEXTS[key]
    text = variants.get(language or "en") or variants["en"]
    return text.format(**values) if values else text
