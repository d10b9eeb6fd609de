"""Decoding TrackBack form data: real senders' bodies byte for byte, charset labels
(header, `charset` field, none), guessing, mislabelled pings and urlencoded details."""

import codecs
import os
import random

import pytest

from conftest import SAMPLES
from mtpy.trackback.form import decode_form, decode_form_with_charset, lookup_charset

FORM = "application/x-www-form-urlencoded"


def sample(name):
    """(body, Content-Type) of a captured request, read byte for byte."""
    with open(os.path.join(SAMPLES, name), "rb") as handle:
        data = handle.read()
    head, body = data.split(b"\r\n\r\n", 1)
    content_type = ""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            content_type = value.strip().decode("latin-1")
    return body, content_type


def pct(data):
    """Every byte as an uppercase %XX escape, as MT's encode_url does for non-ASCII."""
    return "".join("%%%02X" % byte for byte in data)


def body_of(encoding, **fields):
    return "&".join("%s=%s" % (name, pct(value.encode(encoding))) for name, value in fields.items()).encode()


TITLE_JA = "日本語のトラックバック表示テスト"
EXCERPT_JA = "これはソフトの表示テストです。記号 & と波〜ダッシュ。"


# --- the captured requests ---

def test_movabletype_shift_jis_sample():
    body, content_type = sample("movabletype-5.2-shift_jis.http")
    assert content_type == FORM + "; charset=Shift_JIS"
    fields, charset = decode_form_with_charset("", body, content_type)
    assert charset == "cp932"
    assert list(fields) == ["title", "url", "excerpt", "blog_name"]
    assert fields["title"] == TITLE_JA
    # 0x81 0x60 is U+FF5E in cp932 (Python's shift_jis would give U+301C).
    assert fields["excerpt"] == "これはソフトの表示テストです。記号 & と波～ダッシュ。..."
    assert "～" in fields["excerpt"] and "ソフト" in fields["excerpt"]
    assert fields["blog_name"] == "テーマ・ブログ"
    assert fields["url"] == "http://127.0.0.1:8052/site/themed/2026/11/post.html"


def test_movabletype_shift_jis_sample_unlabelled_is_guessed():
    body, _ = sample("movabletype-5.2-shift_jis.http")
    labelled = decode_form("", body, FORM + "; charset=Shift_JIS")
    assert decode_form_with_charset("", body, FORM) == (labelled, "cp932")


def test_movabletype_utf8_sample():
    body, content_type = sample("movabletype-5.2-utf8.http")
    assert content_type == FORM + "; charset=UTF-8"
    fields, charset = decode_form_with_charset("", body, content_type)
    assert charset == "utf-8"
    assert fields == {
        "title": "It's déjà vu — 日本",
        "url": "http://127.0.0.1:8052/site/themed/2026/11/its-deja-vu.html",
        "excerpt": "Excerpt with markup & an ampersand: café, 日本語....",
        "blog_name": "Themed Blog",
    }


def test_wordpress_direct_sample():
    body, content_type = sample("wordpress-6.1-direct.http")
    assert content_type == FORM  # no charset anywhere: UTF-8 is recognised
    fields, charset = decode_form_with_charset("", body, content_type)
    assert charset == "utf-8"
    assert list(fields) == ["title", "url", "blog_name", "excerpt"]
    assert fields["title"] == "It's déjà vu — 日本"
    assert fields["excerpt"] == "Excerpt with <b>markup</b> & an ampersand: café, 日本語."
    assert fields["blog_name"] == "TB Harness WordPress"
    assert fields["url"] == "http://127.0.0.1:8090/2026/11/24/trackback-harness-target/"


def test_wordpress_publish_sample_keeps_entities():
    body, content_type = sample("wordpress-6.1-publish.http")
    fields, charset = decode_form_with_charset("", body, content_type)
    assert charset == "utf-8"
    assert fields["title"] == "It&#8217;s déjà vu — 日本"
    assert fields["excerpt"] == "Excerpt with markup &amp; an ampersand: café, 日本語."
    assert fields["blog_name"] == "TB Harness WordPress"
    # The permalink was already %-escaped: one decoding leaves its own escapes.
    assert fields["url"] == "http://127.0.0.1:8090/2026/11/24/its-deja-vu-%e6%97%a5%e6%9c%ac/"


