"""Export to the state archive: validated bags → deterministic serialization → transfer list + manifest."""

from preservation.export.api import (
    Exported,
    ExportError,
    ExportResult,
    Rejected,
    bag_folders,
    choose_serialization,
    export_bags,
)
from preservation.export.verify import TransferProblem, TransferReport, verify_transfer

__all__ = [
    "ExportError",
    "ExportResult",
    "Exported",
    "Rejected",
    "TransferProblem",
    "TransferReport",
    "bag_folders",
    "choose_serialization",
    "export_bags",
    "verify_transfer",
]
