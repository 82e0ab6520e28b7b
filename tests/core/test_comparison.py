"""core/comparison.py's verification table: figures where scores exist, words where they do not (a labels
head whose scores cannot be read back), never a bare nan beside a PASSED verdict."""

import numpy as np

from bisenet_deploy.core.comparison import compare, format_table


def labels(seed):
    return np.random.RandomState(seed).randint(0, 3, (1, 8, 12)).astype(np.int32)


def test_a_labels_head_without_scores_says_n_a_and_why():
    rows = [compare("sample image", None, labels(0), None, labels(0)),
            compare("random #1", None, labels(1), None, labels(1))]
    table = format_table(rows)
    assert "nan" not in table.lower().replace("n/a", "")
    first = table.splitlines()[1].split()
    assert first[2:4] == ["n/a", "n/a"] and first[4] == "100.0000%"
    assert "n/a: no scores to diff" in table and "compared pixel by pixel" in table


def test_rows_with_scores_show_their_figures_and_no_note():
    scores = np.zeros((1, 3, 8, 12), np.float32)
    scores[0, 0] = 2.0
    shifted = scores + np.float32(1e-3)
    table = format_table([compare("sample image", scores, labels(0), shifted, labels(0))])
    assert "1.000e-03" in table and "5.000e-04" in table and "n/a" not in table