# --- Japanese charsets ---

@pytest.mark.parametrize("encoding, label, codec", [
    ("cp932", "Shift_JIS", "cp932"),
    ("cp932", "windows-31j", "cp932"),
    ("euc_jp", "EUC-JP", "euc_jp"),
    ("iso2022_jp", "ISO-2022-JP", "iso2022_jp"),
])
def test_japanese_labelled_by_header(encoding, label, codec):
    body = body_of(encoding, title=TITLE_JA, excerpt=EXCERPT_JA, url="http://example.com/")
    fields, charset = decode_form_with_charset("", body, "%s; charset=%s" % (FORM, label))
    assert charset == codec
    assert fields["title"] == TITLE_JA
    assert fields["excerpt"].replace("～", "〜") == EXCERPT_JA
    assert fields["url"] == "http://example.com/"


@pytest.mark.parametrize("encoding, label", [("cp932", "Shift_JIS"), ("euc_jp", "euc-jp")])
def test_japanese_labelled_by_charset_field(encoding, label):
    body = body_of(encoding, title=TITLE_JA, blog_name="テーマ・ブログ") + b"&charset=" + label.encode()
    fields, charset = decode_form_with_charset("", body, FORM)
    assert charset == encoding
    assert fields["title"] == TITLE_JA
    assert fields["blog_name"] == "テーマ・ブログ"
    assert fields["charset"] == label  # kept: the caller ignores what it does not know
    # The field also counts when it comes in the query string.
    query = "charset=" + label
    assert decode_form_with_charset(query, body_of(encoding, title=TITLE_JA), "") == (
        {"charset": label, "title": TITLE_JA}, encoding)


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp"])
@pytest.mark.parametrize("text", [TITLE_JA, EXCERPT_JA, "テーマ・ブログ", "東京", "新製品発表",
                                  "APIの仕様", "Movable Typeでトラックバック", "【速報】新型ＰＣ発売"])
def test_japanese_unlabelled_is_guessed(encoding, text):
    fields, charset = decode_form_with_charset("", body_of(encoding, title=text), FORM)
    assert charset == encoding
    assert fields["title"].replace("～", "〜") == text


def test_iso_2022_jp_unlabelled():
    body = body_of("iso2022_jp", title=TITLE_JA, excerpt="Plain ASCII too")
    assert b"%1B%24%42" in body  # ESC $ B
    fields, charset = decode_form_with_charset("", body, FORM)
    assert charset == "iso2022_jp"
    assert fields == {"title": TITLE_JA, "excerpt": "Plain ASCII too"}


def test_iso_2022_jp_half_width_katakana():
    assert decode_form("title=%1B%28I1%1B%28B", b"", "") == {"title": "ｱ"}


def test_shift_jis_trail_bytes_sent_literally():
    # 0x5C ("\\") and ASCII letters are trail bytes: only byte-level decoding after
    # unescaping reads them right. ソ = 0x83 0x5C, 表 = 0x95 0x5C, ト = 0x83 0x67.
    fields = decode_form("", b"title=%83\\%95\\%83g", FORM + "; charset=Shift_JIS")
    assert fields == {"title": "ソ表ト"}


def test_euc_jp_nec_row_13_and_ibm_extensions():
    # ① ② ㈱ (NEC row 13) and 纊 (NEC-selected IBM extension, row 89) are EUC-JP as
    # browsers read it, though Python's euc_jp codec refuses them.
    fields, charset = decode_form_with_charset(
        "", b"title=%AD%A1%AD%A2%AD%EA%F9%A1%A4%A2", FORM + "; charset=EUC-JP")
    assert (fields["title"], charset) == ("①②㈱纊あ", "euc_jp")
    # Unlabelled, the same bytes among ordinary EUC-JP text are still EUC-JP.
    body = body_of("euc_jp", title="ソフトウェア") + b"%AD%EA"
    assert decode_form_with_charset("", body, "") == ({"title": "ソフトウェア㈱"}, "euc_jp")


