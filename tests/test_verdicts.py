"""The verdict channel: answer reports decoded strictly, and judged outside the kernel.

A hostile kernel controls every output of a test cell, so each report is treated as an attack until
it proves to be exactly one plain value for exactly the expected item.
"""

import json

import pytest

from course import verdicts, wire
from course.verdicts import Expectation, judge, parse

KEY = Expectation("m0_q1_x", "q1", "b")


def report(item="m0_q1_x", value="b", raw=None):
    payload = raw if raw is not None else {"item": item, "value": wire.encode(value)}
    return {"output_type": "display_data", "data": {wire.ANSWER_MIME: payload}}


def nested(depth: int):
    data = {"t": "str", "v": "b"}
    for _ in range(depth):
        data = {"t": "list", "v": [data]}
    return data


def test_one_plain_value_equal_to_the_key_passes():
    assert judge([KEY], [report()]).passed


@pytest.mark.parametrize("outputs, reason", [
    ([], "no answer could be read"),
    ([report(value=None)], "not answered"),
    ([report(value="a")], "not the expected answer"),
    ([report(), report()], "more than one answer"),                      # duplicated
    ([report(), report(item="m0_q2_y")], "tampering"),                   # foreign item
    ([report(raw={"item": ["m0_q1_x"], "value": wire.encode("b")})], "tampering"),
    ([report(raw={"item": "m0_q1_x", "value": {"t": "str"}})], "not a plain value"),
    ([report(raw={"item": "m0_q1_x", "value": {"t": "obj", "v": 1}})], "not a plain value"),
    ([report(raw={"item": "m0_q1_x", "value": {"t": "int", "v": "1"}})], "not a plain value"),
    ([report(raw={"item": "m0_q1_x", "value": nested(50)})], "not a plain value"),   # too deep
    ([report(raw={"item": "m0_q1_x", "error": "boom"})], "boom"),
    ([report(raw="not json at all {")], "could not be read"),
    ([report(raw="[" * 200_000 + "]" * 200_000)], "could not be read"),           # decoder bomb
    ([report(raw='{"item": "m0_q1_x", "value": ' + '{"t": "list", "v": [' * 5_000
             + '{"t": "str", "v": "b"}' + "]}" * 5_000 + "}")], "could not be read"),
    ([report(raw=["a", "list"])], "could not be read"),
])
def test_every_malformed_duplicated_foreign_or_deep_report_fails_with_its_reason(outputs, reason):
    verdict = judge([KEY], outputs)
    assert not verdict.passed
    assert reason in verdict.reason


def test_a_report_too_large_is_refused():
    big = report(value="b" * (wire.MAX_EMISSION_CHARS + 10))
    assert not judge([Expectation("m0_q1_x", "q1", "b" * (wire.MAX_EMISSION_CHARS + 10))],
                     [big]).passed


def test_reports_in_other_kinds_of_output_are_not_read():
    """Only display data and results carry reports; a stream that prints one is just text."""
    printed = {"output_type": "stream", "name": "stdout",
               "text": json.dumps({wire.ANSWER_MIME: {"item": "m0_q1_x",
                                                      "value": wire.encode("b")}})}
    assert "no answer could be read" in judge([KEY], [printed]).reason


def test_the_decoder_refuses_anything_but_its_own_encoding():
    for value in ["b", 3, 2.5, True, None, ["a"], ("a",), {"a", "b"}, {"x": "a"}]:
        assert wire.decode(wire.encode(value)) == value
    for bad in [{"t": "set", "v": [wire.encode(["a"])]}, {"t": "dict", "v": [[wire.encode([1]),
                wire.encode(1)]]}, {"t": "str", "v": "b", "extra": 1}, nested(wire.MAX_DEPTH + 1)]:
        with pytest.raises(ValueError):
            wire.decode(bad)


def test_hidden_tests_may_only_call_expect_with_literals():
    ok = ('check_answer("m0_q1_x", q1)\n### BEGIN HIDDEN TESTS\nfrom course.hidden_tests import expect\n'
          'expect("m0_q1_x", q1, "b")\n### END HIDDEN TESTS\n')
    visible, expectations = parse(ok)
    assert "HIDDEN" not in visible and expectations == [Expectation("m0_q1_x", "q1", "b")]
    for hidden in ['import os\nos.system("x")\n', 'expect("m0_q1_x", q1, KEY)\n',
                   'expect("m0_q1_x", q1, "b", extra=1)\n', '\n', 'expect(\n']:
        with pytest.raises(verdicts.HiddenTestError):
            parse(f"x\n### BEGIN HIDDEN TESTS\n{hidden}### END HIDDEN TESTS\n")


def test_the_kernel_never_receives_the_key():
    _, expectations = parse('c\n### BEGIN HIDDEN TESTS\nexpect("m0_q1_x", q1, "secret")\n'
                            '### END HIDDEN TESTS\n')
    assert "secret" not in verdicts.execution_source("c", expectations)
    assert "secret" not in verdicts.display_source("c")
