"""Shadow (reference) model ensembles shared by attacks."""

from ._shadow import ShadowModels

__all__ = ["ShadowModels"]
