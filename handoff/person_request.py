"""Does a customer message ask for a person? Explicit requests and frustration, in en/el/ru/sr.

Asking for a person must always win over a KB answer, so this runs before the KB search on
every message: it is pure, deterministic and regex-only (no lemmatiser: tens of microseconds).
Text goes through the KB pipeline's ``clean`` → ``fold`` → ``unify_script``, which puts
Russian, Serbian Cyrillic and Serbian Latin (with or without diacritics) into one lower-case
Latin form; the lexicons below are written in their own scripts and normalised the same way,
and stems (``человек\\w*``, ``εκπροσωπ\\w*``) let inflected forms match.

A person noun alone is not enough ("add another person to my account", "mobile operator"):
it must follow a request cue through a few function words ("connect me with a live agent",
"позовите специалиста", "spojite me sa operaterom"), or be the whole message ("agent",
"живой человек"). Frustration ("this bot is useless", "ne pomažeš") counts too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from kb.text import clean, fold, unify_script

__all__ = ["PersonRequest", "asks_for_person", "classify", "normalize"]

Kind = Literal["explicit", "frustration"]


@dataclass(frozen=True, slots=True)
class PersonRequest:
    """Why a message counts as asking for a person; ``rule`` names the pattern, for logs."""

    kind: Kind
    rule: str


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

_POSSESSIVE: Final = re.compile(r"['’`´]s\b")
_CONTRACTION: Final = re.compile(r"(?<=\w)['’`´](?=(?:t|re|m|d|ll|ve)\b)")
_APOSTROPHES: Final = ("'", "’", "`", "´")
_PUNCT_TABLE: Final = str.maketrans(
    {ch: " . " for ch in '.!?;:,…¿¡()[]{}"«»“”„'} | {ch: " " for ch in "#$%&*+-/<=>@\\^_|~'’`´"}
)
_SYMBOLS: Final = re.compile(r"[^\w.\s]+|_")


def _unify_table() -> dict[int, str]:
    """``unify_script(fold(ch))`` for every letter of the scripts we read, as one ``translate``
    table: the same result as the KB pipeline, without its per-character Python loop."""
    table: dict[int, str] = {}
    ranges = ((0x00C0, 0x0250), (0x0300, 0x0370), (0x0370, 0x0400), (0x0400, 0x0530))
    for lo, hi in (*ranges, (0x1E00, 0x2000)):
        for code in range(lo, hi):
            ch = chr(code)
            unified = unify_script(fold(ch))
            if unified != ch.casefold():
                table[code] = unified
    return table


_UNIFY: Final = _unify_table()


def normalize(text: str) -> str:
    """One folded, script-unified form: tokens split by single spaces, punctuation as ``.``.

    Contractions are joined ("don't" → "dont") and possessives split ("manager's" → "manager s")
    so patterns see words; hyphens and symbols become spaces ("кто-нибудь" → "kto nibud").
    """
    s = clean(text)
    s = s.lower() if s.isascii() else s.casefold().translate(_UNIFY)
    if any(ch in s for ch in _APOSTROPHES):
        s = _CONTRACTION.sub("", _POSSESSIVE.sub(" s", s))
    s = s.translate(_PUNCT_TABLE)
    if not s.isascii():
        s = _SYMBOLS.sub(" ", s)
    return " ".join(s.split())


def _norm(fragment: str) -> str:
    """A lexicon entry (a regex fragment in its own script) in the same form as ``normalize``.

    Fragments use only lower-case escapes (``\\w``, ``\\b``): folding lower-cases the pattern.
    """
    return unify_script(fold(fragment))


_TRIE_DEPTH: Final = 3


def _alt(*groups: Iterable[str]) -> str:
    """One non-capturing alternation of normalised fragments, grouped by leading letters."""
    items = {spelled for group in groups for item in group for spelled in _spell(_norm(item))}
    return "(?:" + _trie(items) + ")"


def _trie(items: Iterable[str], depth: int = 0) -> str:
    """Alternatives grouped by their leading letters, longest first within a group.

    The regex engine tries alternatives one by one at every word; grouping ``talk|take|…`` as
    ``t(?:alk|ake|…)`` turns hundreds of tries per word into a few.
    """
    by_first: dict[str, list[str]] = {}
    other: list[str] = []
    for item in items:
        if item[:1].isalnum() and item[1:2] not in ("?", "*", "+", "{"):
            by_first.setdefault(item[0], []).append(item[1:])
        else:
            other.append(item)
    parts: list[str] = []
    for first, rests in sorted(by_first.items()):
        if len(rests) == 1:
            parts.append(first + rests[0])
        elif depth < _TRIE_DEPTH:
            parts.append(f"{first}(?:{_trie(rests, depth + 1)})")
        else:
            parts.append(f"{first}(?:{'|'.join(sorted(rests, key=len, reverse=True))})")
    parts.extend(sorted(other, key=len, reverse=True))
    return "|".join(parts)


def _spell(fragment: str) -> list[str]:
    """Spell out a leading ``(?:a|b)?`` group so that every alternative starts with a letter.

    Python's regex engine rejects an alternative that starts with a literal in one comparison,
    and ``_trie`` can only group alternatives by their leading letters.
    """
    if not fragment.startswith("(?:"):
        return [fragment]
    depth, close, bars, i = 0, -1, [], 0
    while i < len(fragment):
        ch = fragment[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                close = i
                break
        elif ch == "|" and depth == 1:
            bars.append(i)
        i += 1
    rest = fragment[close + 1 :]
    optional = rest.startswith("?")
    rest = rest[1:] if optional else rest
    if close < 0 or rest[:1] in ("*", "+", "{", "?"):
        return [fragment]
    bounds = [2, *bars, close]
    out = [
        spelled
        for start, end in itertools.pairwise(bounds)
        for spelled in _spell(fragment[start + 1 : end] + rest)
    ]
    return out + _spell(rest) if optional else out


def _words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------------------------
# Lexicons (regex fragments, each matching one or more whole tokens)
# ---------------------------------------------------------------------------------------------

# Nouns that mean a human at the company on their own: enough after "I want", or alone.
_PERSON: Final = _alt(
    _words(
        r"humans? human\w*\sbeings? persons? agents? operators? representatives? reps? "
        r"specialists? managers? supervisors? staff staffers? staff\smembers? consultants? "
        r"advisors? advisers? employees? technicians? colleagues? boss team\smembers? "
        r"experts? engineers? directors? workers? personnel management "
        r"(?:someone|somebody|person|people)\sin\scharge responsible\s(?:person|people) "
        r"(?:my\s)?account\smanagers? live\schat live\ssupport live\shelp live\sassistance "
        r"customer\s(?:service|support|care)(?:\s(?:team|department|desk|line|center|centre))? "
        r"human\s(?:help|assistance|support|contact|interaction|touch|response|reply|answer)s? "
        r"(?:real|actual|live|living|human)\s(?:people|ones?|guy|someone|somebody) "
        r"(?:someone|somebody)\s(?:real|human|alive|from\s(?:support|your\steam|the\scompany))"
    ),
    _words(
        r"человек\w* люд(?:и|ей|ям|ьми|ями) оператор\w* специалист\w* сотрудник\w* "
        r"менеджер\w* консультант\w* агент\w* представител\w* администратор\w* "
        r"руководител\w* начальник\w* коллег\w* живо\w*\s(?:поддержк\w*|общени\w*|чат\w*) "
        r"техник(?:у|ом|ов)? инженер\w* эксперт\w* директор\w* руководств\w* "
        r"начальств\w* персонал\w* ответственн\w*\s(?:лиц\w*|сотрудник\w*)"
    ),
    _words(
        r"čov(?:j|ij)?ek\w* ljud(?:i|ima) osob(?:a|u|om|e|i) operat(?:e|o)r\w* agent\w* "
        r"predstavnik\w* specijalist\w* stručnjak\w* službeni(?:k|c)\w* zaposlen\w* "
        r"menadžer\w* nadređen\w* konsultant\w* sav(?:j)?etnik\w* šef\w* koleg\w* "
        r"živ\w*\spodršk\w* osoblj\w* radni(?:k|c)\w* tehničar\w* inženjer\w* ekspert\w* "
        r"direktor\w* nadležn\w* rukovodi\w* odgovorn\w*\s(?:lic\w*|osob\w*) "
        r"saradni(?:k|c)\w* suradni(?:k|c)\w* (?:ćaskanj\w*|chat|čet)\suživo "
        r"živ\w*\s(?:chat|čet|ćaskanj\w*)"
    ),
    _words(
        r"άνθρωπ\w* εκπρόσωπ\w* υπάλληλ\w* χειριστ\w* τηλεφωνητ\w* πράκτορ\w* "
        r"διευθυντ\w* προϊσταμέν\w* συνάδελφ\w* υπεύθυν(?:ο|ος|ου|η|ων) σύμβουλ(?:ο|ος|ου|ους) "
        r"ζωντανή?\s(?:υποστήριξη|συνομιλία|βοήθεια) anthr(?:o|w)p\w* ekpros(?:o|w)p\w* "
        r"ypall(?:i|h)l\w* συνεργάτ\w* αρμόδι(?:ο|ος|ου|α) εμπειρογνώμον\w* μηχανικ(?:ό|ός|ού) "
        r"(?:ζωντανό|αληθινό|πραγματικό)\sάτομο ομάδ\w*\s(?:υποστήριξ\w*|εξυπηρέτησ\w*) "
        r"(?:τεχνικ|ειδικ)(?:ό|ός|ού)(?=\s(?:να|για|που|\.)|$)"
    ),
)

# Who a request may name besides a person noun ("talk to someone", "contact support"), only
# after a clear communication verb: alone they are ordinary words.
_TARGET: Final = _alt(
    _words(
        r"someone somebody anyone anybody some\sone support support\s(?:team|staff|desk) "
        r"help\s?desk tech\ssupport technical\ssupport (?:billing|sales)\s(?:team|department) "
        r"your\steam the\steam (?:support|service|sales|billing|help)\s(?:line|center|centre) "
        r"(?:customer|client)\s(?:service|support|care)"
    ),
    _words(
        r"(?:кто|кем|кого|кому)\s(?:нибудь|то) поддержк\w* техподдержк\w* техника "
        r"служб\w*\sподдержк\w*"
    ),
    _words(
        r"neko nekim nekog nekoga nekome nekom podršk\w* korisničk\w*\s(?:servis\w*|podršk\w*) "
        r"služb\w*\s(?:podršk\w*|korisnik\w*) tehničk\w*\spodršk\w*"
    ),
    _words(
        r"κάποι(?:ον|ο|ος|α) κανέναν υποστήριξ\w* εξυπηρέτησ\w* τμήμα\w* ειδικ(?:ό|ός|ού) "
        r"τεχνικ(?:ό|ός|ού) άτομο"
    ),
)

# "Someone": a person only when asked for ("get me someone", "дайте кого-нибудь", "daj mi nekog").
_SOMEONE: Final = _alt(
    _words(r"someone somebody"),
    _words(r"(?:кто|кого|кому)\s(?:нибудь|то)"),
    _words(r"neko nekog nekoga nekoj"),
    _words(r"κάποι(?:ον|ος)"),
)
# "Is there …": asking whether a person is there is asking for one.
_IS_THERE: Final = _alt(
    _words(r"(?:is|are)\sthere"),
    _words(r"есть\sли (?:тут|здесь)\sесть"),
    _words(r"postoji\sli da\sli\spostoji ima\sli da\sli\sima"),
    _words(r"υπάρχει"),
)
# Prepositions before a person in languages that put the verb last ("с кем-нибудь поговорить").
_WITH: Final = _alt(_words(r"с со к sa s με σε"))
_MAY: Final = _alt(
    _words(r"have get let can could will would may"),
    _words(r"пусть может\sли может могут"),
    _words(r"neka može\sli mogu\sli može mogu moze"),
    _words(r"να μπορεί"),
)
_MAY_I_HAVE: Final = _alt(_words(r"može\sli can\si\shave could\si\sget may\si\shave"))
# A person reaching back: "may an agent call me", "neka mi se neko javi", "оператор перезвонит".
_REACHES_BACK: Final = _alt(
    _words(
        r"(?:please\s)?(?:to\s)?(?:call|contact|email|ring|phone|text|help|get\sback\sto|"
        r"reach\sout\sto)\s(?:me|us)"
    ),
    _words(
        r"(?:мне\s|со\sмной\s)?(?:перезвонит|позвонит|свяжется|ответит|перезвонить|позвонить|"
        r"связаться)"
    ),
    _words(r"(?:da\s)?(?:mi\s|me\s)?(?:se\s)?(?:javi|pozove|nazove|kontaktira)"),
    _words(r"να\sμε\s(?:καλέσει|πάρει|βοηθήσει)"),
)

# Calling back, with the caller after the verb: "να με καλέσει ένας υπάλληλος", "da me pozove
# neko iz podrške", "чтобы мне перезвонил специалист".
_CALLER_VERB: Final = _alt(
    _words(r"(?:пере)?звонил\w* (?:пере)?звонит\w* связал\w*\sсо\sмной свяжется"),
    _words(r"pozove nazove javi kontaktira"),
    _words(r"τηλεφωνήσει καλέσει πάρει\sτηλέφωνο επικοινωνήσει"),
)

# Verbs of reaching someone: "talk to", "put me through", "позовите", "spojite", "συνδέστε".
_CONTACT: Final = _alt(
    _words(
        r"talk talking talked speak speaking chat chatting connect connected connecting "
        r"transfer transferred transferring put\sme\s(?:through|on) patch\sme\sthrough "
        r"(?:forward|redirect|route|pass|switch|escalate|hand)\s(?:me|us|this|it)(?:\sover|\son)? "
        r"reach contact get\sthrough get\sin\stouch get\shold\sof in\stouch "
        r"(?:help|assistance|support)\sfrom conversation\swith communicate take\sme get\sto "
        r"complain(?:ing)?(?:\sto)? escalat\w* refer\sme direct\sme send\sme hook\sme\sup "
        r"put\sme\sin\stouch link\sme chat\swith message"
    ),
    _words(
        r"поговор\w* говор\w* разговар\w* пообщ\w* общат\w* общаться соедин\w* переключ\w* "
        r"перевед\w* перевест\w* связ\w* помощь помощи разговор\w* позовите позови позват\w* "
        r"вызовите пригласите передайте подключ\w* переадрес\w* перенаправ\w* пожаловат\w* "
        r"жалоб\w* обрат\w* эскалир\w* чат(?:а|у|ом|е)? звон\w* позвонит\w*"
    ),
    _words(
        r"razgovar\w* razgovor\w* pomoć\sod pomoć popriča\w* priča\w* pričam govori\w* spoj\w* "
        r"poveži\w* povez\w* "
        r"prebac\w* pozovite pozovi kontakt\w* obrat\w* preusmer\w* prosled\w* eskalir\w* "
        r"žal(?:im|iti|io|ila|imo|ite|ba|bu|bom) ćaskanj\w* čet čet(?:uj|ova)\w* uputi\w* "
        r"poveza\w* pošalj\w*\s(?:me|nas)"
    ),
    _words(
        r"μιλ(?:ήσω|ησω|άω|αω|άμε|ήσουμε|ήσετε|ήσει) συνομιλ\w* συνδέσ\w* συνδέστε σύνδεση "
        r"μεταφέρ\w* μεταφέρετε προωθ\w* βοήθεια\sαπό επαφή\sμε καλέσ\w* φωνάξ\w* επικοινων\w* "
        r"milis(?:o|w) milhs(?:o|w) syndes\w* παραπέμψ\w* π(?:ε|έ)ρ(?:α|ά)σ\w*\sμε παράπον\w* "
        r"διαμαρτυρ\w* κλιμακ\w* στείλ\w*\sμε συνομιλ\w*"
    ),
)

# Verbs of wanting or getting: only with a person noun ("I want an operator", "дайте человека").
_WANT: Final = _alt(
    _words(
        r"want wanna need needed require request requesting prefer give\sme get\sme bring\sme "
        r"find\sme send\sme (?:can|could|may)\s(?:i|we)\s(?:please\s)?(?:have|get|see) "
        r"(?:would|d|id)\slike looking\sfor call summon send get find where\s(?:is|are) "
        r"demand ask\sfor asking\sfor insist\son please pls plz"
    ),
    _words(r"где(?:\sтут|\sздесь|\sу\sвас)?(?:\sесть)?"),
    _words(r"gde\s(?:je|su|mogu|ima) gdje\s(?:je|su|mogu|ima)"),
    _words(r"πού\s(?:είναι|βρίσκω|υπάρχει)"),
    _words(
        r"хоч\w* хотел\w* нуж(?:ен|на|но|ны) надо дайте дай можно требу\w* ищу зовите "
        r"найдите найди прошу давайте пожалуйста"
    ),
    _words(
        r"hoć\w* hteo htela htio žel\w* treba(?:m|mo)? potreb(?:an|na|no)(?:\s(?:mi|nam)\sje)? "
        r"dajte daj dobi\w* traž\w* nađi\w* nađete molim"
    ),
    _words(
        r"θέλ\w* χρειάζ\w* δώσ\w* δώστε φέρτε φέρε ζητ\w* ήθελα thel(?:o|w) μπορώ\sνα\sέχω "
        r"βρείτε\sμου βρες\sμου παρακαλώ"
    ),
)

# "Explain my problem to a person", "пријавим проблем човеку": the problem goes to a person.
_TELL: Final = _alt(
    _words(r"(?:report|explain|describe|tell|show)\s(?:this|it|my\s\w+|the\s\w+)(?:\sto)?"),
    _words(r"(?:объясн|опиш|опис|рассказ|сообщ)\w*\s(?:это|проблем\w*|ситуаци\w*|мою\s\w+)"),
    _words(r"(?:prijav|objasn|objašn|opiš|opis|isprič|kaž)\w*\s(?:ovo|to|problem\w*|situacij\w*)"),
    _words(r"(?:εξηγ|περιγρ|αναφέρ|πω)\w*\s(?:αυτό|το\sπρόβλημα|την\sκατάσταση)(?:\sσε)?"),
)

# Handing the matter itself to a person: "forward my request to a manager", "передайте мой вопрос
# специалисту", "pošaljite moj zahtev čoveku"; the matter must be named, so "transfer my
# subscription to another person" stays a question.
_HAND_OVER: Final = _alt(
    _words(
        r"forward pass send escalate transfer hand give route refer submit redirect raise take "
        r"bring"
    ),
    _words(
        r"передайте передай передать перешлите переслать отправьте отправить эскалируйте "
        r"эскалировать переадресуйте направьте направить"
    ),
    _words(
        r"pošaljite pošalji poslati prosledite prosledi proslijedite proslediti prebacite "
        r"eskalirajte predajte uputite"
    ),
    _words(r"προωθήστε στείλτε μεταφέρετε κλιμακώστε παραπέμψτε δώστε περάστε"),
)
_MATTER: Final = _alt(
    _words(
        r"(?:my|the|this|our|your)\s(?:question|request|issue|problem|case|ticket|complaint|"
        r"query|inquiry|enquiry|message|conversation|chat)s? this it"
    ),
    _words(
        r"(?:мой\s|мою\s|моё\s|мое\s|этот\s|эту\s)?(?:вопрос|запрос|обращени\w*|проблем\w*|"
        r"жалоб\w*|заявк\w*|сообщени\w*|чат|разговор) это"
    ),
    _words(
        r"(?:moj\s|moju\s|moje\s|ovaj\s|ovu\s)?(?:zahtev\w*|zahtjev\w*|pitanj\w*|problem\w*|"
        r"slučaj\w*|žalb\w*|tiket\w*|poruk\w*|razgovor\w*) ovo to"
    ),
    _words(
        r"(?:το\s|την\s|αυτό\s)?(?:αίτημα|ερώτηση|ερώτημα|πρόβλημα|παράπονο|υπόθεση|μήνυμα|θέμα)"
        r"(?:\sμου)? αυτό"
    ),
)
# "Someone from support", "неко из корисничког сервиса": where a person comes from.
_FROM: Final = _alt(_words(r"from of at in из от с iz od sa από της του"))

# Function words a request may pass through between its verb and its noun.
_GLUE: Final = _alt(
    _words(
        r"me us to with a an any the your ur one of some please pls plz now right away asap just "
        r"directly immediately quickly real actual actually live living human proper genuine "
        r"another other different same previous from over through on again talk speak "
        r"customer support service care tech technical billing sales team really kind sort "
        r"someone somebody 2 u pliz plis plez ya real\w* more senior higher here there"
    ),
    _words(
        r"мне меня нам нас с со к ко на пожалуйста уже срочно сейчас скорее живы\w* живо\w* "
        r"настоящ\w* реальн\w* нормальн\w* ваш\w* каки\w* нибудь кем кто из службы "
        r"поддержки хоть просто лучше бы быстро же ну друг\w* одним пожалуйста плиз кого "
        r"какого\w* одного кому нибудь то вашей компании немедленно тут здесь там"
    ),
    _words(
        r"mi me nam nas sa s na za molim vas vam odmah sada sad prav\w* stvarn\w* živ\w* iz "
        r"podrške korisničke drug\w* vaš\w* jednim da bar samo hitno neki\w* bih se neku "
        r"nekog nekim uživo korisničk\w* servis\w* tehničk\w* podršk\w* službe ovde ovdje tu "
        r"tamo"
    ),
    _words(
        r"με μου μας σε σας στον στην στο σ τον την το ενα έναν μια κάποιον κάποιο αληθιν\w* "
        r"πραγματικ\w* ζωνταν\w* από της του παρακαλώ αμέσως τώρα να άλλο άλλον "
        r"διαφορετικ\w* ανθρώπιν\w* me na ρε εξυπηρέτησης πελατών υποστήριξης τεχνικής "
        r"τμήματος εδώ εκεί ένας μια"
    ),
)

# A following word that makes the noun a modifier: "agent seat", "manager's email", "human error".
_TAIL: Final = _alt(
    _words(
        r"s else elses added removed invited assigned seats? licen(?:c|s)es? accounts? roles? "
        r"permissions? access apps? application "
        r"string header field e?mail address number name profile dashboard portal view "
        r"panel settings login password mode plans? pricing price fees? cost charges? code id "
        r"invites? invitations? list limits? count resources errors? verification check "
        r"readable rights training reports? tools? software version status interface ui "
        r"workspace inbox level console api token key features? discounts? pages? section area "
        r"options? setting functions? functionality only tab menu button links? visits? "
        r"appointments? call\sout callout"
    ),
    _words(r"связи паролей задач файлов друг\w* визит\w* выезд\w*"),
    _words(r"mobiln\w* mrež\w* lozink\w* drug\w* poset\w* dolaz\w* izlaz\w*"),
    _words(r"άλλ\w* επίσκεψ\w*"),
)

# Aversion to the bot: "not a bot", "no more robots", "надоел бот", "neću sa botom".
_BOT: Final = _alt(
    _words(r"bots? robots? chatbots? chat\sbot machines? ai automated computer"),
    _words(r"бот\w* робот\w* машин\w* автомат\w*"),
    _words(r"bot\w* robot\w* mašin\w* automat\w*"),
    _words(r"ρομπότ μηχαν\w* αυτόματ\w*"),
)
_AVERSE: Final = _alt(
    _words(
        r"not dont no stop enough hate tired\sof sick\sof done\swith instead\sof rather\sthan "
        r"no\smore other\sthan than get\sme\s(?:off|out\sof|away\sfrom) let\sme\sout\sof skip "
        r"bypass escape"
    ),
    _words(r"не хватит надоел\w* достал\w* без вместо устал\w*\sот"),
    _words(r"ne neću nemoj\w* dosta dosadi\w* bez umesto umjesto umor\w*\s(?:sam\s)?od"),
    _words(r"όχι δεν μην χωρίς αρκετά φτάνει βαρέθηκα κουράστηκα\sμε"),
)
_BOT_GLUE: Final = _alt(
    _words(
        r"want wanna to talk talking speak speaking chat chatting with a an the this that "
        r"your more another any some stupid dumb useless of like"
    ),
    _words(r"хочу говорить общаться разговаривать с со этим этот тупым ваш\w* твои"),
    _words(r"želim hoću da pričam razgovaram sa s ovim tim više glupim"),
    _words(r"θέλω να μιλάω μιλήσω με ένα το άλλο άλλα αυτό"),
)

# Insults and verdicts on the bot or its answers.
_BAD: Final = _alt(
    _words(
        r"useless worthless pointless stupid dumb dumbest idiot\w* moron\w* terrible awful "
        r"horrible pathetic garbage trash rubbish crap crappy shit shitty sucks joke "
        r"ridiculous incompetent hopeless clueless brainless unhelpful not\shelpful "
        r"no\s(?:help|use) of\sno\suse waste\sof\s(?:my\s)?time"
    ),
    _words(
        r"бесполез\w* туп(?:ой|ая|ое|ые|ица|ит|о) глуп\w* идиот\w* дебил\w* ужасн\w* "
        r"отвратительн\w* никчемн\w* кошмар бред\w* позор ерунд\w* фигн\w* чушь "
        r"толку\s(?:нет|ноль|никакого) без\sтолку"
    ),
    _words(
        r"beskoris\w* glup\w* idiot\w* kreten\w* užas\w* katastrof\w* bedn\w* jadn\w* očajn\w* "
        r"nikakav nikakva nikakvo bezveze bez\sveze smeće sramota"
    ),
    _words(
        r"άχρηστ\w* ηλίθι\w* χαζ\w* βλάκ\w* ανίκαν\w* άθλι\w* απαράδεκτ\w* χάλια "
        r"σκουπίδ\w* γελοί\w* άσχετ\w*"
    ),
)
_ANSWERS: Final = _alt(
    _words(r"thing program answers? replies responses? chat assistant service"),
    _words(r"ответ\w* программ\w* чат\w*"),
    _words(r"odgovor\w* program\w*"),
    _words(r"απάντησ\w* πρόγραμμα"),
)
# Who or what is being judged: the bot, "you", its answers, "this".
_JUDGED: Final = _alt(
    _words(
        r"you youre ur bot chatbot robot machine assistant ai "
        r"(?:this|that|it|the|your)\s(?:bot|chatbot|chat|thing|robot|machine|assistant|service) "
        r"(?:this|that|it|its|thats)\s(?:is|was|s) (?:these|those|the|your)\s(?:answers|replies) "
        r"(?:this|that|the|your)\s(?:answer|reply|response)"
    ),
    _words(r"ты вы бот этот\sбот ваш\sбот это робот ответ\w* твои\sответы"),
    _words(r"ti vi bot ovaj\sbot ovo to\sje odgovor\w* robot"),
    _words(r"είσαι είστε αυτό το\sbot το\sρομπότ ρομπότ bot απάντησ\w*"),
)
_INTENSIFIER: Final = _alt(
    _words(
        r"is are was were re s so very really completely totally absolutely utterly just "
        r"fucking freaking damn pretty such a an the most truly quite kinda literally beyond "
        r"still being"
    ),
    _words(r"такой такая такое так совсем очень абсолютно вообще просто полностью же"),
    _words(r"si ste je su jesi baš potpuno totalno skroz stvarno tako vrlo jako sasvim"),
    _words(r"είναι είσαι είστε τόσο πολύ τελείως εντελώς"),
)
# "You are not helping", "ты меня не понимаешь", "ne pomažeš", "δεν με βοηθάς".
_NOT_HELPING_YOU: Final = _alt(
    _words(
        r"(?:you|u|youre|bot|this\sbot|the\sbot)\s(?:are\s|re\s)?(?:not|dont|didnt|arent|"
        r"never|do\snot|did\snot|are\snot)\s(?:really\s|even\s)?"
        r"(?:help|helping|helpful|understand|understanding|listening|listen|get\sit|answer"
        r"|answering|useful)"
    ),
    _words(
        r"(?:ты\s|вы\s)?(?:меня\s|мне\s)?не\s(?:помогаешь|помогаете|понимаешь|понимаете|"
        r"слышишь|слышите) (?:ты|вы)\s(?:меня\s|мне\s)?(?:ничем\s)?не\s(?:помог|помогла|"
        r"помогли|понял|поняла|поняли)"
    ),
    _words(
        r"ne\s(?:mi\s|me\s)?(?:pomažeš|pomažete|razumeš|razumete|razumiješ|razumijete|"
        r"kapiraš|kapirate|slušaš|slušate) (?:nisi|niste)\s(?:mi\s|me\s)?(?:pomogao|pomogla|"
        r"pomogli|razumeo|razumela|razumeli|razumio)"
    ),
    _words(
        r"δεν\s(?:με\s|μου\s)?(?:βοηθάς|βοηθάτε|βοήθησες|βοηθήσατε|καταλαβαίνεις|"
        r"καταλαβαίνετε|κατάλαβες|καταλάβατε|ακούς)"
    ),
)
# "This doesn't help", "ничего не помогает", "ovo ne pomaže": third person, so a subject is needed.
_NOT_HELPING_IT: Final = _alt(
    _words(
        r"(?:this|that|it|its|thats|the\sanswer|your\sanswer|the\sanswers|nothing|this\sanswer)"
        r"\s(?:is\s|was\s|s\s)?(?:not|doesnt|didnt|isnt|wasnt|does\snot|did\snot|is\snot|"
        r"was\snot|never)\s(?:really\s|even\s|at\sall\s)?(?:help|helps|helping|helpful|helped|"
        r"useful|answer|answers|what\si\sasked)"
        r" nothing\s(?:helps|helped|works)"
    ),
    _words(
        r"(?:это|бот|ответ\w*|ничего)\s(?:мне\s)?(?:не\s|ничем\sне\s)(?:помогает|помогло|помог|"
        r"помогла|помогают|то)"
    ),
    _words(
        r"(?:ovo|to|bot|odgovor\w*|ništa)\s(?:mi\s)?(?:ne\spomaže|nije\spomoglo|ne\spomažu|"
        r"nije\sto)"
    ),
    _words(
        r"(?:αυτό|τίποτα|η\sαπάντηση|το\sbot|το\sρομπότ)\s(?:δεν\s)(?:με\s|μου\s)?"
        r"(?:βοηθάει|βοηθά|βοήθησε|βοηθάνε)"
    ),
)
# Giving up: "waste of time", "I give up", "сдаюсь", "gubim vreme", "χάνω τον χρόνο μου".
_GIVING_UP: Final = _alt(
    _words(
        r"waste\sof\s(?:my\s)?time wasting\smy\stime i\sgive\sup are\syou\skidding fed\sup "
        r"sick\sof\s(?:this|you|it) this\sis\sa\sjoke (?:going|go)\s(?:a)?round\sin\scircles "
        r"talking\sto\sa\s(?:brick\s)?wall not\swhat\si\s(?:asked|meant) "
        r"hate\s(?:you|this\sbot|this\schat|bots?|chatbots?) "
        r"already\s(?:tried|did|read)\s(?:that|this|it|those|everything) "
        r"tried\s(?:that|this|everything)\salready (?:make|makes|made)\sno\ssense "
        r"(?:doesnt|does\snot|dont|didnt)\smake\s(?:any\s)?sense nonsense "
        r"keep\w*\s(?:giving|sending|repeating|saying)\s(?:me\s)?(?:the\ssame|that|this) "
        r"repeating\syourself the\ssame\s(?:answer|reply|response|thing)s?\s(?:again|over)"
    ),
    _words(
        r"сдаюсь трата\sвремени теря\w*\sвремя время\sтеря\w* издевает\w* надоел\w* достал\w* "
        r"уже\sпробовал\w* нет\sсмысла бессмысл\w* (?:опять|снова)\s(?:то\sже|одно\sи\sто\sже)"
    ),
    _words(
        r"gubim\sv(?:ri|r)?(?:j)?eme gubljenje\sv(?:ri|r)?(?:j)?emena odustajem "
        r"dosta\smi\sje nema\ssmisla besmisl\w* (?:opet|ponovo)\s(?:isto|isti|istu) "
        r"dosadi\w*\smi nervira\w*\sme već\ssam\sprobao\w* već\ssam\spokušao\w*"
    ),
    _words(
        r"χάνω\s(?:τον\s)?χρόνο χάσιμο\sχρόνου τα\sπαρατάω βαρέθηκα μπούχτισα κοροϊδεύ\w* "
        r"το\sδοκίμασα\sήδη δεν\sβγάζει\s(?:κανένα\s)?νόημα χωρίς\sνόημα (?:πάλι|ξανά)\sτα\sίδια"
    ),
)

# "Is anyone there?", "есть кто живой?", "ima li koga?", "υπάρχει κάποιος;", and "who can I
# talk to", which ask for a person without naming one.
_ANYONE_THERE: Final = _alt(
    _words(
        r"(?:is|are)\s(?:there\s)?(?:anyone|anybody|someone|somebody)\s(?:there|here|around|"
        r"listening|reading|available|real|alive) (?:anyone|anybody)\s(?:there|here|around|"
        r"alive|home|available) hello\s(?:anyone|anybody|is\sanyone) "
        r"who\s(?:can|could|do|should)\s(?:i|we)\s(?:talk|speak|chat|contact|call|reach)"
    ),
    _words(
        r"есть\s(?:ли\s)?(?:тут\s|здесь\s)?(?:кто|кто\sнибудь|кто\sто|живые|живой|люди|человек|"
        r"оператор)\w* (?:тут|здесь)\s(?:есть\s)?(?:кто|люди|живые)\w* "
        r"кто\sнибудь\s(?:есть|тут|здесь|живой) с\sкем\s(?:можно|мне)\s(?:поговорить|связаться)"
    ),
    _words(
        r"ima\sli\s(?:nekoga|koga|neko|ljudi|živ\w*|čov\w*|operater\w*|agent\w*) "
        r"ima\sli\s(?:nekog|neko)(?=\s(?:živ|tamo|ovde|ovdje|tu|\.)|$) "
        r"sa\skim\s(?:mogu|može)\s(?:da\s)?(?:razgovar\w*|prič\w*|popriča\w*)"
    ),
    _words(
        r"υπάρχει\s(?:κάποιος|κανείς|άνθρωπος|εκπρόσωπος) (?:είναι|είσαι)\s(?:κάποιος|κανείς)\s"
        r"(?:εκεί|εδώ) με\sποιον\s(?:μπορώ\sνα\s)?μιλ\w*"
    ),
)
# "Have someone call me", "can an agent call me back", "перезвоните мне", "pozovite me".
_CALL_ME: Final = _alt(
    _words(
        r"(?:call|ring|phone)\sme\sback callback call\sback give\sme\sa\scall "
        r"(?:can|could|please|pls|will|would)\s(?:you|someone|somebody|anyone)\s(?:please\s)?"
        r"(?:call|contact|ring|phone)\sme"
    ),
    _words(r"перезвон\w* позвоните\sмне свяжитесь\sсо\sмной"),
    _words(r"nazovite\sme pozovite\sme kontaktirajte\sme neka\sme\s(?:neko\s)?(?:pozove|nazove)"),
    _words(r"καλέστε\sμε πάρτε\sμε\s(?:ένα\s)?τηλέφωνο να\sμε\sκαλέσει τηλεφωνήσ\w*\sμου"),
)

# Words a message made only of a person noun may also contain: "agent please", "живой человек".
_ALONE_FILLER: Final = _alt(
    _words(
        r"\. i me a an the some one real actual live human humans living proper please pls plz "
        r"now asap hello hi hey ok okay just want need wanna get give talk speak to with your "
        r"being customer service support team desk line again already quick fast right away "
        r"enough any anyone anybody someone somebody there here pliz plis plez u 2 ya urgently "
        r"immediately"
    ),
    _words(
        r"мне нужен нужна нужно хочу дайте дай давай\w* позовите живой живого живым "
        r"настоящ\w* реальн\w* пожалуйста срочно уже ну можно сюда плиз быстро немедленно "
        r"сейчас скорее хочу нужен нужна"
    ),
    _words(
        r"mi treba hoću želim dajte daj molim vas hitno živ\w* prav\w* stvarn\w* sad sada "
        r"odmah brzo neki\w* neku"
    ),
    _words(
        r"θέλω έναν ένα παρακαλώ τώρα αληθιν\w* πραγματικ\w* ζωνταν\w* κάποιον ρε αμέσως "
        r"γρήγορα χρειάζομαι δώστε μου"
    ),
)
_ALONE_NOUN: Final = _alt(
    [_PERSON],
    _words(r"someone somebody anyone anybody"),
    _words(r"кто\sнибудь"),
    _words(r"neko nekoga"),
    _words(r"κάποιος κάποιον"),
)
_FRUSTRATION_FILLER: Final = _alt(
    _words(
        r"\. ugh omg wow seriously so very really totally completely absolutely just this is "
        r"it that s thats its you are youre bot such a at all again still and god oh man wtf "
        r"ffs damn fucking lol"
    ),
    _words(r"это ну так просто совсем вообще како\w* как же то очень ты вы бот опять снова"),
    _words(r"ovo je baš totalno skroz stvarno opet ti si vi ste bot joj uf bre"),
    _words(r"αυτό είναι τόσο πολύ τελείως εντελώς είσαι είστε πάλι ρε τι bot ρομπότ ωχ ουφ"),
)

# ---------------------------------------------------------------------------------------------
# Spelling: typos, transliteration and missing spaces in the words that matter
# ---------------------------------------------------------------------------------------------

# The words a request hinges on, as ``stem{suffix,…}`` (an empty suffix is the bare stem). A
# token one edit away from one of them ("humna", "aператор", "εκπροσοπο") is read as it; the
# forms must be ones the lexicons above accept.
_KEY_WORDS: Final = """
human{,s} person{,s} people agent{,s} operator{,s} representative{,s} staff employee{,s}
worker{,s} colleague{,s} advisor{,s} adviser{,s} consultant{,s} specialist{,s} expert{,s}
technician{,s} engineer{,s} manager{,s} supervisor{,s} director{,s} personnel someone somebody
anyone anybody customer service support speak{,ing} talk{,ing} connect transfer escalate contact
want need complain
человек{,а,у,ом,е} людьми оператор{,а,у,ом,е,ы,ов} специалист{,а,у,ом,е,ы,ов}
сотрудник{,а,у,ом,е,и,ов} менеджер{,а,у,ом,е,ы,ов} консультант{,а,у,ом} представител{ь,я,ю,ем}
руководител{ь,я,ю,ем} начальник{,а,у,ом} инженер{,а,у,ом} эксперт{,а,у,ом} директор{,а,у,ом}
администратор{,а,у,ом} поддержк{а,и,у,ой} жив{ой,ого,ому,ым} хочу пожалуйста
соедин{ите,ить} переключ{ите,ить} позов{ите,и} поговор{ить,ю} свяж{ите,итесь} связаться
перезвон{ите,ить} подключ{ите,ить} общаться
čov{ek,eka,eku,ekom,jek,jeka,jeku,jekom} osoblj{e,u,em}
operat{er,era,eru,erom,eri,or,ora,oru,orom} agent{,a,u,om,i,ima} predstavnik{,a,u,om}
specijalist{,a,u,om,i} stručnjak{,a,u,om} službenik{,a,u,om} zaposlen{i,og,om,im,ima}
menadžer{,a,u,om} savetnik{,a,u,om} savjetnik{,a,u,om} tehničar{,a,u,em,om} direktor{,a,u,om}
podršk{a,u,e,om} servis{,a,u,om} razgovar{am,ati} priča{m,ti} spoj{ite,i}
povež{ite,i} prebac{ite,i} pozov{ite,i} hoću
άνθρωπ{ος,ο,ου,οι,ους} εκπρόσωπ{ος,ο,ου,οι,ους} υπάλληλ{ος,ο,ου,οι,ους} τεχνικ{ός,ό,ού}
ειδικ{ός,ό,ού} υπεύθυν{ος,ο,ου} συνεργάτ{ης,η} διευθυντ{ής,ή} προϊστάμεν{ος,ο,ου}
σύμβουλ{ος,ο,ου} χειριστ{ής,ή} κάποι{ος,ον} υποστήριξ{η,ης} εξυπηρέτησ{η,ης} μιλήσω συνδέστε
μεταφέρετε θέλω χρειάζομαι παρακαλώ καλέστε επικοινωνήσω
"""
# Greek words a Greeklish message ("thelo na milisw me anthrwpo") is read back into.
_GREEK_WORDS: Final = """
θέλω να μιλήσω με έναν ένα μια τον την το σε μου μας παρακαλώ τώρα αμέσως κάποιον κάποιος
ζωντανό αληθινό πραγματικό χρειάζομαι δώστε συνδέστε μεταφέρετε καλέστε υπάρχει κανείς εκεί
εδώ ρε υπάλληλο εκπρόσωπο άνθρωπο άνθρωπος τεχνικό υπεύθυνο με ποιον μπορώ
"""
# Real words (``*``: and their inflections) one edit away from a key word, found by running
# the detector over the spaCy lookup word lists: never "corrected" ("contract" is no "contact").
_NOT_TYPOS: Final = re.compile(
    "(?:"
    + "|".join(
        _norm(w).replace("*", r"\w*")
        for w in _words(
            """
            peak* stuff* stiff taking walking stalking tanking tasking sneak* contract* export*
            expect* exert* serves parsons manages employer* eksport* экспорт* ponovi* saveznik*
            gents pearson peron* opozov* pover* poved* dovez* provez* особу* особо* особю
            dogovor* ogovor* progovor* podgovor* договор*
            """
        )
    )
    + ")"
)
#: Key words shorter than this are only matched exactly: "tlak" is too far from anything.
_FUZZY_MIN: Final = 5
#: From this length on, any one letter may be wrong; shorter key words allow only a wrong vowel.
_ANY_LETTER_MIN: Final = 8
_VOWELS: Final = frozenset("aeiouy")


def _expand(spec: str) -> list[str]:
    out: list[str] = []
    for entry in spec.split():
        stem, _, suffixes = entry.partition("{")
        out.extend(_norm(stem + suffix) for suffix in suffixes.rstrip("}").split(","))
    return out


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _fuzzy_index(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Every Latin-script key word and each of its one-letter deletions → the key words: a typo
    meets its word through a shared deletion (then ``_typo_of`` checks the edit itself). Greek
    goes through its phonetic skeleton instead: its typos are spelling, not keyboard, slips."""
    index: dict[str, list[str]] = {}
    for word in sorted(words):
        if len(word) >= _FUZZY_MIN and word.isascii():
            for variant in {word, *_deletions(word)}:
                index.setdefault(variant, []).append(word)
    return {variant: tuple(found) for variant, found in index.items()}


