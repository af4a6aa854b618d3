import json

import pytest

from lmlab.heads.subset import choose_eval_subset, read_eval_subset, write_eval_subset


def test_subset_is_sorted_distinct_and_fixed_by_its_seed():
    first = choose_eval_subset(1000, 100, seed=999)
    assert first == choose_eval_subset(1000, 100, seed=999)
    assert first == sorted(set(first)) and len(first) == 100 and first[0] >= 0 and first[-1] < 1000
    assert first != choose_eval_subset(1000, 100, seed=998)


def test_subset_of_a_small_split_is_all_of_it():
    assert choose_eval_subset(30, 1024, seed=999) == list(range(30))


def test_subset_file_round_trips_as_a_json_list(glue_dir, tmp_path):
    out = tmp_path / "eval_subset.json"
    chosen = write_eval_subset("MNLI", "dev_matched", glue_dir, 10, 999, out)
    assert json.loads(out.read_text()) == chosen == read_eval_subset(out)
    assert len(chosen) == 10 and max(chosen) < 30


def test_bad_subset_file_and_sizes_are_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"indices": [1]}')
    with pytest.raises(ValueError, match=r"bad\.json"):
        read_eval_subset(bad)
    with pytest.raises(ValueError, match="eval_subset_size"):
        choose_eval_subset(10, 0, seed=1)