# --- Latin text and windows-1252 ---

def test_latin1_unlabelled():
    fields, charset = decode_form_with_charset("", b"title=caf%E9&excerpt=cr%E8me+br%FBl%E9e", FORM)
    assert charset == "windows-1252"
    assert fields == {"title": "café", "excerpt": "crème brûlée"}


@pytest.mark.parametrize("text", ["réel", "Größe", "naïve façade", "Ça va?", "¿Qué tal?", "Zürich",
                                  "It’s “quoted” — ok…", "voilà à la carte", "Œuvre"])
def test_windows_1252_unlabelled_words(text):
    body = ("title=" + pct(text.encode("cp1252"))).encode()
    assert decode_form_with_charset("", body, FORM) == ({"title": text}, "windows-1252")


@pytest.mark.parametrize("label", ["ISO-8859-1", "latin1", "us-ascii", "windows-1252", "cp819"])
def test_latin1_label_means_windows_1252(label):
    fields, charset = decode_form_with_charset(
        "", b"title=caf%E9+%80+5", "%s; charset=%s" % (FORM, label))
    assert (fields["title"], charset) == ("café € 5", "windows-1252")


def test_windows_1252_holes_decode_to_c1_controls():
    # Python's cp1252 leaves these five bytes undefined; WHATWG maps each to itself.
    fields = decode_form("", b"t=%81%8D%8F%90%9D%E9", FORM + "; charset=iso-8859-1")
    assert fields == {"t": "\x81\x8d\x8f\x90\x9dé"}


# --- unknown and wrong labels ---

def test_unknown_label_counts_as_absent():
    body = body_of("cp932", title=TITLE_JA) + b"&charset=x-bogus"
    fields, charset = decode_form_with_charset("", body, FORM + "; charset=x-bogus")
    assert (fields["title"], charset) == (TITLE_JA, "cp932")
    fields, charset = decode_form_with_charset("", b"title=caf%C3%A9", FORM + "; charset=x-bogus")
    assert (fields["title"], charset) == ("café", "utf-8")


def test_replacement_labels_are_unknown():
    # Browsers decode iso-2022-kr & co. to U+FFFD: here they are no labels at all.
    assert lookup_charset("iso-2022-kr") is None
    assert lookup_charset("hz-gb-2312") is None


def test_mislabelled_utf8_declared_but_shift_jis():
    body, _ = sample("movabletype-5.2-shift_jis.http")
    fields, charset = decode_form_with_charset("", body, FORM + "; charset=UTF-8")
    assert charset == "cp932"
    assert fields["title"] == TITLE_JA
    assert fields["blog_name"] == "テーマ・ブログ"


def test_mislabelled_header_then_charset_field():
    # The header is wrong, the field is right: the field is the next label tried.
    body = body_of("euc_jp", title=TITLE_JA) + b"&charset=EUC-JP"
    assert decode_form_with_charset("", body, FORM + "; charset=utf-8")[1] == "euc_jp"


@pytest.mark.parametrize("label", ["iso-8859-1", "Shift_JIS", "euc-jp", "koi8-r"])
def test_utf8_data_under_a_legacy_label_is_utf8(label):
    body, _ = sample("wordpress-6.1-direct.http")
    fields, charset = decode_form_with_charset("", body, "%s; charset=%s" % (FORM, label))
    assert charset == "utf-8"
    assert fields["title"] == "It's déjà vu — 日本"


def test_latin1_declared_as_utf8():
    assert decode_form_with_charset("", b"title=caf%E9", FORM + "; charset=utf-8") == (
        {"title": "café"}, "windows-1252")


def test_damaged_shift_jis_keeps_its_label():
    # One stray byte in the middle: the declared charset still reads the rest.
    body = body_of("cp932", title="日本語") + b"%FC%21" + body_of("cp932", x="テスト")[2:]
    fields, charset = decode_form_with_charset("", body, FORM + "; charset=Shift_JIS")
    assert charset == "cp932"
    assert fields["title"].startswith("日本語") and fields["title"].endswith("テスト")
    assert "\ufffd" in fields["title"]


