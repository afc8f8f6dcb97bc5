"""Training run by a framework's or a service's own call, with no ``.fit(`` in sight.

A TensorFlow Estimator trains in ``tf.estimator.train_and_evaluate(estimator, ...)`` or
``estimator.train(input_fn=...)``; a managed AutoML service trains when the code asks it to
build a model (Google AutoML Tables' ``client.create_model(...)``); SageMaker's API trains
in ``create_training_job``/``create_auto_ml_job``. Each is training code the repository runs,
as much as a ``model.fit(X, y)`` is. A row needs the package imported and the call made: the
same method name on another library's object (``sagemaker_client.create_model`` makes a
deployable model from an artifact) is not training.
"""

from __future__ import annotations

from collections.abc import Iterable

from catdetector.assess.pycalls import Call

# (imported module prefixes, last names of the calls that train, keywords one of which the
# call must pass; empty: any)
_ROWS: tuple[tuple[tuple[str, ...], frozenset[str], frozenset[str]], ...] = (
    (("tensorflow",), frozenset({"train_and_evaluate"}), frozenset()),
    (("tensorflow",), frozenset({"train"}), frozenset({"input_fn"})),  # Estimator.train
    (("google.cloud.automl",), frozenset({"create_model"}), frozenset()),
    (("boto3",), frozenset({"create_training_job", "create_auto_ml_job",
                            "create_auto_ml_job_v2"}), frozenset()),
)  # fmt: skip


# words one of which a text must hold before its calls are read (most files hold none)
NEEDLES = ("train_and_evaluate", ".train(", "create_model", "create_training_job",
           "create_auto_ml_job")  # fmt: skip


def may_train_by_call(text: str) -> bool:
    """A cheap filter: whether ``text`` names a call of a row at all."""
    return any(n in text for n in NEEDLES)


def trains_by_call(imports: Iterable[str], calls: Iterable[Call]) -> bool:
    """Whether code importing ``imports`` makes one of ``calls`` that a framework or a
    service trains a model in (``from google.cloud import automl`` is ``google.cloud.automl``)."""
    names = set(imports)
    rows = [r for r in _ROWS if any(i == p or i.startswith(p + ".") or i.startswith(p + "_")
                                    for i in names for p in r[0])]  # fmt: skip
    if not rows:
        return False
    for call in calls:
        last = call.name.rsplit(".", 1)[-1]
        if any(last in called and (not kw or call.keywords & kw) for _, called, kw in rows):
            return True
    return False
