"""Rasa's LogisticRegressionClassifier, stored as plain arrays instead of with skops.

Rasa saves and loads the fitted scikit-learn model with skops, and importing skops builds a table
of every scikit-learn estimator: about 7 s of every server start on this machine, for a model
that is only a weight matrix. The arrays (and the estimator's parameters) are all a logistic
regression needs to predict, and loading them needs neither pickle nor skops."""

from __future__ import annotations

import json
from typing import Any, Dict, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.linear_model import LogisticRegression

ARRAYS, PARAMS = "weights.npz", "params.json"


def _sorted_row(matrix):
    """A one-row feature matrix's values, columns and width, as its CSR form holds them. The
    featurizers' rows are usually COO with sorted distinct columns already, which is exactly
    that form; converting them anyway cost ~50 µs a featurizer."""
    if (
        isinstance(matrix, coo_matrix)
        and matrix.shape[0] == 1
        and matrix.col.dtype == np.int32
        and (matrix.nnz < 2 or bool((np.diff(matrix.col) > 0).all()))
    ):
        return matrix.data, matrix.col, matrix.shape[1]
    block = csr_matrix(matrix)
    return block.data, block.indices, block.shape[1]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / ARRAYS,
                coef=self.clf.coef_,
                intercept=self.clf.intercept_,
                classes=np.asarray(self.clf.classes_, dtype=str),
            )
            (directory / PARAMS).write_text(json.dumps(self.clf.get_params()), encoding="utf-8")

    def _create_X(self, messages):
        """Rasa's matrix, built directly from the sentence features' own arrays.

        Rasa first combines every featurizer's sequence and sentence features (deep copies and
        a `hstack` per featurizer, though only the sentence row is used), then stacks that row
        with an empty dense block and stacks the rows: scipy's stacking checks and index-type
        searches took ~10% of the server's CPU per message. Laying the featurizers' columns
        side by side, row by row, gives the same matrix (tests compare the arrays)."""
        if any(f.attribute == TEXT and not f.is_sparse() for m in messages for f in m.features):
            return super()._create_X(messages)
        data, indices, indptr, widths = [], [], [0], set()
        for message in messages:
            offset, stored = 0, indptr[-1]
            for feature in message.features:
                if (
                    feature.attribute == TEXT
                    and feature.is_sparse()
                    and feature.type == FEATURE_TYPE_SENTENCE
                ):
                    values, columns, width = _sorted_row(feature.features)
                    data.append(values)
                    indices.append(columns + offset)
                    offset += width
                    stored += len(values)
            widths.add(offset)
            indptr.append(stored)
        if len(widths) != 1 or not data:
            return super()._create_X(messages)  # rows of different widths: Rasa's error
        values = np.concatenate(data).astype(np.result_type(*data, np.float64), copy=False)
        columns = np.concatenate(indices)
        return csr_matrix(
            (values, columns, np.asarray(indptr, dtype=columns.dtype)),
            shape=(len(messages), widths.pop()),
        )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ArrayLogisticRegressionClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / ARRAYS, allow_pickle=False)
                params = json.loads((directory / PARAMS).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            # nothing was trained (no intents): behave like Rasa's own classifier does
            return cls.create(config, model_storage, resource, execution_context)
        clf = LogisticRegression(**params)
        # Column-major: predicting multiplies the features by `coef_.T`, and scipy makes that
        # operand C-contiguous first, which for a row-major coef_ copied the whole matrix
        # (39 x 12k doubles, ~1 ms) on every message. Same numbers, same arithmetic.
        clf.coef_, clf.intercept_ = np.asfortranarray(arrays["coef"]), arrays["intercept"]
        clf.classes_ = arrays["classes"]
        clf.n_features_in_ = clf.coef_.shape[1]
        component = cls(config, execution_context.node_name, model_storage, resource)
        component.clf = clf
        return component
