"""Saved widget answers: found again, never lost, and damaged files explained."""

import json

import pytest

from course.answers import MAX_BYTES, AnswerStore, answers_path, saved_answer


def test_round_trip_and_multi_choice_comes_back_as_a_set(in_tmp):
    store = AnswerStore("m1")
    store.save("m1_q1_point_of_contact", "b")
    store.save("m1_q2_approachable_manner", ["a", "e"])
    assert saved_answer("m1_q1_point_of_contact") == "b"
    assert saved_answer("m1_q2_approachable_manner") == {"a", "e"}
    assert saved_answer("m1_q3_reporting") is None
    assert json.loads(answers_path("m1").read_text())["m1_q1_point_of_contact"] == "b"


def test_saving_keeps_other_answers_and_leaves_no_temp_files(in_tmp):
    store = AnswerStore("m1")
    store.save("m1_q1_point_of_contact", "a")
    store.save("m1_q3_reporting", "c")
    store.save("m1_q1_point_of_contact", "b")
    assert store.load() == {"m1_q1_point_of_contact": "b", "m1_q3_reporting": "c"}
    assert [p.name for p in in_tmp.iterdir()] == ["m1_answers.json"]


@pytest.mark.parametrize("damage, why", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
    (b'["a", "b"]', "does not hold a table"),
    (b" " * (MAX_BYTES + 1), "far larger"),
])
def test_damaged_file_warns_clearly_and_counts_as_unanswered(in_tmp, damage, why):
    answers_path("m1").write_bytes(damage)
    with pytest.warns(UserWarning, match=why) as record:
        assert saved_answer("m1_q1_point_of_contact") is None
    assert "type your answers" in str(record[0].message)


def test_a_fresh_click_repairs_a_damaged_file(in_tmp):
    answers_path("m1").write_text("{oops")
    with pytest.warns(UserWarning):
        AnswerStore("m1").save("m1_q1_point_of_contact", "d")
    assert saved_answer("m1_q1_point_of_contact") == "d"
