"""The diagnoses of a park: industry–city–people integration (C, T, D, lag type) and the
five-park scorecard."""