def _typo_of(typed: str, word: str) -> bool:
    """One slip between ``typed`` and a key ``word``: two neighbours swapped, or one letter
    missing, extra or wrong — but not the last letter, where words inflect ("managed",
    "contacts", "humane" are words of their own), and only a wrong vowel in short words."""
    if len(typed) == len(word):
        diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(diff) == 2:
            i, j = diff
            return j == i + 1 and typed[i] == word[j] and typed[j] == word[i]
        if len(diff) != 1 or diff[0] == len(word) - 1:
            return False
        i = diff[0]
        return len(word) >= _ANY_LETTER_MIN or (typed[i] in _VOWELS and word[i] in _VOWELS)
    short, long = (typed, word) if len(typed) < len(word) else (word, typed)
    if len(long) - len(short) != 1:
        return False
    i = next((k for k, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return i < len(short) and short[i:] == long[i + 1 :]


_KEY: Final = frozenset(_expand(_KEY_WORDS))
_FUZZY: Final = _fuzzy_index(_KEY)

_GREEKLISH_DIGRAPHS: Final = (("th", "8"), ("ch", "x"), ("kh", "x"), ("ps", "4"), ("ks", "3"))
_GREEKLISH_LETTERS: Final = str.maketrans({"w": "o", "h": "i", "y": "i", "u": "i", "b": "v"})
_GREEK_LETTERS: Final = str.maketrans(
    dict(zip("αβγδεζηθικλμνξοπρστυφχψω", "avgdezi8iklmn3oprstifx4o", strict=True))
)
_VOWEL_PAIRS: Final = (("ei", "i"), ("oi", "i"), ("ai", "e"))


def _greek_skeleton(word: str) -> str:
    """Greek (folded) and Greeklish in one rough Latin spelling: ω/o, η/ι/υ/h/i, θ/th/8."""
    if word.isascii():
        for digraph, letter in _GREEKLISH_DIGRAPHS:
            word = word.replace(digraph, letter)
        word = word.replace("ou", "U").translate(_GREEKLISH_LETTERS).replace("U", "u")
    else:
        word = word.replace("ου", "u").translate(_GREEK_LETTERS)
    for pair, letter in _VOWEL_PAIRS:
        word = word.replace(pair, letter)
    return word


_GREEKLISH: Final = {
    _greek_skeleton(word): word
    for word in sorted({*_expand(_GREEK_WORDS), *(w for w in _KEY if not w.isascii())})
}
#: Greeklish words shorter than this are left alone: "ton", "say", "mia" are English too.
_GREEKLISH_MIN: Final = 4
# Words a key word may have run into ("talkto", "ineed", "humanpls"): English only, where
# Latin-script words are short and glued more often; "osobina" must not become "osobi na".
_RUN_TOGETHER: Final = frozenset(
    _words("to me a an the i with pls plz please now real live some one asap any my u 2")
)

_RU_LATIN: Final = (
    ("shch", "sc"), ("sch", "sc"), ("zh", "z"), ("ch", "c"), ("sh", "s"), ("kh", "h"),
    ("ts", "c"), ("ya", "ja"), ("yu", "ju"), ("yo", "e"),
)  # fmt: skip
_RU_Y: Final = re.compile(r"(?<=[aeiou])y")


def _russian_latin(word: str) -> str:
    """Russian typed in Latin letters ("chelovekom", "pozhaluysta") in the unified spelling."""
    for pair, letters in _RU_LATIN:
        word = word.replace(pair, letters)
    return _RU_Y.sub("j", word)


# Negations that turn a request around: "I don't need an agent", "не нужен оператор".
_NEGATION: Final = frozenset(
    _norm(w) for w in _words("not dont doesnt never не ne nemoj nemojte neću δεν μην μη")
)
_NEGATION_BRIDGE: Final = frozenset(
    _norm(w)
    for w in _words(
        "want wanna need to really even i me have actually necessarily do хочу нужен нужно "
        "надо мне želim treba trebam mi da θέλω χρειάζομαι να"
    )
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _source(pattern: str) -> str:
    """A rule's pattern, compiled later together with the other rules: one scan for all."""
    return pattern


# Commas become "." too: "подключите, пожалуйста, оператора" passes through them.
_GAP: Final = rf"(?:(?:{_GLUE}|\.) ){{0,5}}"
_FROM_PHRASE: Final = rf"(?:{_FROM} (?:\w+ ){{0,3}}?)?"
_NOUN_END: Final = rf"\b(?! {_TAIL}\b)"
_END: Final = r"(?: \.)*$"
_RULES_EXPLICIT: Final[tuple[tuple[str, str], ...]] = (
    (
        "contact",
        _source(rf"(?!contact\spersons?\b){_CONTACT} {_GAP}(?:{_PERSON}|{_TARGET}){_NOUN_END}"),
    ),
    ("want", _source(rf"{_WANT} {_GAP}(?:{_PERSON}|{_SOMEONE}){_NOUN_END}")),
    ("is_there", _source(rf"{_IS_THERE} {_GAP}{_PERSON}{_NOUN_END}")),
    ("caller", _source(rf"{_CALLER_VERB} {_GAP}(?:{_PERSON}|{_SOMEONE}){_NOUN_END}")),
    ("hand_over", _source(rf"{_HAND_OVER} {_MATTER} {_GAP}{_PERSON}{_NOUN_END}")),
    ("with_person_talk", _source(rf"{_WITH} {_GAP}(?:{_PERSON}|{_TARGET}) {_GAP}{_CONTACT}")),
    ("any_person", _source(rf"(?:^|(?<=\. ))any {_GAP}{_PERSON}{_NOUN_END}")),
    ("put_on", _source(rf"put {_GAP}(?:{_PERSON}|{_SOMEONE}) on{_END}")),
    ("may_i_have", _source(rf"{_MAY_I_HAVE} {_GAP}{_PERSON}{_END}")),
    ("tell_person", _source(rf"{_TELL} {_GAP}{_PERSON}{_NOUN_END}")),
    ("anyone_there", _source(rf"{_ANYONE_THERE}\b")),
    ("call_me", _source(rf"{_CALL_ME}\b")),
    (
        "reaches_back",
        _source(rf"{_MAY} {_GAP}(?:{_PERSON}|{_SOMEONE}) {_FROM_PHRASE}{_GAP}{_REACHES_BACK}\b"),
    ),
    (
        "escalate",
        _source(
            r"(?:^|(?<=\. ))(?:please |pls |can you |could you |i want to |i?d like to )?"
            r"escalate(?: (?:this|it|me|my (?:issue|case|ticket|problem|complaint|request)|please"
            r"|pls|now|asap))*(?: \.|$)"
        ),
    ),
)
_NO_BOT: Final = _compile(rf"\b{_AVERSE} (?:{_BOT_GLUE} ){{0,6}}{_BOT}\b")
_CAPTCHA: Final = _compile(
    _alt(_words(r"i\sam\snot im\snot я\sне nisam δεν\sείμαι")) + r" (?:a |an )?" + _BOT
)
_RULES_FRUSTRATION: Final[tuple[tuple[str, str], ...]] = (
    ("judged_bad", _source(rf"{_JUDGED} (?:{_INTENSIFIER} ){{0,3}}{_BAD}\b")),
    ("bad_bot", _source(rf"{_BAD} (?:{_BOT}|{_ANSWERS})\b")),
    ("not_helping", _source(rf"(?:{_NOT_HELPING_YOU}|{_NOT_HELPING_IT})\b")),
    ("giving_up", _source(rf"{_GIVING_UP}\b")),
)
_EXPLICIT: Final = _compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{source})" for name, source in _RULES_EXPLICIT) + ")"
)
_FRUSTRATION: Final = _compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{source})" for name, source in _RULES_FRUSTRATION) + ")"
)
_ALONE_FILLER_TOKEN: Final = _compile(_ALONE_FILLER)
_ALONE_NOUN_TOKEN: Final = _compile(_ALONE_NOUN)
_FRUSTRATION_FILLER_TOKEN: Final = _compile(_FRUSTRATION_FILLER)
_BAD_TOKEN: Final = _compile(_BAD)
_PHRASE: Final = _compile(rf"\b(?:{_ALONE_NOUN}|{_BAD})\b")

