"""Decode the form data of a TrackBack ping (query string and body) to text.

Both sources are `application/x-www-form-urlencoded`. Percent escapes are decoded to
bytes first and the bytes are decoded with one charset afterwards: Shift_JIS trail
bytes include 0x5C and ASCII letters, so decoding escapes straight to text (or
decoding the raw body before splitting it) would break Japanese pings.

Choosing the charset (senders label it in the Content-Type, in a
`charset` field, or not at all):

1. the `charset` parameter of the Content-Type, if it is a known label;
2. the `charset` form field, if it is a known label;
3. UTF-8, if every value is UTF-8 (ISO-2022-JP first when the 7-bit data has its
   escape sequences);
4. a guess: the candidate whose text looks most like real text, with Shift_JIS
   (cp932), EUC-JP and windows-1252 as candidates (see `_guess`).

A declared charset that cannot decode the bytes is skipped, and data that is
evidently UTF-8 wins over any ASCII-compatible label, so a mislabelled ping still
decodes. An incomplete character at the end of a value (a sender cropped it by
bytes) is dropped. Nothing here raises on bad input, and all text returned is valid
Unicode (no surrogates, no undecodable bytes).

Kept to `codecs` on purpose: this runs in every CGI ping, and urllib.parse or re
would add start-up time (environment notes).
"""

import codecs

__all__ = ["decode_form", "decode_form_with_charset", "lookup_charset", "unusable_charset"]


# Labels as web browsers read them (the WHATWG Encoding Standard's label table),
# grouped by the Python codec that decodes them. "windows-1252" is decoded by
# `_decode_windows_1252`, which fills the five holes that Python's cp1252 leaves.
# Labels that browsers map to the "replacement" encoding (iso-2022-kr, hz-gb-2312,
# ...) are left out on purpose, so they count as unknown.
_CODEC_LABELS = {
    "utf-8": "utf-8 utf8 unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8",
    "cp932": "shift_jis shift-jis sjis ms_kanji ms932 windows-31j x-sjis csshiftjis",
    "euc_jp": "euc-jp x-euc-jp cseucpkdfmtjapanese",
    "iso2022_jp": "iso-2022-jp csiso2022jp",
    "windows-1252": "windows-1252 x-cp1252 cp1252 iso-8859-1 iso8859-1 iso88591 iso_8859-1"
                    " iso_8859-1:1987 iso-ir-100 latin1 l1 csisolatin1 ascii us-ascii"
                    " ansi_x3.4-1968 cp819 ibm819",
    "cp949": "euc-kr cseuckr csksc56011987 iso-ir-149 korean ks_c_5601-1987"
             " ks_c_5601-1989 ksc5601 ksc_5601 windows-949",
    # WHATWG decodes "gbk" and its aliases with the gb18030 decoder (a superset).
    "gb18030": "gb18030 gbk x-gbk gb2312 gb_2312 gb_2312-80 csgb2312 csiso58gb231280"
               " chinese iso-ir-58",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "koi8_r": "koi8-r koi8_r koi8 koi cskoi8r",
    "koi8_u": "koi8-u koi8-ru",
    "cp866": "ibm866 cp866 866 csibm866",
    "cp874": "windows-874 dos-874 iso-8859-11 iso8859-11 iso885911 tis-620",
    "mac_roman": "macintosh mac x-mac-roman csmacintosh",
    "mac_cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "iso8859_2": "iso-8859-2 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 iso-ir-101"
                 " latin2 l2 csisolatin2",
    "iso8859_3": "iso-8859-3 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 iso-ir-109"
                 " latin3 l3 csisolatin3",
    "iso8859_4": "iso-8859-4 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 iso-ir-110"
                 " latin4 l4 csisolatin4",
    "iso8859_5": "iso-8859-5 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988 iso-ir-144"
                 " cyrillic csisolatincyrillic",
    "iso8859_6": "iso-8859-6 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987 iso-ir-127"
                 " iso-8859-6-e iso-8859-6-i csiso88596e csiso88596i arabic asmo-708"
                 " ecma-114 csisolatinarabic",
    "iso8859_7": "iso-8859-7 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 iso-ir-126"
                 " greek greek8 ecma-118 elot_928 sun_eu_greek csisolatingreek",
    "iso8859_8": "iso-8859-8 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 iso-ir-138"
                 " iso-8859-8-e iso-8859-8-i csiso88598e csiso88598i hebrew visual logical"
                 " csisolatinhebrew",
    "iso8859_10": "iso-8859-10 iso8859-10 iso885910 iso-ir-157 latin6 l6 csisolatin6",
    "iso8859_13": "iso-8859-13 iso8859-13 iso885913",
    "iso8859_14": "iso-8859-14 iso8859-14 iso885914",
    "iso8859_15": "iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9 csisolatin9",
    "iso8859_16": "iso-8859-16",
    "cp1250": "windows-1250 x-cp1250 cp1250",
    "cp1251": "windows-1251 x-cp1251 cp1251",
    "cp1253": "windows-1253 x-cp1253 cp1253",
    # Browsers read the latin5 (iso-8859-9) labels as windows-1254.
    "cp1254": "windows-1254 x-cp1254 cp1254 iso-8859-9 iso8859-9 iso88599 iso_8859-9"
              " iso_8859-9:1989 iso-ir-148 latin5 l5 csisolatin5",
    "cp1255": "windows-1255 x-cp1255 cp1255",
    "cp1256": "windows-1256 x-cp1256 cp1256",
    "cp1257": "windows-1257 x-cp1257 cp1257",
    "cp1258": "windows-1258 x-cp1258 cp1258",
    "utf-16-le": "utf-16le utf-16 unicode unicodefeff ucs-2 iso-10646-ucs-2 csunicode",
    "utf-16-be": "utf-16be unicodefffe",
}
_LABELS = {label: codec for codec, labels in _CODEC_LABELS.items() for label in labels.split()}

