"""The shared argument checks: accepted values come back as floats, every other value raises
ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from ssbkit.checks import check_nonnegative, check_positive, check_positive_values


@pytest.mark.parametrize("value, expected", [(2, 2.0), ("0.5", 0.5), (np.float32(1e-30), float(np.float32(1e-30)))])
def test_positive_accepts_finite_positive_numbers(value, expected):
    assert check_positive(value, "x") == expected


@pytest.mark.parametrize("value", [0, -1.0, np.nan, np.inf, "abc", None, [1.0, 2.0]])
def test_positive_refuses_with_the_argument_name(value):
    with pytest.raises(ValueError, match="thickness_nm must be a positive finite number"):
        check_positive(value, "thickness_nm")


def test_nonnegative_accepts_zero_and_refuses_negative():
    assert check_nonnegative(0, "err") == 0.0
    with pytest.raises(ValueError, match="err must be a finite number >= 0"):
        check_nonnegative(-1e-12, "err")
    with pytest.raises(ValueError, match="err must be a finite number >= 0"):
        check_nonnegative(np.nan, "err")


def test_positive_values_checks_every_element():
    np.testing.assert_array_equal(check_positive_values([1, 2.5], "mass"), [1.0, 2.5])
    assert check_positive_values(3, "mass").shape == ()
    for bad in ([1.0, 0.0], [1.0, np.nan], "abc"):
        with pytest.raises(ValueError, match="mass must hold positive finite numbers"):
            check_positive_values(bad, "mass")