# Any word the lexicons read as it is: never respelled.
_KNOWN_TOKEN: Final = _compile(
    "|".join(
        (
            *(_PERSON, _TARGET, _SOMEONE, _IS_THERE, _WITH, _MAY, _REACHES_BACK, _CONTACT, _WANT),
            *(_TELL, _HAND_OVER, _MATTER, _FROM, _GLUE, _TAIL, _BOT, _AVERSE, _BOT_GLUE, _BAD),
            *(_ANSWERS, _JUDGED, _INTENSIFIER, _ALONE_FILLER, _ALONE_NOUN, _FRUSTRATION_FILLER),
        )
    )
)


@lru_cache(maxsize=65_536)
def _known(word: str) -> bool:
    return (
        word in _KEY
        or _NOT_TYPOS.fullmatch(word) is not None
        or word in _NEGATION
        or _KNOWN_TOKEN.fullmatch(word) is not None
    )


def _fuzzy(word: str) -> str | None:
    """The key word ``word`` is a slip for, if one is."""
    if len(word) < _FUZZY_MIN - 1:
        return None
    if not word.isascii():
        return _GREEKLISH.get(_greek_skeleton(word))
    candidates = {*_FUZZY.get(word, ())}
    for variant in _deletions(word):
        candidates.update(_FUZZY.get(variant, ()))
    return min((key for key in candidates if _typo_of(word, key)), default=None)


