"""The strict comparison behind every hidden test: only the real answer, as a plain value, passes."""

import pytest

from course.hidden_tests import NotAnswered, WrongAnswer, expect, same_plain


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class SneakyStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


@pytest.mark.parametrize("value, key", [
    ("b", "b"), ({"a", "c"}, {"c", "a"}), ({"x": "a", "y": "b"}, {"y": "b", "x": "a"}),
    (3, 3), (2.5, 2.5), (["a", "b"], ["a", "b"]),
])
def test_equal_plain_values_pass(value, key):
    assert same_plain(value, key)
    expect("m0_q1_x", value, key)


@pytest.mark.parametrize("value, key", [
    (AlwaysEqual(), "b"),                 # an object that equals anything
    (SneakyStr("a"), "b"),                # a str subclass with a lying __eq__
    (SneakyStr("b"), "b"),                # even the right text, in a disguised type
    (True, 1),                            # bool is not int here
    (["a", "c"], {"a", "c"}),             # a list is not a set
    ({"a", AlwaysEqual()}, {"a", "c"}),   # a cheat hidden inside a set
    ({"x": AlwaysEqual()}, {"x": "a"}),   # ... or inside a dict
    ({"x": "a", "y": "b"}, {"x": "a"}),   # extra keys
    ("B", "b"),                           # case matters
    (3.0, 3),
])
def test_anything_else_fails(value, key):
    assert not same_plain(value, key)
    with pytest.raises(WrongAnswer):
        expect("m0_q1_x", value, key)


def test_unanswered_is_its_own_failure_and_never_shows_the_key():
    with pytest.raises(NotAnswered):
        expect("m0_q1_x", None, "secret-key")
    with pytest.raises(WrongAnswer) as err:
        expect("m0_q1_x", "a", "secret-key")
    assert "secret-key" not in str(err.value)


def test_keys_must_be_plain():
    with pytest.raises(TypeError):
        same_plain(object(), object())
