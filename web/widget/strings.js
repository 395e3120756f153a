// The chat panel's own words (the launcher carries its one label itself) (what the bot and agents say comes from the server, already in the
// customer's language). Serbian in both scripts; anything else falls back to English.
var TEXTS = {
  en: {
    close: "Close the chat", message: "Message",
    placeholder: "Type your question…", send: "Send", leave: "Leave the queue", agent: "Support agent",
    article: "Read the article", typing: "typing…", error: "Something went wrong",
    too_long: "That message is too long.", rating_failed: "Your rating could not be sent; try again.",
    email_failed: "Could not save the address.",
    status: { connecting: "connecting…", online: "online", reconnecting: "reconnecting…",
              offline: "you are offline — messages will be sent when you are back",
              unreachable: "cannot reach the server — retrying…",
              limited: "too many messages — sending again in a moment" }
  },
  el: {
    close: "Κλείσιμο συνομιλίας",
    message: "Μήνυμα", placeholder: "Γράψτε την ερώτησή σας…", send: "Αποστολή", leave: "Έξοδος από την ουρά",
    agent: "Εκπρόσωπος υποστήριξης", article: "Διαβάστε το άρθρο", typing: "πληκτρολογεί…",
    error: "Κάτι πήγε στραβά", too_long: "Το μήνυμα είναι πολύ μεγάλο.",
    rating_failed: "Η βαθμολογία δεν στάλθηκε· δοκιμάστε ξανά.", email_failed: "Η διεύθυνση δεν αποθηκεύτηκε.",
    status: { connecting: "σύνδεση…", online: "συνδεδεμένο", reconnecting: "επανασύνδεση…",
              offline: "είστε εκτός σύνδεσης — τα μηνύματα θα σταλούν μόλις επιστρέψετε",
              unreachable: "ο διακομιστής δεν απαντά — νέα προσπάθεια…",
              limited: "πάρα πολλά μηνύματα — νέα αποστολή σε λίγο" }
  },
  ru: {
    close: "Закрыть чат", message: "Сообщение",
    placeholder: "Напишите ваш вопрос…", send: "Отправить", leave: "Выйти из очереди", agent: "Сотрудник поддержки",
    article: "Читать статью", typing: "печатает…", error: "Что-то пошло не так",
    too_long: "Сообщение слишком длинное.", rating_failed: "Оценка не отправлена; попробуйте ещё раз.",
    email_failed: "Не удалось сохранить адрес.",
    status: { connecting: "подключение…", online: "в сети", reconnecting: "переподключение…",
              offline: "нет сети — сообщения отправятся, когда связь вернётся",
              unreachable: "сервер недоступен — пробуем снова…",
              limited: "слишком много сообщений — отправим чуть позже" }
  },
  sr: {
    close: "Zatvori čet", message: "Poruka",
    placeholder: "Napišite pitanje…", send: "Pošalji", leave: "Izađi iz reda", agent: "Operater podrške",
    article: "Pročitajte članak", typing: "kuca…", error: "Nešto nije u redu",
    too_long: "Poruka je predugačka.", rating_failed: "Ocena nije poslata; pokušajte ponovo.",
    email_failed: "Adresa nije sačuvana.",
    status: { connecting: "povezivanje…", online: "na vezi", reconnecting: "ponovno povezivanje…",
              offline: "niste na mreži — poruke će otići kad se vratite",
              unreachable: "server nije dostupan — pokušavamo ponovo…",
              limited: "previše poruka — šaljemo ponovo za trenutak" }
  }
};

var LATIN = "lj,nj,dž,Lj,Nj,Dž,LJ,NJ,DŽ,a,b,v,g,d,đ,e,ž,z,i,j,k,l,m,n,o,p,r,s,t,ć,u,f,h,c,č,š,A,B,V,G,D,Đ,E,Ž,Z,I,J,K,L,M,N,O,P,R,S,T,Ć,U,F,H,C,Č,Š".split(",");
var CYRILLIC = "љ,њ,џ,Љ,Њ,Џ,Љ,Њ,Џ,а,б,в,г,д,ђ,е,ж,з,и,ј,к,л,м,н,о,п,р,с,т,ћ,у,ф,х,ц,ч,ш,А,Б,В,Г,Д,Ђ,Е,Ж,З,И,Ј,К,Л,М,Н,О,П,Р,С,Т,Ћ,У,Ф,Х,Ц,Ч,Ш".split(",");

export function cyrillic(text) {
  var out = "", i = 0;
  while (i < text.length) {
    var two = text.substr(i, 2), at = LATIN.indexOf(two);
    if (two.length === 2 && at >= 0 && at < 9) { out += CYRILLIC[at]; i += 2; continue; }
    at = LATIN.indexOf(text[i]);
    out += at >= 9 ? CYRILLIC[at] : text[i];
    i += 1;
  }
  return out;
}

function convert(value, fn) {
  if (typeof value === "string") return fn(value);
  var out = {};
  Object.keys(value).forEach(function (k) { out[k] = convert(value[k], fn); });
  return out;
}

/** The widget's words for a language tag such as "el", "sr-Cyrl", "sr-Latn-RS". */
export function strings(tag) {
  var parts = String(tag || "en").toLowerCase().split(/[-_]/);
  var own = TEXTS[parts[0]] || TEXTS.en;
  return parts[0] === "sr" && parts.indexOf("cyrl") > 0 ? convert(own, cyrillic) : own;
}
