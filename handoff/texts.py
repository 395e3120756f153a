"""One catalogue of what the bot and the system say to customers, in every supported language.

Serbian texts are written in Latin script; ``handoff.language.render`` gives a Cyrillic-writing
customer the Cyrillic form. Missing languages fall back to English.
"""

from __future__ import annotations

from tierzero.languages import DEFAULT_LANGUAGE

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
    "unavailable": {
        "en": "We're having trouble answering right now. Would you like to talk to a person?",
        "el": "Αντιμετωπίζουμε πρόβλημα αυτή τη στιγμή. Θέλετε να μιλήσετε με έναν άνθρωπο;",
        "ru": "У нас сейчас технические трудности. Хотите поговорить с сотрудником?",
        "sr": "Trenutno imamo poteškoća sa odgovorima. Želite li da razgovarate sa osobom?",
    },
    "talk_to_person": {
        "en": "Talk to a person",
        "el": "Μιλήστε με άνθρωπο",
        "ru": "Позвать сотрудника",
        "sr": "Razgovor sa osobom",
    },
    "handoff_cancelled": {
        "en": 'You left the queue. I\'m back: ask me anything, or write "agent" to talk to '
        "a person.",
        "el": "Βγήκατε από την ουρά. Είμαι ξανά εδώ: ρωτήστε με ό,τι θέλετε ή γράψτε «εκπρόσωπος» "
        "για να μιλήσετε με έναν άνθρωπο.",
        "ru": "Вы вышли из очереди. Я снова на связи: задайте вопрос или напишите «оператор», "
        "чтобы поговорить с человеком.",
        "sr": "Izašli ste iz reda. Ponovo sam tu: pitajte šta god želite ili napišite „operater“ "
        "da biste razgovarali sa osobom.",
    },
    "ticket_resolved": {
        "en": "Our team marked your request #{ticket} as resolved. If you have another question, "
        "just ask here.",
        "el": "Η ομάδα μας σημείωσε το αίτημά σας #{ticket} ως επιλυμένο. Αν έχετε άλλη ερώτηση, "
        "γράψτε την εδώ.",
        "ru": "Наша команда отметила ваше обращение #{ticket} как решённое. Если есть другой "
        "вопрос, просто напишите его здесь.",
        "sr": "Naš tim je označio vaš zahtev #{ticket} kao rešen. Ako imate drugo pitanje, "
        "samo pitajte ovde.",
    },
    "escalated": {
        "en": "I've passed your request to a specialist team; they have the whole conversation.",
        "el": "Προώθησα το αίτημά σας σε εξειδικευμένη ομάδα· έχουν όλη τη συνομιλία.",
        "ru": "Я передал ваш вопрос специалистам; у них есть вся переписка.",
        "sr": "Prosledio sam vaš zahtev timu specijalista; imaju ceo razgovor.",
    },
    "queue_position": {
        "en": "You are number {position} in the queue. Expected wait: about {minutes} min.",
        "el": "Είστε {position}οι στην ουρά. Αναμενόμενη αναμονή: περίπου {minutes} λεπτά.",
        "ru": "Вы {position}-й в очереди. Ожидание: примерно {minutes} мин.",
        "sr": "Vi ste {position}. u redu. Očekivano čekanje: oko {minutes} min.",
    },
    "agent_joined": {
        "en": "{name} joined the chat.",
        "el": "Ο/Η {name} μπήκε στη συνομιλία.",
        "ru": "{name} подключается к диалогу.",
        "sr": "{name} se uključuje u razgovor.",
    },
    "queue_leave": {
        "en": "Leave the queue",
        "el": "Έξοδος από την ουρά",
        "ru": "Выйти из очереди",
        "sr": "Napusti red",
    },
    "queue_position_unknown": {
        "en": "You are number {position} in the queue. A person will reply here as soon as "
        "someone is free.",
        "el": "Είστε {position}οι στην ουρά. Ένας άνθρωπος θα απαντήσει εδώ μόλις "
        "ελευθερωθεί κάποιος.",
        "ru": "Вы {position}-й в очереди. Сотрудник ответит здесь, как только освободится.",
        "sr": "Vi ste {position}. u redu. Osoba iz podrške će odgovoriti ovde čim se neko "
        "oslobodi.",
    },
    "greet": {
        "en": "Hi! I'm the support assistant. Ask your question in your own words — or write "
        '"agent" to talk to a person.',
        "el": "Γεια σας! Είμαι ο ψηφιακός βοηθός υποστήριξης. Γράψτε την ερώτησή σας με δικά "
        "σας λόγια — ή γράψτε «εκπρόσωπος» για να μιλήσετε με έναν άνθρωπο.",
        "ru": "Здравствуйте! Я виртуальный помощник службы поддержки. Задайте вопрос своими "
        "словами — или напишите «оператор», чтобы поговорить с человеком.",
        "sr": "Zdravo! Ja sam virtuelni asistent korisničke podrške. Postavite pitanje svojim "
        "rečima — ili napišite „operater“ da biste razgovarali sa osobom.",
    },
    "goodbye": {
        "en": "Goodbye! If anything else comes up, just write here.",
        "el": "Αντίο σας! Αν χρειαστείτε κάτι άλλο, γράψτε μας εδώ.",
        "ru": "До свидания! Если появятся вопросы, просто напишите сюда.",
        "sr": "Doviđenja! Ako vam zatreba još nešto, samo pišite ovde.",
    },
    "you_are_welcome": {
        "en": "You're welcome! Is there anything else I can help with?",
        "el": "Παρακαλώ! Μπορώ να σας βοηθήσω σε κάτι άλλο;",
        "ru": "Пожалуйста! Могу ли я помочь чем-то ещё?",
        "sr": "Nema na čemu! Mogu li da vam pomognem još nečim?",
    },
    "ask_rephrase": {
        "en": "All right. Could you describe your question in other words? You can write "
        '"agent" at any time to talk to a person.',
        "el": "Εντάξει. Μπορείτε να περιγράψετε την ερώτησή σας με άλλα λόγια; Γράψτε "
        "«εκπρόσωπος» οποιαδήποτε στιγμή για να μιλήσετε με έναν άνθρωπο.",
        "ru": "Хорошо. Попробуйте сформулировать вопрос по-другому. Чтобы поговорить с "
        "человеком, в любой момент напишите «оператор».",
        "sr": "U redu. Možete li da opišete pitanje drugim rečima? Da biste razgovarali sa "
        "osobom, u bilo kom trenutku napišite „operater“.",
    },
    "default": {
        "en": "Sorry, I'm not sure what you mean. Please type your question in a few words, or "
        'write "agent" to talk to a person.',
        "el": "Συγγνώμη, δεν είναι σαφές τι εννοείτε. Γράψτε την ερώτησή σας με λίγα λόγια ή "
        "γράψτε «εκπρόσωπος» για να μιλήσετε με έναν άνθρωπο.",
        "ru": "Извините, не совсем понятно, что вы имеете в виду. Напишите вопрос в нескольких "
        "словах или напишите «оператор», чтобы поговорить с человеком.",
        "sr": "Izvinite, nije mi jasno šta ste mislili. Napišite pitanje u nekoliko reči ili "
        "napišite „operater“ da biste razgovarali sa osobom.",
    },
    "csat_question": {
        "en": "How did we do? Rate the help you got (1 = poor, 5 = excellent).",
        "el": "Πώς τα πήγαμε; Βαθμολογήστε τη βοήθεια (1 = κακή, 5 = εξαιρετική).",
        "ru": "Как мы справились? Оцените помощь (1 — плохо, 5 — отлично).",
        "sr": "Kako smo vam pomogli? Ocenite pomoć (1 = loše, 5 = odlično).",
    },
    "csat_comment": {
        "en": "Anything to add? (optional)",
        "el": "Θέλετε να προσθέσετε κάτι; (προαιρετικό)",
        "ru": "Хотите что-то добавить? (необязательно)",
        "sr": "Želite li nešto da dodate? (nije obavezno)",
    },
    "csat_thanks": {
        "en": "Thank you for your rating!",
        "el": "Ευχαριστούμε για τη βαθμολογία σας!",
        "ru": "Спасибо за оценку!",
        "sr": "Hvala na oceni!",
    },
    "no_live_support": {
        "en": "I've passed your request to our team (ticket #{ticket}). On your plan we answer by "
        "email: leave your address below and expect a reply by {when}.",
        "el": "Μεταβίβασα το αίτημά σας στην ομάδα μας (αίτημα #{ticket}). Στο πρόγραμμά σας "
        "απαντάμε με email: αφήστε τη διεύθυνσή σας παρακάτω· θα απαντήσουμε έως {when}.",
        "ru": "Я передал ваш вопрос нашей команде (обращение #{ticket}). На вашем тарифе мы "
        "отвечаем по почте: оставьте адрес ниже, ответ придёт до {when}.",
        "sr": "Prosledio sam vaš zahtev našem timu (tiket #{ticket}). Na vašem paketu odgovaramo "
        "mejlom: ostavite adresu ispod, odgovor stiže do {when}.",
    },
    "closed_now": {
        "en": "I've passed your request to our team (ticket #{ticket}), but nobody is in right "
        "now: we open again {opens}. Stay here, or leave your email address below and expect a "
        "reply by {when}.",
        "el": "Μεταβίβασα το αίτημά σας (αίτημα #{ticket}), αλλά αυτή τη στιγμή δεν είμαστε "
        "διαθέσιμοι: ανοίγουμε ξανά {opens}. Μείνετε εδώ ή αφήστε το email σας παρακάτω· θα "
        "απαντήσουμε έως {when}.",
        "ru": "Я передал ваш вопрос (обращение #{ticket}), но сейчас мы не работаем: откроемся "
        "{opens}. Оставайтесь здесь или оставьте адрес почты ниже — ответим до {when}.",
        "sr": "Prosledio sam vaš zahtev (tiket #{ticket}), ali trenutno ne radimo: ponovo smo tu "
        "{opens}. Ostanite ovde ili ostavite mejl ispod — odgovorićemo do {when}.",
    },
    "nobody_available": {
        "en": "I've passed your request to our team (ticket #{ticket}). Nobody who can help with "
        "it is available right now; stay here, or leave your email address below and expect a "
        "reply by {when}.",
        "el": "Μεταβίβασα το αίτημά σας (αίτημα #{ticket}). Κανείς που μπορεί να βοηθήσει δεν "
        "είναι διαθέσιμος αυτή τη στιγμή· μείνετε εδώ ή αφήστε το email σας — θα απαντήσουμε "
        "έως {when}.",
        "ru": "Я передал ваш вопрос (обращение #{ticket}). Сейчас никто из тех, кто может "
        "помочь, не на связи; оставайтесь здесь или оставьте адрес почты — ответим до {when}.",
        "sr": "Prosledio sam vaš zahtev (tiket #{ticket}). Trenutno niko ko može da pomogne nije "
        "dostupan; ostanite ovde ili ostavite mejl — odgovorićemo do {when}.",
    },
    "back_to_bot": {
        "en": "Our team has handed this conversation back to me. Ask me anything, or write "
        '"agent" to talk to a person again.',
        "el": "Η ομάδα μας μού επέστρεψε τη συζήτηση. Ρωτήστε με ό,τι θέλετε ή γράψτε "
        "«εκπρόσωπος» για να μιλήσετε ξανά με έναν άνθρωπο.",
        "ru": "Наша команда вернула разговор мне. Задайте вопрос или напишите «оператор», "
        "чтобы снова поговорить с человеком.",
        "sr": "Naš tim mi je vratio razgovor. Pitajte me bilo šta ili napišite „operater“ da "
        "ponovo razgovarate sa osobom.",
    },
    "no_agent_yet": {
        "en": "I'm sorry: nobody from our team has been free to take your chat (ticket "
        "#{ticket}). It stays in our queue and we will answer by {when}. Leave your email "
        "address below and the answer will reach you even if you close this window.",
        "el": "Λυπάμαι: κανείς από την ομάδα μας δεν μπόρεσε ακόμη να αναλάβει τη συνομιλία σας "
        "(αίτημα #{ticket}). Παραμένει στην ουρά μας και θα απαντήσουμε έως {when}. Αφήστε το "
        "email σας παρακάτω και η απάντηση θα σας βρει ακόμη κι αν κλείσετε αυτό το παράθυρο.",
        "ru": "Извините: пока никто из нашей команды не смог взять ваш чат (обращение "
        "#{ticket}). Он остаётся в очереди, мы ответим до {when}. Оставьте адрес почты ниже — "
        "ответ дойдёт, даже если вы закроете это окно.",
        "sr": "Izvinite: niko iz našeg tima još nije mogao da preuzme vaš razgovor (tiket "
        "#{ticket}). Ostaje u redu i odgovorićemo do {when}. Ostavite mejl ispod i odgovor će "
        "vas stići i ako zatvorite ovaj prozor.",
    },
    "email_label": {
        "en": "Your email address",
        "el": "Η διεύθυνση email σας",
        "ru": "Ваш адрес почты",
        "sr": "Vaša mejl adresa",
    },
    "email_saved": {
        "en": "Thank you, we'll write to {email}.",
        "el": "Ευχαριστούμε, θα σας γράψουμε στο {email}.",
        "ru": "Спасибо, мы напишем на {email}.",
        "sr": "Hvala, pisaćemo vam na {email}.",
    },
}


def say(key: str, language: str | None, **values: object) -> str:
    return pick(TEXTS, key, language, **values)


def pick(
    catalogue: dict[str, dict[str, str]], key: str, language: str | None, **values: object
) -> str:
    """A catalogue's text in the language (English when it has none), filled with ``values``."""
    variants = catalogue[key]
    text = variants.get(language or DEFAULT_LANGUAGE) or variants[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