@pytest.mark.parametrize("encoding, label", [("utf-8", ""), ("cp932", "Shift_JIS"), ("cp932", ""),
                                             ("euc_jp", "EUC-JP"), ("euc_jp", "")])
def test_value_cropped_inside_a_character(encoding, label):
    # A sender that crops by bytes cuts the last character in two: it is dropped.
    data = "日本語のテスト".encode(encoding)[:-1]
    content_type = FORM + ("; charset=" + label if label else "")
    fields, charset = decode_form_with_charset("", ("title=" + pct(data)).encode(), content_type)
    assert (fields["title"], charset) == ("日本語のテス", encoding)


# --- labels and the Content-Type header ---

@pytest.mark.parametrize("content_type", [
    'application/x-www-form-urlencoded; charset="Shift_JIS"',
    "application/x-www-form-urlencoded;charset='shift_jis'",
    "application/x-www-form-urlencoded; CHARSET = SJIS ",
    "application/x-www-form-urlencoded; foo=bar; charset=MS_Kanji",
])
def test_header_charset_parameter_forms(content_type):
    body = body_of("cp932", title="表示")
    assert decode_form_with_charset("", body, content_type) == ({"title": "表示"}, "cp932")


@pytest.mark.parametrize("label, codec", [
    ("shift_jis", "cp932"), ("SJIS", "cp932"), ("ms_kanji", "cp932"), ("Windows-31J", "cp932"),
    ("x-sjis", "cp932"), ("csShiftJIS", "cp932"), ("ms932", "cp932"),
    ("euc-jp", "euc_jp"), ("x-euc-jp", "euc_jp"), ("csEUCPkdFmtJapanese", "euc_jp"),
    ("iso-2022-jp", "iso2022_jp"), ("csISO2022JP", "iso2022_jp"),
    ("utf-8", "utf-8"), ("UTF8", "utf-8"), ("unicode-1-1-utf-8", "utf-8"),
    ("iso-8859-1", "windows-1252"), ("latin1", "windows-1252"), ("l1", "windows-1252"),
    ("ascii", "windows-1252"), ("US-ASCII", "windows-1252"), ("iso_8859-1", "windows-1252"),
    ("cp1252", "windows-1252"), ("x-cp1252", "windows-1252"), ("ibm819", "windows-1252"),
    ("iso-ir-100", "windows-1252"),
    ("euc-kr", "cp949"), ("gbk", "gb18030"), ("gb2312", "gb18030"), ("gb18030", "gb18030"),
    ("big5", "big5hkscs"), ("koi8-r", "koi8_r"), ("koi8-u", "koi8_u"),
    ("iso-8859-2", "iso8859_2"), ("iso-8859-15", "iso8859_15"), ("iso-8859-16", "iso8859_16"),
    ("iso-8859-9", "cp1254"), ("windows-1250", "cp1250"), ("windows-1258", "cp1258"),
    ("utf-16le", "utf-16-le"), ("utf-16be", "utf-16-be"),
    (" utf-8\t", "utf-8"), (b"Shift_JIS", "cp932"),
    ("x-bogus", None), ("", None), (None, None), ("utf-7", None),
])
def test_lookup_charset(label, codec):
    assert lookup_charset(label) == codec


def test_every_label_names_a_working_codec():
    from mtpy.trackback import form
    for label in form._LABELS:
        codecs.lookup(lookup_charset(label))
        assert decode_form("", b"a=b", "x; charset=" + label) == {"a": "b"}


def test_other_labelled_charsets():
    for text, encoding, label in [("Привет", "koi8_r", "koi8-r"), ("한국어", "cp949", "euc-kr"),
                                  ("中文", "gbk", "gb2312"), ("中文", "big5", "big5"),
                                  ("Łódź", "cp1250", "windows-1250")]:
        body = ("title=" + pct(text.encode(encoding))).encode()
        assert decode_form("", body, "x; charset=" + label) == {"title": text}, label
    body = ("title=" + pct("日本".encode("utf-16-le"))).encode()
    assert decode_form_with_charset("", body, "x; charset=utf-16le") == ({"title": "日本"}, "utf-16-le")