# The only labels whose data is not ASCII-compatible. Data under any other label that
# is valid UTF-8 with non-ASCII text is read as UTF-8: text in a legacy charset is
# practically never valid UTF-8 once it holds a few non-ASCII characters, while UTF-8
# under a hard-coded or stale label (old libraries sent iso-8859-1; blogs moved to
# UTF-8 and kept their Shift_JIS label) is common, and the label would give mojibake.
_UTF16 = ("utf-16-le", "utf-16-be")

# The value of each hex digit, as a byte of a `%XX` escape. Checked explicitly rather
# than with int(), which also accepts "+1", " 1" and "1_".
_HEX_VALUES = {digit: int(chr(digit), 16) for digit in b"0123456789abcdefABCDEF"}

# windows-1252 as browsers decode it, built on first use (most pings are UTF-8).
_windows_1252_table = None


def lookup_charset(label):
    """The codec name for a charset label (str or bytes), or None when unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    # WHATWG: strip ASCII whitespace, compare case-insensitively.
    return _LABELS.get(label.strip("\t\n\f\r ").lower())


# Labels of encodings that are not ASCII-compatible, beyond those the label table
# knows (UTF-16): urlencoded data cannot be written in them, since its names, `=`,
# `&` and `%XX` are ASCII, and reading ASCII bytes in them gives mojibake.
_NOT_ASCII_COMPATIBLE = ("utf-16", "utf16", "utf-32", "utf32", "ucs-2", "ucs2", "ucs-4", "ucs4",
                         "utf-7", "utf7", "x-utf-16", "x-utf-32", "csucs4", "csutf16", "csutf32",
                         "csutf7", "iso-10646-ucs-4", "cp1200", "cp1201", "cp12000", "cp12001")


def unusable_charset(content_type, fields, charset):
    """The charset label of a ping that cannot be read as a form (UTF-16, UTF-32,
    UTF-7...: not ASCII-compatible), or None. `fields` and `charset` are what
    decode_form_with_charset returned. A ping so labelled is refused rather
    than stored as mojibake."""
    if charset in _UTF16:
        return charset.replace("-le", "").replace("-be", "")
    for label in (_header_charset(content_type), fields.get("charset")):
        if not label:
            continue
        if isinstance(label, bytes):
            label = label.decode("latin-1")
        name = label.strip("\t\n\f\r ").lower()
        if _LABELS.get(name) in _UTF16 or name.startswith(_NOT_ASCII_COMPATIBLE):
            return label.strip()[:40]
    return None


def decode_form(query_string, body, content_type):
    """The fields of the query string and the body, decoded, as a dict of str."""
    return decode_form_with_charset(query_string, body, content_type)[0]


def decode_form_with_charset(query_string, body, content_type):
    """Like decode_form, and also the name of the codec that decoded the values.

    The name is a Python codec name ("utf-8", "cp932", "euc_jp", "iso2022_jp",
    "windows-1252", ...).
    """
    raw = _parse_pairs(_to_bytes(query_string))
    # The body wins over the query string (MT ignored the query string of a POST;
    # this project merges the two).
    raw.update(_parse_pairs(_to_bytes(body)))
    declared = [lookup_charset(_header_charset(content_type)), lookup_charset(raw.get(b"charset"))]
    values = list(raw.values())
    texts, charset = _decode_values(values, [codec for codec in declared if codec])
    # Field names are ASCII; anything else cannot be a field the caller asks for.
    fields = {name.decode("ascii", "replace"): text for name, text in zip(raw, texts)}
    return fields, charset


# --- urlencoded parsing (bytes in, bytes out) ---

def _to_bytes(value):
    if not value:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    # os.environ hands raw non-ASCII bytes of QUERY_STRING over as surrogate escapes.
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no byte produced
        return value.encode("utf-8", "replace")


def _parse_pairs(data):
    """name -> value (both still bytes); the first occurrence of a name wins."""
    fields = {}
    # Raw CR, LF and spaces are never part of urlencoded data; some senders end the
    # body with a newline, which must not end up in the last value (often `url`).
    for pair in data.strip().split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        name = unquote_bytes(name)
        if name not in fields:
            fields[name] = unquote_bytes(value)
    return fields


def unquote_bytes(data):
    """`+` is a space, `%XX` a byte; a `%` not followed by two hex digits stays."""
    data = data.replace(b"+", b" ")
    if b"%" not in data:
        return data
    parts = data.split(b"%")
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) >= 2 and part[0] in _HEX_VALUES and part[1] in _HEX_VALUES:
            out += [bytes((_HEX_VALUES[part[0]] * 16 + _HEX_VALUES[part[1]],)), part[2:]]
        else:
            out += [b"%", part]
    return b"".join(out)


def _header_charset(content_type):
    """The raw `charset` parameter of a Content-Type value, or None."""
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return None


# --- choosing the charset ---

def _decode_values(values, declared):
    """(texts, codec) for the raw values; see the module docstring for the order."""
    utf8 = _evident_utf8(values)
    for codec in declared:
        if utf8 is not None and codec not in _UTF16:
            return utf8, "utf-8"
        texts = _decode_all(values, codec)[0]
        if texts is not None:
            return texts, codec
    # ISO-2022-JP is 7-bit, so it would also pass as UTF-8: look for its escapes first.
    if all(value.isascii() for value in values) and any(b"\x1b$" in value or b"\x1b(" in value
                                                        for value in values):
        texts = _decode_all(values, "iso2022_jp")[0]
        if texts is not None:
            return texts, "iso2022_jp"
    texts = utf8 or _decode_all(values, "utf-8")[0]
    if texts is not None:
        return texts, "utf-8"
    return _guess(values, declared)


def _evident_utf8(values):
    """The values as text if they are UTF-8 with some non-ASCII text and nothing
    cropped (real evidence of UTF-8), else None."""
    texts, cropped = _decode_all(values, "utf-8")
    if texts is None or cropped or all(text.isascii() for text in texts):
        return None
    return texts


def _guess(values, declared):
    """The decoding that scores best; on a tie the earlier candidate.

    Shift_JIS and EUC-JP must decode strictly. Then come lenient candidates, where
    bad bytes become U+FFFD (which scores badly): a declared charset whose data is
    damaged, UTF-8 with a stray byte. windows-1252 decodes anything.
    """
    candidates = [("cp932", False), ("euc_jp", False)]
    candidates += [(codec, True) for codec in declared + ["utf-8"] if codec != "windows-1252"]
    candidates.append(("windows-1252", False))
    best = None
    for codec, lenient in candidates:
        texts, cropped = _decode_all(values, codec, lenient)
        if texts is not None:
            score = sum(_score(text) for text in texts) - 4 * cropped
            if best is None or score > best[0]:
                best = (score, texts, codec)
    return best[1], best[2]


def _score(text):
    """How much text looks like real writing rather than mojibake. Japanese
    scripts score high, half-width katakana and rare symbols low, and accented Latin
    letters count only inside words."""
    score = 0
    last = len(text) - 1
    for i, char in enumerate(text):
        code = ord(char)
        if code < 0x80:
            continue
        if 0x3041 <= code <= 0x30FF:  # hiragana, katakana
            score += 3
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            # A lone kanji glued to ASCII letters is how a Latin-1 é between two
            # letters reads in Shift_JIS.
            score += 0 if _next_to_ascii_letter(text, i, last) else 2
        elif 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF60 or 0xFFE0 <= code <= 0xFFE6:
            score += 2  # CJK punctuation, full-width forms
        elif code == 0xFF64 or code == 0xFF65:
            score -= 3  # half-width ､ ･: EUC-JP's kana lead bytes 0xA4/0xA5 read as cp932
        elif 0xFF61 <= code <= 0xFF9F:
            score -= 1  # half-width katakana
        elif 0xC0 <= code <= 0xFF and code not in (0xD7, 0xF7) or char in "ŒœŠšŽžŸ":
            score += 2 if _next_to_ascii_letter(text, i, last) else 0
        elif 0x2000 <= code <= 0x2BFF or char in "\xa0¡©«°»¿":
            continue  # punctuation, arrows, circled numbers, shapes: common in both
        elif char == "\ufffd":
            score -= 4
        else:
            score -= 2  # C1 controls, private use, other symbols
    return score


def _next_to_ascii_letter(text, i, last):
    return (i > 0 and text[i - 1].isascii() and text[i - 1].isalpha()) or \
        (i < last and text[i + 1].isascii() and text[i + 1].isalpha())


# --- decoding ---

def _decode_all(values, codec, lenient=False):
    """(texts, number of cropped values); texts is None if a value does not decode.

    Senders that crop a field by bytes cut a character in two, so an incomplete
    sequence at the end of a value is dropped instead of failing. That is only
    believed when some value decoded to non-ASCII text: otherwise Latin-1 `café`
    would pass as UTF-8 `caf`. Lenient decoding replaces bad bytes with U+FFFD.
    """
    texts = []
    cropped = 0
    for value in values:
        result = _decode_one(value, codec)
        if result is None:
            if not lenient:
                return None, 0
            result = (value.decode(codec, "replace"), False)
        texts.append(result[0])
        cropped += result[1]
    if cropped and all(text.isascii() for text in texts):
        return None, 0
    return texts, cropped


def _decode_one(data, codec):
    """(text, cropped) for data strictly decoded with codec, or None."""
    try:
        return _SPECIAL_DECODERS.get(codec, _decode_codec)(data, codec)
    except UnicodeDecodeError:
        return None


def _decode_codec(data, codec):
    # An incremental decoder keeps an incomplete last character back instead of
    # failing; finishing it then tells whether one was left over.
    decoder = codecs.getincrementaldecoder(codec)()
    text = decoder.decode(data)
    try:
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return text, True
    return text, False


def _decode_windows_1252(data, codec="windows-1252"):
    global _windows_1252_table
    if _windows_1252_table is None:
        # Python's cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; WHATWG
        # maps them to U+0081 etc., so decoding can never fail.
        _windows_1252_table = "".join(
            char if char != "\ufffd" else chr(byte)
            for byte, char in enumerate(bytes(range(256)).decode("cp1252", "replace")))
    return codecs.charmap_decode(data, "strict", _windows_1252_table)[0], False


def _decode_euc_jp(data, codec="euc_jp"):
    """EUC-JP as browsers read it: Python's euc_jp lacks NEC row 13 (①, ㈱, №) and
    the NEC-selected IBM rows 89-92, which Windows users' text often contains. Those
    rows hold the same characters in cp932, so such a pair is re-encoded as
    Shift_JIS and decoded with cp932."""
    parts = []
    while True:
        try:
            text, cropped = _decode_codec(data, "euc_jp")
        except UnicodeDecodeError as err:
            char = _euc_pair_via_cp932(data[err.start:err.start + 2])
            if char is None:
                raise
            parts += [data[:err.start].decode("euc_jp"), char]
            data = data[err.start + 2:]
            continue
        parts.append(text)
        return "".join(parts), cropped


def _euc_pair_via_cp932(pair):
    if len(pair) != 2 or not (0xA1 <= pair[0] <= 0xFE and 0xA1 <= pair[1] <= 0xFE):
        return None
    row, cell = pair[0] - 0xA0, pair[1] - 0xA0  # JIS X 0208 row and cell, 1..94
    lead = (row + 1) // 2 + (0x80 if row <= 62 else 0xC0)
    if row % 2:
        trail = cell + (0x3F if cell <= 63 else 0x40)  # 0x7F is skipped
    else:
        trail = cell + 0x9E
    try:
        return bytes((lead, trail)).decode("cp932")
    except UnicodeDecodeError:
        return None


def _decode_iso2022_jp(data, codec="iso2022_jp"):
    # Python's iso2022_jp refuses half-width katakana (ESC ( I), which browsers
    # accept; iso2022_jp_ext has them.
    try:
        return _decode_codec(data, "iso2022_jp")
    except UnicodeDecodeError:
        return _decode_codec(data, "iso2022_jp_ext")


_SPECIAL_DECODERS = {
    "windows-1252": _decode_windows_1252,
    "euc_jp": _decode_euc_jp,
    "iso2022_jp": _decode_iso2022_jp,
}
