"""What the desk writes in its emails, in the customers' languages (Serbian in Latin script;
``handoff.language.render`` gives Cyrillic to a customer who writes Cyrillic)."""

from __future__ import annotations

from handoff.texts import pick

MAIL_TEXTS: dict[str, dict[str, str]] = {
    "reply_marker": {
        "en": "Please type your reply above this line",
        "el": "Γράψτε την απάντησή σας πάνω από αυτή τη γραμμή",
        "ru": "Пожалуйста, пишите ответ над этой строкой",
        "sr": "Molimo vas da odgovor napišete iznad ove linije",
    },
    "answer_intro": {
        "en": "Here is what our help centre says about your question:",
        "el": "Να τι αναφέρει το κέντρο βοήθειάς μας για την ερώτησή σας:",
        "ru": "Вот что говорится в нашем справочном центре по вашему вопросу:",
        "sr": "Evo šta naš centar za pomoć kaže o vašem pitanju:",
    },
    "answer_footer": {
        "en": "This is an automatic answer. If it didn't help, reply to this email with "
        '"I need a person" (or with what you still need) and someone from our team will '
        "take it from here. You won't have to repeat anything.",
        "el": "Αυτή είναι αυτόματη απάντηση. Αν δεν σας βοήθησε, απαντήστε σε αυτό το email με "
        "«Θέλω έναν άνθρωπο» (ή με ό,τι ακόμη χρειάζεστε) και κάποιος από την ομάδα μας θα "
        "αναλάβει. Δεν θα χρειαστεί να επαναλάβετε τίποτα.",
        "ru": "Это автоматический ответ. Если он не помог, ответьте на это письмо словами "
        "«Мне нужен человек» (или напишите, что вам ещё нужно), и сотрудник нашей команды "
        "займётся вашим вопросом. Повторять ничего не придётся.",
        "sr": "Ovo je automatski odgovor. Ako vam nije pomogao, odgovorite na ovaj mejl sa "
        "„Treba mi osoba“ (ili sa onim što vam još treba) i neko iz našeg tima će preuzeti. "
        "Nećete morati ništa da ponavljate.",
    },
    "read_more": {
        "en": "Read the whole article: {url}",
        "el": "Διαβάστε ολόκληρο το άρθρο: {url}",
        "ru": "Статья полностью: {url}",
        "sr": "Ceo članak: {url}",
    },
    "received": {
        "en": "We have your message: request #{ticket}. Someone from our team will answer by "
        "email, by {when} at the latest. To add anything, just reply to this email.",
        "el": "Λάβαμε το μήνυμά σας: αίτημα #{ticket}. Κάποιος από την ομάδα μας θα απαντήσει "
        "με email, το αργότερο έως {when}. Για να προσθέσετε κάτι, απαντήστε σε αυτό το email.",
        "ru": "Мы получили ваше письмо: обращение #{ticket}. Сотрудник нашей команды ответит "
        "по почте не позднее {when}. Чтобы что-то добавить, просто ответьте на это письмо.",
        "sr": "Primili smo vašu poruku: zahtev #{ticket}. Neko iz našeg tima će odgovoriti "
        "mejlom, najkasnije do {when}. Da biste nešto dodali, samo odgovorite na ovaj mejl.",
    },
    "received_soon": {
        "en": "We have your message: request #{ticket}. Someone from our team will answer by "
        "email. To add anything, just reply to this email.",
        "el": "Λάβαμε το μήνυμά σας: αίτημα #{ticket}. Κάποιος από την ομάδα μας θα απαντήσει "
        "με email. Για να προσθέσετε κάτι, απαντήστε σε αυτό το email.",
        "ru": "Мы получили ваше письмо: обращение #{ticket}. Сотрудник нашей команды ответит "
        "по почте. Чтобы что-то добавить, просто ответьте на это письмо.",
        "sr": "Primili smo vašu poruku: zahtev #{ticket}. Neko iz našeg tima će odgovoriti "
        "mejlom. Da biste nešto dodali, samo odgovorite na ovaj mejl.",
    },
    "resolved": {
        "en": "We've marked request #{ticket} as resolved. If something is still not right, "
        "reply to this email and it goes back to our team.\n\nHow did we do? Reply with just "
        "a number from 1 (bad) to 5 (great), and a comment on the next line if you like.",
        "el": "Σημειώσαμε το αίτημα #{ticket} ως επιλυμένο. Αν κάτι δεν είναι ακόμη σωστό, "
        "απαντήστε σε αυτό το email και θα επιστρέψει στην ομάδα μας.\n\nΠώς τα πήγαμε; "
        "Απαντήστε μόνο με έναν αριθμό από 1 (κακά) έως 5 (άριστα) και, αν θέλετε, ένα σχόλιο "
        "στην επόμενη γραμμή.",
        "ru": "Мы отметили обращение #{ticket} как решённое. Если что-то всё ещё не так, "
        "ответьте на это письмо, и оно вернётся к нашей команде.\n\nКак мы справились? "
        "Ответьте одной цифрой от 1 (плохо) до 5 (отлично), а на следующей строке — "
        "комментарием, если хотите.",
        "sr": "Označili smo zahtev #{ticket} kao rešen. Ako nešto još nije u redu, odgovorite "
        "na ovaj mejl i vratiće se našem timu.\n\nKako smo se snašli? Odgovorite samo brojem "
        "od 1 (loše) do 5 (odlično), a u sledećem redu komentarom ako želite.",
    },
    "reopened": {
        "en": "We've reopened request #{ticket} with your message; someone from our team will "
        "answer by email.",
        "el": "Ανοίξαμε ξανά το αίτημα #{ticket} με το μήνυμά σας· κάποιος από την ομάδα μας θα "
        "απαντήσει με email.",
        "ru": "Мы снова открыли обращение #{ticket} с вашим сообщением; сотрудник нашей команды "
        "ответит по почте.",
        "sr": "Ponovo smo otvorili zahtev #{ticket} sa vašom porukom; neko iz našeg tima će "
        "odgovoriti mejlom.",
    },
    "not_kept": {
        "en": "We could not keep the attachment {names}: files may be at most {limit}. "
        "Your message itself reached us; please send a smaller file or a link.",
        "el": "Δεν μπορέσαμε να κρατήσουμε το συνημμένο {names}: τα αρχεία μπορούν να είναι έως "
        "{limit}. Το μήνυμά σας το λάβαμε· στείλτε μικρότερο αρχείο ή έναν σύνδεσμο.",
        "ru": "Мы не смогли сохранить вложение {names}: файлы могут быть не больше {limit}. "
        "Само письмо до нас дошло; пришлите файл поменьше или ссылку.",
        "sr": "Nismo mogli da sačuvamo prilog {names}: fajlovi mogu biti najviše {limit}. "
        "Vaša poruka je stigla; pošaljite manji fajl ili link.",
    },
    "signature": {
        "en": "{agent}, {brand} support",
        "el": "{agent}, υποστήριξη {brand}",
        "ru": "{agent}, служба поддержки {brand}",
        "sr": "{agent}, podrška {brand}",
    },
    "team": {
        "en": "{brand} support",
        "el": "Υποστήριξη {brand}",
        "ru": "Служба поддержки {brand}",
        "sr": "Podrška {brand}",
    },
    "request": {
        "en": "Request #{ticket}",
        "el": "Αίτημα #{ticket}",
        "ru": "Обращение #{ticket}",
        "sr": "Zahtev #{ticket}",
    },
}


def say(key: str, language: str | None, **values: object) -> str:
    return pick(MAIL_TEXTS, key, language, **values)
