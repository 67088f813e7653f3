"""The data of the free-text import: word synonyms, phrase synonyms and non-part lines.

These are tables, not code: each is a tuple of rows, exposed as a DataFrame by
:func:`synonym_table` and :func:`exclusion_table`, and a user's own tables
(CSV with the same columns) replace or extend them
(:func:`partsopt.importers.service_lines.import_service_lines`).

They were written by reading the 502 distinct invoice texts of the two-wheeler
workshop data (``../shared/data/real/two_wheeler_service_lines.csv``): spelling
variants of the same word (``OVERHUAL`` / ``OVERHAUL``, ``DISK`` / ``DISC``),
phrases naming the same part (``ENGINE OIL TOP UP`` is engine oil), and lines
that are labour, services or fees rather than a part taken from stock
(``GENERAL SERVICE``, ``CHAIN LUBRICATION``, ``RC CARD``).

Word synonyms apply to whole words after upper-casing and punctuation removal;
phrase synonyms apply to the whole normalised text afterwards.  An exclusion
row either matches the whole normalised text (``match = "phrase"``) or any one
word of it (``match = "word"``).
"""
from __future__ import annotations

import pandas as pd

# (word as written, word it means)
WORD_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("OVERHUAL", "OVERHAUL"),
    ("OVERHAL", "OVERHAUL"),
    ("TIMMING", "TIMING"),
    ("DISK", "DISC"),
    ("MUDGAURD", "MUDGUARD"),
    ("CYLENDER", "CYLINDER"),
    ("ACCELATOR", "ACCELERATOR"),
    ("ACCELETOR", "ACCELERATOR"),
    ("SPPEDOMETER", "SPEEDOMETER"),
    ("BREAK", "BRAKE"),
    ("TOPUP", "TOP UP"),
    ("RACTIFIER", "RECTIFIER"),
    ("VISIOR", "VISOR"),
    ("GUAGE", "GAUGE"),
    ("CARBORATOR", "CARBURETOR"),
    ("REALY", "RELAY"),
    ("WIELDING", "WELDING"),
    ("TARMINAL", "TERMINAL"),
    ("ASSMEBLY", "ASSEMBLY"),
    ("ASSEBLY", "ASSEMBLY"),
    ("SHELD", "SHIELD"),
    ("JALL", "JALI"),
    ("LABOR", "LABOUR"),
    ("REPALCEMENT", "REPLACEMENT"),
    ("BUISH", "BUSH"),
    ("YOUCK", "YOKE"),
    ("CAHIN", "CHAIN"),
    ("GLOUSE", "GLOVES"),
    ("STIKER", "STICKER"),
    ("GRAINDING", "GRINDING"),
    ("PUNCHER", "PUNCTURE"),
    ("TUBLESS", "TUBELESS"),
    ("HANDLEBAR", "HANDLE BAR"),
)

# (normalised phrase, part phrase it names)
PHRASE_SYNONYMS: tuple[tuple[str, str], ...] = (
    ("ENGINE OIL TOP UP", "ENGINE OIL"),
    ("COOLANT OIL TOP UP", "COOLANT OIL"),
    ("DISC OIL TOP UP", "DISC OIL"),
    ("DISC PAD", "DISC PAD"),
    ("PAD", "DISC PAD"),
    ("TYRE REPLACEMENT", "TYRE"),
    ("DOOM REPLACEMENT", "DOOM"),
    ("BULB", "BULB"),
    ("HANDLE GRIPPER", "GRIPPER"),
    ("GRIP HANDLE", "GRIPPER"),
    ("MUDGUARD", "FRONT MUDGUARD"),
    ("TUBE", "WHEEL TUBE"),
    ("REAR TUBE", "WHEEL TUBE"),
    ("PLUG", "SPARK PLUG"),
    ("SPRING AND BRAKE SHOE", "BRAKE SHOE"),
)

# (pattern, match, reason): lines that are not a part issued from stock
EXCLUSIONS: tuple[tuple[str, str, str], ...] = (
    ("GENERAL SERVICE", "phrase", "labour"),
    ("SERVICE", "word", "labour"),
    ("LABOUR", "word", "labour"),
    ("CHAIN LUBRICATION", "phrase", "labour"),
    ("LUBRICATION", "word", "labour"),
    ("CHECKUP", "word", "labour"),
    ("CHECK", "word", "labour"),
    ("OVERHAUL", "word", "labour"),
    ("WASHING", "word", "labour"),
    ("POLISH", "phrase", "labour"),
    ("CLEANING", "word", "labour"),
    ("WELDING", "word", "labour"),
    ("THREADING", "word", "labour"),
    ("GRINDING", "word", "labour"),
    ("ADJUSTMENT", "word", "labour"),
    ("ALIGNMENT", "word", "labour"),
    ("BEND", "word", "labour"),
    ("RESET", "word", "labour"),
    ("COATING", "word", "labour"),
    ("REMOVAL", "word", "labour"),
    ("CHARGE", "word", "labour"),
    ("CHARGES", "word", "labour"),
    ("FITTING", "word", "labour"),
    ("ENGINE WORK", "phrase", "labour"),
    ("ENGINE RE CONDITION", "phrase", "labour"),
    ("REBORE", "phrase", "labour"),
    ("BORE", "phrase", "labour"),
    ("PUNCTURE", "phrase", "labour"),
    ("TANK DENT", "phrase", "labour"),
    ("CONSUMABLES", "phrase", "not a stock item"),
    ("PETROL", "phrase", "not a stock item"),
    ("FEES", "word", "fee"),
    ("EXPENSES", "word", "fee"),
    ("TAX", "word", "fee"),
    ("INSURANCE", "word", "fee"),
    ("PAYMENT", "word", "fee"),
    ("RC CARD", "phrase", "fee"),
    ("EX SHOW ROOM", "phrase", "vehicle sale"),
    ("PULSAR RS 200 ABS", "phrase", "vehicle sale"),
)


def synonym_table() -> pd.DataFrame:
    """Word and phrase synonyms as one table: columns ``kind`` (word/phrase), ``text``, ``means``."""
    rows = [("word", a, b) for a, b in WORD_SYNONYMS] + [("phrase", a, b) for a, b in PHRASE_SYNONYMS]
    return pd.DataFrame(rows, columns=["kind", "text", "means"])


def exclusion_table() -> pd.DataFrame:
    """Non-part lines: columns ``pattern``, ``match`` (phrase/word), ``reason``."""
    return pd.DataFrame(list(EXCLUSIONS), columns=["pattern", "match", "reason"])
