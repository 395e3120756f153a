"""Reading mail as customers' programs write it: encodings, HTML, quotes and signatures,
attachments, and mail no person wrote."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from mail.parse import UnreadableMail, parse, safe_filename
from mail.text import html_to_text, own_words

LIMIT = 1024 * 1024


def message(text: str = "Hello", *, charset: str = "utf-8", cte: str | None = None,
            **headers: str) -> EmailMessage:  # fmt: skip
    built = EmailMessage()
    built["From"] = headers.pop("From", "Ana Anić <Ana@Example.org>")
    built["To"] = "support@nimbus.test"
    built["Subject"] = headers.pop("Subject", "Question")
    built["Message-ID"] = headers.pop("Message_ID", "<m1@example.org>")
    for name, value in headers.items():
        built[name.replace("_", "-")] = value
    built.set_content(text, charset=charset, cte=cte)
    return built


def read(built: EmailMessage | bytes, **kwargs: object) -> object:
    raw = built if isinstance(built, bytes) else built.as_bytes(policy=SMTP)
    return parse(raw, max_attachment=LIMIT, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("charset", "cte", "subject", "text"),
    [
        ("iso-8859-7", "8bit", "Σύνδεση αδύνατη", "Δεν μπορώ να συνδεθώ από χθες."),
        ("iso-8859-7", "quoted-printable", "Λογαριασμός", "Ο λογαριασμός μου κλειδώθηκε."),
        ("koi8-r", "8bit", "Не работает вход", "Здравствуйте, не могу войти в кабинет."),
        ("koi8-r", "base64", "Счёт", "Пришёл счёт с ошибкой, проверьте, пожалуйста."),
        ("windows-1251", "8bit", "Пријава", "Здраво, не могу да се пријавим. Ђорђе"),
        ("windows-1251", "quoted-printable", "Рачун", "Рачун за новембар није стигао."),
        ("utf-8", "quoted-printable", "Račun", "Račun za novembar nije stigao, šta da radim?"),
        ("utf-8", "base64", "Ευχαριστώ", "Ευχαριστώ πολύ — λειτουργεί τώρα!"),
    ],
)
def test_greek_russian_and_serbian_in_their_encodings(
    charset: str, cte: str, subject: str, text: str
) -> None:
    built = message(text, charset=charset, cte=cte)
    del built["Subject"]
    built["Subject"] = subject  # encoded as RFC 2047 words
    mail = read(built)
    assert mail.text == text and mail.subject == subject  # type: ignore[attr-defined]
    assert mail.from_address == "ana@example.org" and mail.from_name == "Ana Anić"  # type: ignore[attr-defined]


def test_a_subject_in_a_legacy_charset_and_an_undeclared_8bit_body() -> None:
    raw = (
        b"From: ivan@example.ru\r\nSubject: =?koi8-r?B?8NLJ18XU?=\r\nMessage-ID: <k@x>\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "Привет, это UTF-8 без объявления".encode()
    mail = read(raw)
    assert mail.subject == "Привет"  # type: ignore[attr-defined]
    assert mail.text == "Привет, это UTF-8 без объявления"  # type: ignore[attr-defined]


def test_html_only_mail_becomes_text_without_scripts_styles_or_the_quoted_part() -> None:
    html = (
        "<html><head><style>p{color:red}</style><title>x</title></head><body>"
        "<p>My router&nbsp;is <b>blinking</b> red.</p><div>Second line<br>third</div>"
        "<script>alert('x')</script><img src=x onerror=alert(1)>"
        '<div class="gmail_quote">On Mon, Support wrote:<blockquote>old answer</blockquote></div>'
        "</body></html>"
    )
    built = EmailMessage()
    built["From"] = "a@example.org"
    built["Message-ID"] = "<h@x>"
    built.set_content(html, subtype="html")
    mail = read(built)
    assert mail.text == "My router is blinking red.\nSecond line\nthird"  # type: ignore[attr-defined]
    assert "alert" not in mail.full_text and "old answer" in mail.full_text  # type: ignore[attr-defined]


def test_plain_text_is_preferred_to_its_html_twin() -> None:
    built = message("Plain words")
    built.add_alternative("<p>HTML words</p>", subtype="html")
    assert read(built).text == "Plain words"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "quoted",
    [
        "On Tue, 1 Dec 2026 at 10:00, Nimbus Support <support@nimbus.test> wrote:\n> Old text",
        "On Tue, 1 Dec 2026 at 10:00, Nimbus Support\n<support@nimbus.test> wrote:\n> Old text",
        "Στις Τρί, 1 Δεκ 2026, Nimbus Support έγραψε:\n> Old text",
        "1 декабря 2026 г., в 10:00, Nimbus Support написал(а):\n> Old text",
        "У уто, 1. дец 2026. у 10:00 Nimbus Support пише:\n> Old text",
        "-----Original Message-----\nFrom: Support\nSent: Tuesday\nSubject: Old text",
        "________________________________\nFrom: Support <support@nimbus.test>\nSent: Tuesday",
        "From: Support <support@nimbus.test>\nSent: Tuesday, 1 December\nOld text",
        "> ##- Please type your reply above this line -##\n> Old text",
        "-- \nAna Anić\nHead of IT, Example d.o.o.",
        "Sent from my iPhone",
    ],
)
def test_what_the_customer_quoted_or_signed_is_cut(quoted: str) -> None:
    assert own_words(f"Still broken, sorry.\nCan you call me?\n\n{quoted}") == (
        "Still broken, sorry.\nCan you call me?"
    )


def test_inline_replies_keep_the_customers_lines_and_a_bare_quote_is_kept_whole() -> None:
    inline = "> Did you restart it?\nYes, twice.\n> And the cable?\nIt is new."
    assert own_words(inline) == "Yes, twice.\nIt is new."
    assert own_words("> only a quote") == "> only a quote"


def test_attachments_keep_safe_names_and_big_ones_only_their_size() -> None:
    built = message("see the files")
    built.add_attachment(b"a" * 10, maintype="text", subtype="plain", filename="../../etc/passwd")
    built.add_attachment(b"b" * (LIMIT + 1), maintype="application", subtype="pdf",
                         filename="big scan.pdf")  # fmt: skip
    built.add_attachment(b"c", maintype="image", subtype="png", filename="\x00\u202e.png")
    files = read(built).attachments  # type: ignore[attr-defined]
    assert [(f.filename, f.size, f.kept) for f in files] == [
        ("passwd", 10, True), ("big scan.pdf", LIMIT + 1, False), ("png", 1, True),
    ]  # fmt: skip
    assert files[1].data is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("..\\..\\windows\\evil.exe", "evil.exe"),
        ("  .hidden  ", "hidden"),
        ("a<b>c|d;rm -rf.txt", "a_b_c_d_rm -rf.txt"),
        ("Рачун за новембар.pdf", "Рачун за новембар.pdf"),
        ("", "attachment-3.pdf"),
        ("x" * 300 + ".docx", "x" * 95 + ".docx"),
    ],
)
def test_safe_filenames(name: str, expected: str) -> None:
    assert safe_filename(name, 3, "application/pdf") == expected


@pytest.mark.parametrize(
    ("headers", "envelope", "reason"),
    [
        ({}, "", "bounce"),
        ({"Return_Path": "<>"}, None, "bounce"),
        ({"From": "MAILER-DAEMON@mx.example.org"}, None, "bounce"),
        ({"From": "postmaster@example.org"}, None, "bounce"),
        ({"Auto_Submitted": "auto-replied"}, None, "auto_reply"),
        ({"Auto_Submitted": "auto-generated"}, None, "auto_reply"),
        ({"X_Autoreply": "yes"}, None, "auto_reply"),
        ({"Precedence": "bulk"}, None, "bulk"),
        ({"Precedence": "list"}, None, "bulk"),
        ({"X_Loop": "support@nimbus.test"}, None, "loop"),
        ({"Subject": "Automatic reply: your request"}, None, "auto_reply"),
        ({"Subject": "Out of Office: back on Monday"}, None, "auto_reply"),
        ({"Subject": "Автоответ: в отпуске"}, None, "auto_reply"),
        ({"Auto_Submitted": "no"}, "ana@example.org", None),
        ({}, "ana@example.org", None),
    ],
)
def test_mail_no_person_wrote(headers: dict[str, str], envelope: str | None,
                              reason: str | None) -> None:  # fmt: skip
    assert read(message(**headers), envelope_from=envelope).automatic == reason  # type: ignore[attr-defined]


def test_a_delivery_report_is_a_bounce() -> None:
    built = EmailMessage()
    built["From"] = "Mail Delivery System <noreply@mx.example.org>"
    built["Message-ID"] = "<dsn@x>"
    built.set_content("Delivery failed")
    built.make_mixed()
    built.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'
    )
    assert read(built).automatic == "bounce"  # type: ignore[attr-defined]


def test_threading_headers_and_a_missing_message_id() -> None:
    mail = read(message(In_Reply_To="<a@x>", References="<root@x> <a@x>", Message_ID=""))
    assert mail.thread_ids == ("a@x", "root@x")  # type: ignore[attr-defined]
    again = read(message(In_Reply_To="<a@x>", References="<root@x> <a@x>", Message_ID=""))
    assert mail.message_id == again.message_id  # type: ignore[attr-defined]
    assert mail.message_id.startswith("tz-missing-")  # type: ignore[attr-defined]


def test_broken_structure_is_read_as_far_as_it_goes() -> None:
    raw = (
        b"From: =?broken?Q?=ZZ?= <a@example.org>\r\nMessage-ID: <b@x>\r\n"
        b"Subject: =?utf-8?B?***?=\r\n"
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n'
        b"Content-Type: text/plain; charset=unknown-8bit\r\n\r\nReadable words\r\n"
    )
    mail = read(raw)
    assert mail.text == "Readable words" and mail.from_address == "a@example.org"  # type: ignore[attr-defined]
    assert mail.defects  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", [b"", b"\x00\xff garbage", b"Subject: no sender\r\n\r\nhi"])
def test_not_mail_at_all(raw: bytes) -> None:
    with pytest.raises(UnreadableMail):
        read(raw)


def test_html_to_text_on_sloppy_markup() -> None:
    assert html_to_text("<p>one<p>two</div></span><li>three") == "one\ntwo\nthree"
    assert html_to_text("<p>a &lt;b&gt; &amp; c</p>") == "a <b> & c"


def test_control_characters_in_headers_are_dropped() -> None:
    raw = (b"From: =?utf-8?q?Ana=00An=07i=C4=87?= <ana@example.org>\r\nMessage-ID: <c@x>\r\n"
           b"Subject: =?utf-8?q?hi=00there?=\r\n\r\nbody\r\n")  # fmt: skip
    mail = read(raw)
    assert mail.subject == "hithere" and mail.from_name == "AnaAnić"  # type: ignore[attr-defined]


def test_a_customers_own_paste_and_a_forward_are_not_cut() -> None:
    pasted = "My app crashes on start.\nThis is what the installer wrote:\nERROR 42 in module x"
    assert own_words(pasted) == pasted
    forward = "Please see below.\n\n---------- Forwarded message ---------\nFrom: Bank\nYour card"
    assert own_words(forward) == forward


def test_reply_to_names_the_customer_behind_a_contact_form() -> None:
    mail = read(message(From="Website form <noreply@shop.example>",
                        Reply_To="Ana Anić <ana@example.org>"))  # fmt: skip
    assert (mail.from_address, mail.from_name) == ("ana@example.org", "Ana Anić")  # type: ignore[attr-defined]
    assert mail.automatic is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["List_Id", "List_Unsubscribe"])
def test_mailing_lists_are_bulk(header: str) -> None:
    assert read(message(**{header: "<news.example.org>"})).automatic == "bulk"  # type: ignore[attr-defined]
