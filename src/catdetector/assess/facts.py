"""Facts about a repository, derived once from the scan index and shared by all checks.

``Facts`` gathers the recognisers of each concern; every fact is computed
lazily from text already read by ``scan``. Each concern's class inherits the
concerns it reads, so its dependencies are declared (and type-checked), not
assumed from a sibling mixin: ``CodeFacts`` <- ``CIFacts`` <- ``PipelineFacts``
<- ``RegistryFacts``; ``CIFacts`` <- ``ServingFacts``; ``CodeFacts`` <-
``EnvironmentFacts``, ``DataFacts``. Nothing here touches the disk, imports the code
it reads, or runs anything.
"""

from __future__ import annotations

from functools import cached_property

from catdetector.assess.cipieces import ci_pieces_only
from catdetector.assess.data import DataFacts
from catdetector.assess.environment import EnvironmentFacts
from catdetector.assess.library import is_library
from catdetector.assess.mlsigns import engine_run_only, uses_ml
from catdetector.assess.model import Evidence
from catdetector.assess.registry import RegistryFacts, hub_models
from catdetector.assess.servedmodel import serves_model_file
from catdetector.assess.serving import ServingFacts

# a general workflow engine's flow is ML only with training, a model, data or an ML import
_ENGINES = ("airflow", "metaflow", "prefect", "dagster", "flytekit", "luigi")
_ORCHESTRATOR_ONLY = (*(f"{m} pipeline" for m in _ENGINES), "Metaflow:", "Kedro:")
NO_MODEL_NOTE = (
    "nothing here trains, holds, serves or loads a model (a data pipeline or tools around "
    "one): no model whose maturity could be rated, not applicable"
)


class Facts(EnvironmentFacts, RegistryFacts, DataFacts, ServingFacts):
    """Lazily derived facts about one scanned repository."""

    @cached_property
    def is_ml(self) -> bool:
        """Whether anything here looks like ML: training, models, data, pipelines, ML imports."""
        return bool(
            self.training_units
            or self.model_files
            or self.ml_data_files
            or [e for e in self.pipelines if not self._orchestrator_only(e)]
            or any(uses_ml(u) for u in self.code_units)
            or hub_models(self)  # a pretrained model loaded (``from_pretrained``)
            or serves_model_file(self)  # an app serving a model file (``servedmodel``)
        )

    def _orchestrator_only(self, ev: Evidence) -> bool:
        """Whether ``ev`` shows only a general engine's flow (not ML by itself)."""
        if ev.detail.startswith(_ORCHESTRATOR_ONLY):
            return True
        command = self.ci_training if ev.detail == "training that CI runs" else None
        return command is not None and engine_run_only(command.text)

    @cached_property
    def is_library(self) -> bool:
        """Whether this is a library of ML tools with no project of its own (``library``)."""
        return self.is_ml and is_library(self)

    @cached_property
    def applicable(self) -> bool:
        """Whether a level applies: ML is here, and it is a project, not only a library."""
        return self.is_ml and not self.is_library and not self.ci_pieces and not self.no_model

    @cached_property
    def no_model(self) -> bool:
        """Whether nothing here trains, holds, serves or loads a model (a data pipeline, SDK
        wrappers): no model whose maturity could be rated, whatever pipelines are declared."""
        return not (
            self.training_units
            or self.model_files
            or self.ml_data_files
            or self.serving_units
            or self.stages
            or self.job_specs
            or self.pipeline_trains
            or hub_models(self)
        )

    @cached_property
    def ci_pieces(self) -> bool:
        """Whether this holds only reusable CI pieces for other repositories (``cipieces``)."""
        return self.is_ml and not self.is_library and ci_pieces_only(self)