def _split(word: str) -> str | None:
    """Key words run together with short ones: "talkto", "humanplease", "talktoahuman"."""
    pieces = _pieces(word, 4)
    if pieces and len(pieces) > 1 and any(piece in _KEY for piece in pieces):
        return " ".join(pieces)
    return None


def _pieces(word: str, room: int) -> list[str] | None:
    """``word`` as at most ``room`` key or short words, longest first piece first; the last
    piece is never a single letter ("persona" is not "person a")."""
    if word in _KEY or (word in _RUN_TOGETHER and len(word) > 1):
        return [word]
    if room <= 1:
        return None
    for i in range(len(word) - 1, 0, -1):
        left = word[:i]
        if left in _KEY or left in _RUN_TOGETHER:
            rest = _pieces(word[i:], room - 1)
            if rest is not None:
                return [left, *rest]
    return None


@lru_cache(maxsize=65_536)
def _respell(word: str) -> str:
    """A token as the lexicons spell it: itself when known, else a transliteration, a
    correction within one edit, or two words split apart; unchanged when none fits."""
    if _known(word) or word == "." or word.isdigit():
        return word
    if word.isascii():
        russian = _russian_latin(word)
        if russian != word and russian in _KEY:
            return russian
        greek = _GREEKLISH.get(_greek_skeleton(word)) if len(word) >= _GREEKLISH_MIN else None
        if greek is not None:
            return greek
    return _fuzzy(word) or _split(word) or word


