"""Number formatting for readers: the one place numbers become text.

Tables, figures, the reference pages and the command line format their numbers here, so a
share, a power of ten or a byte count reads the same everywhere. Nothing here computes: a
function takes a value that is already what is to be shown (a share, bytes, a
:class:`~ai_workloads.core.units.Quantity`) and only scales it to its display unit and
rounds it.

>>> pct(0.345), sci(48_900), gigabytes(85_899_345_920)
('34.5%', '4.9 × 10⁴', '85.9 GB')
>>> quantity(Quantity(7906, "", 0)), quantity(Quantity(78.4, "B", 1))
('7,906', '78.4B')
"""

from __future__ import annotations

import math

from ..core.errors import WorkloadError
from ..core.units import Quantity, gb

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

#: Units written straight after the number ("78.4B", "27.4%", "32K"); others get a space.
ATTACHED_UNITS: frozenset[str] = frozenset({"%", "B", "K", "M", "T"})


def pct(share: float, digits: int = 1) -> str:
    """A share (0.345 for 34.5 %) as a percentage with ``digits`` decimals.

    >>> pct(0.345), pct(0.99999, 2), pct(1.0, 0)
    ('34.5%', '100.00%', '100%')
    """
    return f"{100 * share:.{digits}f}%"


def sci(value: float, digits: int = 2) -> str:
    """A positive number as ``m × 10ⁿ`` with ``digits`` significant digits (``10ⁿ`` if m is 1).

    Readers see a real multiplication sign and a superscript exponent, never ``4.9e+04``.

    >>> sci(3.14e23), sci(1e22), sci(3.8e25, 1), sci(2.5e-3)
    ('3.1 × 10²³', '10²²', '4 × 10²⁵', '2.5 × 10⁻³')
    >>> sci(0)
    Traceback (most recent call last):
    ...
    ai_workloads.core.errors.WorkloadError: sci() shows positive numbers only, got 0
    """
    if not value > 0 or math.isinf(value):
        raise WorkloadError(f"sci() shows positive numbers only, got {value}")
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10**exponent, digits - 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    text = f"{mantissa:.{digits - 1}f}".rstrip("0").rstrip(".")
    return power if text == "1" else f"{text} × {power}"


def thousands(value: float, _position: object = None) -> str:
    """A number rounded to a whole one, with thousands separators (also a tick formatter).

    >>> thousands(32768), thousands(1234.5)
    ('32,768', '1,234')
    """
    return f"{value:,.0f}"


def gigabytes(n_bytes: float, digits: int = 1, grouped: bool = False) -> str:
    """Bytes in decimal gigabytes (1 GB = 10⁹ bytes), with ``digits`` decimals
    (and thousands separators when ``grouped``).

    >>> gigabytes(137_953_296_384), gigabytes(137_953_296_384, 0)
    ('138.0 GB', '138 GB')
    >>> gigabytes(1_082_331_758_592), gigabytes(1_082_331_758_592, grouped=True)
    ('1082.3 GB', '1,082.3 GB')
    """
    return f"{gb(n_bytes):{',' if grouped else ''}.{digits}f} GB"


def short_count(n: float, significant: int = 3) -> str:
    """A large count in billions (``B``) or, from 10¹², trillions (``T``).

    >>> short_count(174_600_000_000), short_count(15_600_000_000_000), short_count(1.5e9)
    ('175B', '15.6T', '1.5B')
    """
    if n >= 10**12:
        return f"{n / 1e12:.{significant}g}T"
    return f"{n / 1e9:.{significant}g}B"


def number(q: Quantity, grouped: bool = True) -> str:
    """A :class:`~ai_workloads.core.units.Quantity`'s value to its digits, without the unit
    (for a table whose column names the unit).

    >>> number(Quantity(0.2416, "TFLOPs", 2)), number(Quantity(4000.0, "GB"))
    ('0.24', '4,000')
    """
    return f"{q.value:{',' if grouped else ''}.{q.digits}f}"


def quantity(q: Quantity, grouped: bool = True) -> str:
    """A :class:`~ai_workloads.core.units.Quantity` as text: its value to its digits, then
    its unit (straight after the number for ``%``, ``B``, ``K`` and units starting with
    ``x``, such as ``"4x"``; after a space otherwise).

    ``grouped=False`` leaves out the thousands separators (years, for example).

    >>> quantity(Quantity(85.899, "GB", 1)), quantity(Quantity(2, "x per step"))
    ('85.9 GB', '2x per step')
    >>> quantity(Quantity(2018, "", 0), grouped=False), quantity(Quantity(0.3, "%", 1))
    ('2018', '0.3%')
    """
    text = number(q, grouped)
    if not q.unit:
        return text
    attached = q.unit in ATTACHED_UNITS or q.unit.startswith("x")
    return f"{text}{q.unit}" if attached else f"{text} {q.unit}"


def si(value: float, unit: str = "", digits: int = 3) -> str:
    """A number with an SI prefix, ``digits`` significant digits, for figure labels.

    >>> si(3.35e12, "B/s"), si(989.4e12, "FLOP/s"), si(42.0)
    ('3.35 TB/s', '989 TFLOP/s', '42')
    """
    prefixes = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
    for scale, prefix in prefixes:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".rstrip()
    return f"{value:.{digits}g} {unit}".rstrip()