# --- urlencoded details ---

def test_query_and_body_merge_body_wins():
    fields = decode_form("tb_id=5&title=from+query&pass=secret",
                         b"title=from+body&url=http%3A%2F%2Fa.b%2F", FORM)
    assert fields == {"tb_id": "5", "title": "from body", "pass": "secret", "url": "http://a.b/"}


def test_first_occurrence_wins_within_a_source():
    fields = decode_form("a=1&a=2&b=q1", b"b=b1&b=b2&c=3&c=4", FORM)
    assert fields == {"a": "1", "b": "b1", "c": "3"}


def test_plus_and_escaped_plus():
    assert decode_form("q=a+b%2Bc", b"t=1+%2B+1%20%3D+2", "") == {"q": "a b+c", "t": "1 + 1 = 2"}


def test_invalid_percent_escapes_are_kept():
    fields = decode_form("", b"a=%zz&b=100%&c=%4&d=%4g%41&e=%%41&f=%+1", FORM)
    assert fields == {"a": "%zz", "b": "100%", "c": "%4", "d": "%4gA", "e": "%A", "f": "% 1"}


def test_names_values_and_empty_pairs():
    fields = decode_form("", b"&flag&=nameless&&x=1=2&%74itle=escaped+name&", FORM)
    assert fields == {"flag": "", "": "nameless", "x": "1=2", "title": "escaped name"}


def test_trailing_newline_of_the_body_is_not_data():
    assert decode_form("", b"url=http%3A%2F%2Fa.b%2F\r\n", FORM) == {"url": "http://a.b/"}


def test_empty_input():
    assert decode_form_with_charset("", b"", "") == ({}, "utf-8")
    assert decode_form_with_charset(None, None, None) == ({}, "utf-8")


def test_query_string_from_os_environ():
    # Raw non-ASCII bytes in QUERY_STRING reach Python as surrogate escapes
    # (os.environ decodes with surrogateescape): they are the bytes again here.
    query = b"title=\x93\xfa\x96\x7b&x=%93%FA".decode("utf-8", "surrogateescape")
    assert decode_form_with_charset(query, b"", "") == ({"title": "日本", "x": "日"}, "cp932")
    assert decode_form("title=日本", b"", "") == {"title": "日本"}


def test_get_ping_in_the_query_string():
    query = "tb_id=5&url=http%3A%2F%2Fexample.com%2F&title=" + pct(TITLE_JA.encode("euc_jp"))
    assert decode_form_with_charset(query, b"", "") == (
        {"tb_id": "5", "url": "http://example.com/", "title": TITLE_JA}, "euc_jp")


def test_never_raises_and_text_is_valid_unicode():
    rnd = random.Random(20261124)
    labels = ["", "utf-8", "shift_jis", "euc-jp", "iso-2022-jp", "iso-8859-1", "utf-16le", "big5",
              "gb18030", "euc-kr", "x-bogus"]
    special = b"%&=+\x1b$(B"
    for _ in range(2000):
        body = bytes(rnd.choice([rnd.randrange(256), rnd.choice(special)]) for _ in range(rnd.randrange(30)))
        body = body.replace(b"%", b"%" + b"%02X" % rnd.randrange(256)) if rnd.random() < 0.5 else body
        query = "".join(chr(rnd.choice([rnd.randrange(0x20, 0x7F), 0x25, rnd.randrange(0xDC80, 0xDD00),
                                        rnd.randrange(0x80, 0x3000)])) for _ in range(rnd.randrange(12)))
        content_type = "%s; charset=%s" % (FORM, rnd.choice(labels))
        if rnd.random() < 0.3:
            body += b"&charset=" + rnd.choice(labels).encode()
        fields, charset = decode_form_with_charset(query, body, content_type)
        assert isinstance(charset, str)
        for name, value in fields.items():
            (name + value).encode("utf-8")  # raises on a surrogate


def test_decode_form_is_the_dict_of_decode_form_with_charset():
    body, content_type = sample("wordpress-6.1-direct.http")
    assert decode_form("", body, content_type) == decode_form_with_charset("", body, content_type)[0]