def _respelled(norm: str) -> str:
    return " ".join(_respell(word) for word in norm.split(" "))


#: Messages longer than this many tokens are not checked for being "only a person noun".
_ALONE_MAX_TOKENS: Final = 8
#: Nor are sentences longer than this, within a longer message ("Wrong again. Agent please.").
_SENTENCE_MAX_TOKENS: Final = 4


def _negated(norm: str, start: int) -> bool:
    """True when the words just before ``start`` negate it: "I don't want to talk to a human"."""
    for word in reversed(norm[:start].split()):
        if word in _NEGATION:
            return True
        if word not in _NEGATION_BRIDGE:
            return False
    return False


_NOUN, _FILLER, _BAD_WORD, _BAD_FILLER = 1, 2, 4, 8


@lru_cache(maxsize=65_536)
def _roles(word: str) -> int:
    """The roles a token (or joined phrase) can play in a short message, as bits; words repeat
    across messages, so this is a dictionary lookup after the first time."""
    roles = 0
    if _ALONE_NOUN_TOKEN.fullmatch(word):
        roles |= _NOUN
    if _ALONE_FILLER_TOKEN.fullmatch(word):
        roles |= _FILLER
    if _BAD_TOKEN.fullmatch(word):
        roles |= _BAD_WORD
    if _FRUSTRATION_FILLER_TOKEN.fullmatch(word):
        roles |= _BAD_FILLER
    return roles


