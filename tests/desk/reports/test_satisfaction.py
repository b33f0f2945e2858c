"""The satisfaction index (PCSI-style points out of 100) and the intervals that say who falls behind."""

import pytest
from scipy import stats

from desk.reports.satisfaction import points, satisfaction_index, share


def test_the_rating_scale_becomes_points_out_of_100_lowest_0_highest_100():
    assert [points(score) for score in range(1, 6)] == [0, 25, 50, 75, 100]


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_off_the_scale_is_refused(score):
    with pytest.raises(ValueError, match="outside the scale"):
        points(score)
    with pytest.raises(ValueError, match="outside the scale"):
        satisfaction_index({score: 3})


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative count"):
        satisfaction_index({5: 3, 4: -1})


def test_nobody_rated_gives_no_index_and_one_rating_gives_no_interval():
    assert satisfaction_index({}) is None
    assert satisfaction_index({score: 0 for score in range(1, 6)}) is None
    one = satisfaction_index({4: 1})
    assert (one.value, one.low, one.high, one.count) == (75, None, None, 1)
    assert not one.below(100)  # no interval, no evidence of falling behind


def test_the_index_is_the_mean_of_points_and_its_interval_is_students_t_of_that_mean():
    distribution = {5: 30, 4: 12, 3: 4, 2: 1, 1: 1}
    answers = [points(score) for score, count in distribution.items() for _ in range(count)]
    index = satisfaction_index(distribution)
    assert index.count == 48
    assert index.value == pytest.approx(sum(answers) / 48)
    low, high = stats.t.interval(0.95, 47, loc=index.value, scale=stats.sem(answers))
    assert (index.low, index.high) == (pytest.approx(low), pytest.approx(high))


def test_the_interval_stays_inside_0_to_100():
    index = satisfaction_index({5: 1, 1: 1})
    assert (index.low, index.high) == (0.0, 100.0)
    unanimous = satisfaction_index({5: 20})
    assert (unanimous.value, unanimous.low, unanimous.high) == (100, 100, 100)


def test_a_facility_falls_behind_only_when_its_whole_interval_is_below_the_reference():
    weak_but_few = satisfaction_index({3: 2, 4: 1})  # 58.3, a wide interval
    weak_and_many = satisfaction_index({3: 40, 4: 20})  # 58.3 on 60 ratings
    agency = 92.3
    assert weak_but_few.value == pytest.approx(weak_and_many.value)
    assert not weak_but_few.below(agency)
    assert weak_and_many.below(agency)


def test_wilsons_interval_of_a_share_matches_the_textbook_value():
    eight_of_ten = share(8, 10)
    assert eight_of_ten.value == 0.8
    assert (eight_of_ten.low, eight_of_ten.high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert share(0, 5).low == 0.0 and share(5, 5).high == 1.0
    assert share(0, 0) is None


@pytest.mark.parametrize("successes, count", [(-1, 5), (6, 5), (1, -1)])
def test_a_share_that_is_not_one_is_refused(successes, count):
    with pytest.raises(ValueError, match="not a share"):
        share(successes, count)
