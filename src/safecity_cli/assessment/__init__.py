"""自评与复核: the 评价细则's items, self-scoring findings, 整改 problems, the evidence archive."""