def _short_message(norm: str, limit: int = _ALONE_MAX_TOKENS) -> list[str]:
    """The tokens of a short message, multi-word phrases ("live chat", "без толку") joined into
    one; empty for longer messages, which are never just a noun or an insult."""
    if norm.count(" ") >= 2 * limit:
        return []
    joined = _PHRASE.sub(lambda m: m.group(0).replace(" ", "_"), norm)
    parts = [part.replace("_", " ") for part in joined.split()]
    return parts if len(parts) <= limit else []


def _person_alone(norm: str, parts: list[str]) -> bool:
    """The message, or one short sentence of it, is only a person noun: "Useless. Agent!"."""
    if _only(parts, _NOUN, _FILLER):
        return True
    return " . " in norm and any(
        _only(_short_message(sentence, _SENTENCE_MAX_TOKENS), _NOUN, _FILLER)
        for sentence in norm.split(" . ")
    )


def _only(parts: list[str], key: int, allowed: int) -> bool:
    """True when every token plays the ``key`` or an ``allowed`` role and one plays ``key``."""
    found = False
    for part in parts:
        roles = _roles(part)
        if roles & key:
            found = True
        elif not roles & allowed:
            return False
    return found


def classify(text: str) -> PersonRequest | None:
    """Whether and why ``text`` asks for a person; None for ordinary questions and small talk."""
    norm = normalize(text)
    if not norm:
        return None
    norm = _respelled(norm)
    for match in _EXPLICIT.finditer(norm):
        if match.lastgroup and not _negated(norm, match.start()):
            return PersonRequest("explicit", match.lastgroup)
    parts = _short_message(norm)
    if _person_alone(norm, parts):
        return PersonRequest("explicit", "person_alone")
    if _NO_BOT.search(norm) and not _CAPTCHA.search(norm):
        return PersonRequest("explicit", "not_a_bot")
    frustration = _FRUSTRATION.search(norm)
    if frustration and frustration.lastgroup:
        return PersonRequest("frustration", frustration.lastgroup)
    if _only(parts, _BAD_WORD, _BAD_FILLER):
        return PersonRequest("frustration", "bad_alone")
    return None


def asks_for_person(text: str) -> bool:
    """True when the customer asks for a person or is frustrated with the bot: hand off."""
    return classify(text) is not None
